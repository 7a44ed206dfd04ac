"""Seed folders for tests."""

import shutil
from pathlib import Path

import yaml

from bot.settings import REPO_ROOT

SEEDS = REPO_ROOT / "seeds"


def offline_seeds(folder: Path) -> Path:
    """A copy of the seeds whose outlets list no feeds, so a test's poll cycle never reaches out."""
    target = folder / "seeds"
    shutil.copytree(SEEDS, target)
    outlets_file = target / "outlets.yaml"
    data = yaml.safe_load(outlets_file.read_text(encoding="utf-8"))
    for outlet in data["outlets"]:
        outlet["feeds"] = []
    outlets_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target

"""The deployment files: valid Compose, the services the README describes, variables that exist."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from bot.settings import REPO_ROOT, Settings

COMPOSE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"


def settings_variables() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def test_compose_file_validates_against_the_official_schema():
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_services_commands_and_healthcheck():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "app", "worker"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert "healthcheck" in services["postgres"]
    assert any(volume.startswith("pgdata:") for volume in services["postgres"]["volumes"])
    assert "pgdata" in compose["volumes"]
    for name, command in (("app", ["run"]), ("worker", ["worker"])):
        service = services[name]
        assert service["build"] == "."
        assert service["command"] == command
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["env_file"] == ".env"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "container_name" not in services["worker"]  # --scale worker=N needs unnamed containers


def test_every_variable_passed_or_documented_is_a_setting():
    compose = yaml.safe_load(COMPOSE.read_text())
    passed = {name for service in compose["services"].values() for name in service.get("environment", {})}
    passed -= {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}  # the postgres image's own
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    assert passed <= settings_variables()
    assert documented == settings_variables()


def test_dockerfile_runs_as_non_root_with_the_console_command():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", dockerfile, re.MULTILINE)
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE)
    assert 'ENTRYPOINT ["crisisdesk"]' in dockerfile
    # The dependency layer comes before the source is copied, so code edits keep it cached.
    assert dockerfile.index("pip install .") < dockerfile.index("COPY bot ./bot")

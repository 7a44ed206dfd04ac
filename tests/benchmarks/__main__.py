"""`make bench`: run every benchmark module, print a table, write bench-results.json.

Each module `tests/benchmarks/bench_*.py` exposes `run(quick: bool) -> dict[str, float]`, measuring
the project's code and a naive baseline in the same process so ratios are comparable.
"""

import argparse
import importlib
import json
import pkgutil
import platform
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parents[2] / "bench-results.json"


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("--quick", action="store_true", help="a tenth of the size")
    parser.add_argument("only", nargs="*", help="module names, e.g. bench_matching")
    args = parser.parse_args()
    package = Path(__file__).parent
    names = sorted(
        info.name for info in pkgutil.iter_modules([str(package)]) if info.name.startswith("bench_")
    )
    results: dict[str, float | str] = {}
    failed = []
    for name in names:
        if args.only and name not in args.only:
            continue
        module = importlib.import_module(f"tests.benchmarks.{name}")
        print(f"running {name} ({'quick' if args.quick else 'full'}) …", file=sys.stderr, flush=True)
        try:
            results.update(module.run(quick=args.quick))
        except Exception:  # one broken benchmark must not cost the others' figures
            traceback.print_exc()
            failed.append(name)
    results["meta.date"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["meta.machine"] = (
        f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    )
    results["meta.quick"] = args.quick
    table = Table(title="crisisdesk benchmarks")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in results.items():
        table.add_row(key, f"{value:,.3f}" if isinstance(value, float) else str(value))
    Console().print(table)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run every benchmark module (``python -m bench``), or the named ones (``python -m bench rest``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> None:
    wanted = set(sys.argv[1:])
    folder = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name):
        if not info.name.startswith("bench_"):
            continue
        if wanted and info.name.removeprefix("bench_") not in wanted:
            continue
        print(f"\n=== {info.name} ===", flush=True)
        module = importlib.import_module(f"bench.{info.name}")
        sys.argv = [f"bench.{info.name}"]  # each benchmark parses its own (empty) arguments
        module.main()


if __name__ == "__main__":
    main()

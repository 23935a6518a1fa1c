"""Run the benchmarks: `python -m bench [ingest|retrieval|scale|answers|serve|queues|pages|review|review_model|embedders ...] [--limit N]`.

Each benchmark module exposes `run(argv) -> dict`, prints its table and writes bench/results/<name>.json.
"""

from __future__ import annotations

import importlib
import sys

BENCHES = ["ingest", "retrieval", "scale", "answers", "serve", "queues", "pages", "review", "review_model", "embedders",
           "profiles", "tables"]


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-") and a in BENCHES] or BENCHES
    rest = [a for a in argv if a not in names]
    failed = 0
    for name in names:
        try:
            mod = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"[bench] {name}: not available ({exc})")
            continue
        print(f"\n=== bench: {name} ===")
        try:
            mod.run(rest)
        except Exception as exc:  # noqa: BLE001 - one failing bench does not hide the others
            failed += 1
            print(f"[bench] {name} failed: {type(exc).__name__}: {exc}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

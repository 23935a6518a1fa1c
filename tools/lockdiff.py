"""What an environment holds against requirements.lock: `make install` checks it matches, `make test-latest` prints
how the newest releases differ from what was tested.

Usage: python tools/lockdiff.py requirements.lock [--check]
  --check   exit 1 (naming each package) unless every locked package is installed at its locked version
  (none)    a table of the packages whose installed version differs from the lock; exit 0

Runs with the interpreter of the environment it inspects (importlib.metadata), stdlib only.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    """{canonical name: version} for every `name==version` line (options, comments and markers ignored)."""
    pins: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        m = _PIN.match(raw.strip())
        if m:
            pins[canonical(m.group(1))] = m.group(3)
    return pins


def installed() -> dict[str, str]:
    return {canonical(d.metadata["Name"]): d.version for d in metadata.distributions() if d.metadata["Name"]}


def differences(lock: dict[str, str], have: dict[str, str], ignore: set[str]) -> list[tuple[str, str, str]]:
    """(package, locked, installed) for locked packages missing or at another version, then packages the
    environment has that the lock lacks ("-" where one side has none)."""
    rows = [(n, v, have.get(n, "-")) for n, v in sorted(lock.items()) if have.get(n) != v and n not in ignore]
    rows += [(n, "-", v) for n, v in sorted(have.items()) if n not in lock and n not in ignore]
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lock", type=Path)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    lock = read_lock(a.lock)
    # the project itself is installed editable beside the lock, never from it
    rows = differences(lock, installed(), ignore={"longdoc"})
    if a.check:
        bad = [r for r in rows if r[1] != "-"]
        if bad:
            print(f"the environment differs from {a.lock} (run `make install` again):", file=sys.stderr)
            for name, want, got in bad:
                print(f"  {name}: locked {want}, installed {got}", file=sys.stderr)
            return 1
        print(f"{len(lock)} packages as locked in {a.lock}")
        return 0
    if not rows:
        print(f"the newest releases the ranges admit are exactly {a.lock}")
        return 0
    width = max(len(r[0]) for r in rows)
    print(f"{len(rows)} package(s) differ from {a.lock}:")
    print(f"  {'package'.ljust(width)}  {'locked':>14}  {'newest':>14}")
    for name, want, got in rows:
        print(f"  {name.ljust(width)}  {want:>14}  {got:>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

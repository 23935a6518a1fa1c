"""Parsed real documents shared by the ingest parser tests: each PDF is parsed once per test session
(pypdf on a 60-page contract takes seconds; the tests look at the same documents from several sides)."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import pytest

from ingest.pdf import load_document
from ingest.types import ParsedDocument

logging.getLogger("pypdf").setLevel(logging.ERROR)

ROOT = Path(__file__).resolve().parents[2]
SHARED = (ROOT.parent / "shared").resolve()
DEV = SHARED / "eval" / "dev"
ROBUST = SHARED / "eval" / "robustness"
CUAD = SHARED / "corpus" / "cuad"

KING = "KINGPHARMACEUTICALSINC_08_09_2006-EX-10.1-PROMOTION AGREEMENT.PDF"
SUCAMPO = "SUCAMPOPHARMACEUTICALS,INC_11_04_2015-EX-10.2-STRATEGIC ALLIANCE AGREEMENT.PDF"
DYNAMEX = "DYNAMEXINC_06_06_1996-EX-10.4-TRANSPORTATION SERVICES AGREEMENT.PDF"
WESTLAW = "7c3f6204b3241f142f0f8eb8e1fefe7a.pdf"
RAPTOR = "2401.18059v1.pdf"
OFFENSIVE = "2001.03131.pdf"
SCOTUS = "scotus_tarrant-v-herrmann_569US614_2013_slip.pdf"


SAMPLES = ROOT / "data" / "samples"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"needs ../shared: {path.relative_to(SHARED) if path.is_relative_to(SHARED) else path} is absent")
    return path


def dev_path(name: str) -> Path:
    """A dev-set document: the copy in data/samples/ when the repository ships it (the contracts and the
    slip opinion), else ../shared/eval/dev (the papers and the Westlaw print; skips without ../shared)."""
    own = SAMPLES / name
    return own if own.exists() else need(DEV / name)


@functools.cache
def parsed(path: str, password: str | None = None) -> ParsedDocument:
    return load_document(need(Path(path)), password=password, ocr="off")


def dev(name: str) -> ParsedDocument:
    return parsed(str(dev_path(name)))

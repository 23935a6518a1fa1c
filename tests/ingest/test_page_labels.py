"""Printed page numbers: /PageLabels (pypdf) and, where a PDF declares none, the numbers printed on its
pages — on crafted PDFs (roman front matter, journal numbering from 484) and on the samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.page_labels import label_runs, printed_page_labels
from tests.conftest import DEV, ROBUST, SAMPLES

SLIP = SAMPLES / "scotus_tarrant-v-herrmann_569US614_2013_slip.pdf"
KING = SAMPLES / "KINGPHARMACEUTICALSINC_08_09_2006-EX-10.1-PROMOTION AGREEMENT.PDF"

TOPICS = ["delivery of timber", "payment in euros", "arbitration in Geneva", "warranty of title", "force majeure events",
          "assignment to affiliates", "notices by courier", "governing law of Delaware", "termination for breach",
          "confidential information", "insurance of cargo", "audit of royalties"]
BODY = "This page sets out the rules on {topic}. Each party shall comply with the rules on {topic} at all times."
_FILL = ("supplier buyer carrier warehouse invoice schedule inspection notice default remedy waiver consent "
         "amendment counterpart survival severability headings interpretation expenses taxes duties records").split()


def long_body(topic: str, i: int, sentences: int = 14) -> str:
    """About a page of distinct text on `topic` (so each page holds its own chunk)."""
    out = [f"This page sets out the rules on {topic}."]
    for k in range(sentences):
        a, b = _FILL[(i * 7 + k) % len(_FILL)], _FILL[(i * 3 + 2 * k + 1) % len(_FILL)]
        out.append(f"Rule {k + 1} on {topic} binds the {a} and the {b} until the {_FILL[(k + i) % len(_FILL)]} ends.")
    return " ".join(out)


def crafted_pdf(path: Path, printed: list[str], page_labels: list[tuple[int, int, str, int]] | None = None,
                bodies: list[str] | None = None) -> Path:
    """A PDF with one paragraph per page and `printed[i]` as the footer of page i ("" = no footer);
    `page_labels` = [(first index, last index, style, start)] written as /PageLabels with pypdf."""
    import pypdf
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    for i, mark in enumerate(printed):
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.set_xy(20, 30)
        pdf.multi_cell(170, 6, (bodies[i] if bodies else BODY.format(topic=TOPICS[i % len(TOPICS)])))
        if mark:
            pdf.set_xy(20, 280)
            pdf.cell(170, 6, mark, align="C")
    raw = path.with_suffix(".raw.pdf")
    pdf.output(str(raw))
    if not page_labels:
        raw.replace(path)
        return path
    w = pypdf.PdfWriter(clone_from=str(raw))
    for lo, hi, style, start in page_labels:
        w.set_page_label(lo, hi, style=style, start=start)
    w.write(str(path))
    raw.unlink()
    return path


def _labels(path: Path):
    from ingest.pdf import load_document

    d = load_document(path)
    return d.page_labels, d.page_labels_source


def test_page_labels_from_the_pdf_roman_front_matter_then_journal_numbers(tmp_path):
    pdf = crafted_pdf(tmp_path / "journal.pdf", [""] * 6, [(0, 1, "/r", 1), (2, 5, "/D", 484)])
    labels, source = _labels(pdf)
    assert source == "pdf"
    assert labels == ("i", "ii", "484", "485", "486", "487")


def test_printed_numbers_when_the_pdf_declares_no_labels(tmp_path):
    # a cover without a number, roman front matter, then arabic numbers from 1 (the first body page unnumbered)
    pdf = crafted_pdf(tmp_path / "book.pdf", ["", "ii", "iii", "", "2", "3", "4"])
    labels, source = _labels(pdf)
    assert source == "printed"
    assert labels == ("i", "ii", "iii", "1", "2", "3", "4")
    assert label_runs(labels) == "i–iii, 1–4"


def test_labels_that_repeat_the_pdf_numbers_are_not_kept(tmp_path):
    assert _labels(crafted_pdf(tmp_path / "same.pdf", ["1", "2", "3", "4"])) == ((), "")
    assert _labels(crafted_pdf(tmp_path / "decl.pdf", [""] * 3, [(0, 2, "/D", 1)])) == ((), "pdf")


def test_a_stray_number_or_line_numbers_are_not_page_numbers():
    # one page with a "3" alone and no neighbour agreeing; pages listing several numbers (line numbers)
    assert printed_page_labels([[], ["3"], [], []]) == ()
    assert printed_page_labels([["1", "2", "3"], ["1", "2", "3"], ["1", "2", "3"]]) == ()
    # numbers in running heads that move with the page: slip-opinion style, restarting for the opinion
    heads = [["(Slip Opinion) OCTOBER TERM, 2012 1"], ["2 TARRANT v. HERRMANN"], ["Cite as: 569 U. S. (2013) 3"],
             ["4 TARRANT v. HERRMANN"], [], ["2 TARRANT v. HERRMANN"], ["Cite as: 569 U. S. (2013) 3"],
             ["4 TARRANT v. HERRMANN"], []]
    assert printed_page_labels(heads) == ("1", "2", "3", "4", "1", "2", "3", "4", "")


def test_the_slip_opinion_restarts_its_numbers_for_the_opinion():
    labels, source = _labels(SLIP)
    assert source == "printed"
    # syllabus 1–4, the opinion's first page (unnumbered) is 1, then 2…24; the appendix maps print none
    assert labels[:4] == ("1", "2", "3", "4")
    assert labels[4:28] == tuple(str(i) for i in range(1, 25))
    assert labels[28:] == ("", "")


def test_king_cover_and_schedules():
    labels, source = _labels(KING)
    assert source == "printed" and labels[0] == "" and labels[1] == "1" and labels[47] == "47"


@pytest.mark.slow
def test_a_book_prints_other_numbers_than_its_pdf_pages(shared_dir):
    book = ROBUST / "huge_352pp_free-culture_lessig.pdf"
    if not book.is_file():
        pytest.skip("the 352-page book is not in ../shared/eval/robustness")
    labels, source = _labels(book)
    assert source == "printed"
    # "88 FREE CULTURE" heads PDF page 100; the printer's slug says "Page 347" on the last PDF page
    assert labels[99] == "88" and labels[351] == "347"


def test_papers_with_page_labels_in_the_eval_set_cite_journal_pages(shared_dir):
    """The issue names a TACL (pp. 484–506) and an ACL paper (pp. 6981–7004) carrying /PageLabels: check
    every dev PDF that declares labels against them; none declares any in the set this was built on."""
    import pypdf

    from ingest.page_labels import pdf_page_labels

    found = {}
    for p in sorted(DEV.glob("*.pdf")):
        labels = pdf_page_labels(pypdf.PdfReader(str(p)))
        if labels:
            found[p.name] = labels
    if not found:
        pytest.skip("no PDF in ../shared/eval/dev declares /PageLabels (the TACL/ACL papers the issue names are not in this set)")
    for name, labels in found.items():
        got, source = _labels(DEV / name)
        assert source == "pdf" and list(got) == labels
        if labels[0] == "484":
            assert labels[-1] == "506"

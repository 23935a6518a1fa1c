"""Citations cite the number printed on the page, and the PDF page to open, everywhere people read them.

A crafted journal-style PDF (front matter i–ii, then pages 484–487 in its /PageLabels) is ingested and
asked about, extractively and through a real OpenAI-protocol server on loopback; the model cites PDF
pages and verification stays exact on them.
"""

from __future__ import annotations

import json

import pytest

from tests.app.conftest import generative
from tests.ingest.test_page_labels import TOPICS, crafted_pdf, long_body


@pytest.fixture(scope="module")
def journal(tmp_path_factory):
    from app.config import load_settings
    from app.library import documents as library

    base = tmp_path_factory.mktemp("journal")
    pdf = crafted_pdf(base / "journal.pdf", [""] * 6, [(0, 1, "/r", 1), (2, 5, "/D", 484)],
                      bodies=[long_body(TOPICS[i], i) for i in range(6)])
    s = load_settings(env={}, home=base / "home", workers=0)
    assert library.ingest(s, [pdf])[0].status == "ingested"
    return s


def test_extractive_answer_search_and_export_show_printed_pages(journal, tmp_path):
    from typer.testing import CliRunner

    from app.answer.ask import ask
    from app.answer.export import export
    from app.answer.printed_pages import display_text
    from app.faces.cli import cli

    doc = __import__("app.library.documents", fromlist=["x"]).list_documents(journal)[0]
    assert doc.page_labels == ["i", "ii", "484", "485", "486", "487"] and doc.page_labels_source == "pdf"
    a = ask(journal, "What are the rules on arbitration in Geneva?")
    assert a.citations
    for c in a.citations:
        assert c.printed_start == doc.page_labels[c.page_start - 1] and c.printed_end == doc.page_labels[c.page_end - 1]
        assert "(PDF p" in c.pages and c.printed_differs
    shown = display_text(a.answer, a.citations)
    assert "(PDF p" in shown and shown != a.answer
    data = a.to_json()
    assert data["citations"][0]["pages_display"] == a.citations[0].pages
    assert data["answer"] == a.answer, "the raw answer keeps the labels the model and the verifier use"
    md = export(a, tmp_path / "a.md").read_text()
    assert a.citations[0].pages in md and "(PDF p" in md

    r = CliRunner().invoke(cli, ["search", "arbitration in Geneva", "--k", "3", "--json"],
                           env={"LONGDOC_HOME": str(journal.home)})
    assert r.exit_code == 0, r.output
    hits = json.loads(r.stdout)["hits"]
    for h in hits:
        a_, b_ = h["pages"]
        assert h["printed_pages"] == [doc.page_labels[a_ - 1], doc.page_labels[b_ - 1]]
        assert "(PDF p" in h["pages_display"]


def test_the_model_cites_pdf_pages_and_verification_stays_exact(journal, llm):
    from fakeserver import Scenario

    from app.answer.ask import ask
    from app.answer.printed_pages import display_text

    # page 3 of the PDF prints 484 and holds the arbitration rules; page 5 (486) holds force majeure
    llm.push(Scenario(content=['Disputes go to "arbitration in Geneva" [D1 p.3]. ',
                               'The rules on "arbitration in Geneva" are on another page [D1 p.5].']))
    a = ask(generative(journal, llm), "Where are disputes settled?")
    by_label = {c.label: c for c in a.citations}
    ok, wrong = by_label["D1 p.3"], by_label["D1 p.5"]
    assert ok.verified and ok.pages == "p. 484 (PDF p. 3)" and ok.display_label == "D1 p. 484 (PDF p. 3)"
    assert not wrong.verified, "a quote checked against the cited PDF page, not a page that prints a like number"
    assert wrong.pages == "p. 486 (PDF p. 5)"
    shown = display_text(a.answer, a.citations)
    assert "[D1 p. 484 (PDF p. 3)]" in shown and "[D1 p. 486 (PDF p. 5)]" in shown
    # what the model was shown: PDF-page labels, nothing printed
    system = llm.requests[-1]["json"]["messages"][0]["content"]
    assert "[D1 p.3" in system and "p. 484" not in system


def test_docx_and_pdf_exports_append_the_highlighted_cited_pages(journal, tmp_path):
    import docx
    import pypdf

    from app.answer.ask import ask
    from app.answer.export import ExportError, export
    from app.answer.pages import evidence_pages

    a = ask(journal, "What are the rules on arbitration in Geneva?")
    ev = evidence_pages(journal, a)
    assert ev and all(e.path is not None and e.path.is_file() for e in ev)
    assert all("(PDF p" in e.caption for e in ev)
    plain = export(a, tmp_path / "plain.docx")
    with_pages = export(a, tmp_path / "pages.docx", evidence=ev)
    d = docx.Document(str(with_pages))
    assert len(d.inline_shapes) == len(ev) and not docx.Document(str(plain)).inline_shapes
    assert any(p.text.startswith("Cited pages") for p in d.paragraphs)
    pdf_plain = len(pypdf.PdfReader(str(export(a, tmp_path / "plain.pdf"))).pages)
    reader = pypdf.PdfReader(str(export(a, tmp_path / "pages.pdf", evidence=ev)))
    assert len(reader.pages) == pdf_plain + len(ev)
    assert sum(len(pg.images) for pg in reader.pages) >= len(ev)
    with pytest.raises(ExportError, match="docx and .pdf"):
        export(a, tmp_path / "a.md", evidence=ev)

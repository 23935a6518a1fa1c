"""Issue 26 item 4: answers that do not overclaim — the footer says what the check checks, quotes are whole
sentences, and the brief summary's shared topics are in every document."""

from __future__ import annotations

from types import SimpleNamespace

from app.answer import summarize
from app.answer.boundaries import whole_sentences
from app.answer.extractive import Unit, units_from_chunks
from app.answer.results import Answer, checked_note


def test_the_footer_says_quotes_checked_verbatim_not_verified():
    ex = Answer("q", "a", "extractive", "none", None, verified_share=1.0)
    gen = Answer("q", "a", "generative", "deepseek", "deepseek-flash", verified_share=0.5)
    assert checked_note(ex) == "quotes checked verbatim"
    assert checked_note(gen).startswith("quotes checked verbatim") and "50%" in checked_note(gen)
    assert "verified" not in checked_note(ex) + checked_note(gen)
    assert checked_note(Answer("q", "a", "generative", "deepseek", "m")) == ""


def test_no_face_or_export_says_sentences_verified():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for f in list((root / "app").rglob("*.py")):
        text = f.read_text(encoding="utf-8")
        assert "cited sentences verified" not in text and "backed by their passages\"" not in text, f


def test_whole_sentences_only():
    texts = ["and the provisions of Section 9 shall survive any termination of this Agreement.",
             "Either party may terminate this Agreement for convenience on ninety days' notice.",
             "Effective Date: 1 May 2019",
             "(a) the Licensee shall pay the royalties set out in Schedule B.",
             "If any provision of this Agreement is held invalid, the remaining provisions shall"]
    assert whole_sentences(texts) == [False, True, True, True, False]
    # cut by the splitter's length limit: the piece stops mid-sentence and the next opens mid-sentence
    assert whole_sentences(["Licensee shall indemnify Licensor against all claims arising from the",
                            "use of the Products by Licensee or its customers."]) == [False, False]


class _Chunk:
    def __init__(self, text: str):
        self.text, self.doc_id, self.page_start, self.page_end, self.char_start = text, "d1", 4, 4, 0
        self.section_path = "12 Severability"


def test_extractive_units_leave_out_a_fragment_at_a_chunk_edge():
    ch = _Chunk("provision shall be severed and the remainder of this Agreement shall continue in full force. "
                "Either party may terminate this Agreement for convenience upon thirty days' written notice. "
                "If any provision of this Agreement is held invalid by a court of competent")
    got = [u.text for u in units_from_chunks([ch], 1, "a.pdf", "A")]
    assert got == ["Either party may terminate this Agreement for convenience upon thirty days' written notice."]


def _u(doc: str, i: int, text: str) -> Unit:
    return Unit(text, doc, 1 if doc == "c" else 2, f"{doc}.pdf", doc, 2, 2, "", i)


def test_a_shared_topic_needs_the_topic_in_each_document():
    contract = SimpleNamespace(doc_id="c", domain="contract", title="Supply Agreement")
    opinion = SimpleNamespace(doc_id="o", domain="court opinion", title="Tarrant v. Herrmann")
    units = {
        "c": [_u("c", 0, "Buyer shall pay each invoice within thirty (30) days of its receipt by Buyer."),
              _u("c", 1, "This Agreement shall be governed by the laws of the State of Texas.")],
        "o": [_u("o", 0, "The compact does not allow Texas to demand water without payment from Oklahoma."),
              _u("o", 1, "We hold that the compact does not preempt the Oklahoma statutes.")],
    }
    sec = summarize._agreements([contract, opinion], units, {"c": 1, "o": 2})
    first = sec.text.split("\n")[0]
    assert first.startswith("All documents address:") and "payment" not in first, sec.text
    # two contracts that both state a payment clause do share it
    other = SimpleNamespace(doc_id="o", domain="contract", title="Services Agreement")
    units["o"] = [_u("o", 0, "Customer shall pay the fees set out in Schedule A within forty-five days.")]
    sec = summarize._agreements([contract, other], units, {"c": 1, "o": 2})
    assert "payment" in sec.text.split("\n")[0], sec.text


def test_a_sentence_cut_at_the_length_limit_is_quoted_whole_and_form_lines_stay():
    from app.answer.boundaries import rejoin

    pieces = ["the Company shall provide Acquiror with access to all existing books, records and other",
              "documents relating to the Company, as Acquiror may reasonably request."]
    assert rejoin(["During the Restricted Period, upon notice:"] + pieces)[1] == " ".join(pieces)
    assert whole_sentences(["FILING ID: 48897809", "Case Number: 5152012"]) == [True, True]

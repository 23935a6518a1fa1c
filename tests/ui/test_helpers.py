"""Drawing helpers and the passage-in-context window: escaping, highlighting, offsets that drift."""

from __future__ import annotations

from app.answer.context_view import passage_in_context
from app.faces.ui.common import error_message, highlight_html, query_terms
from model.base import AuthError


def test_query_terms_drop_stopwords_and_short_words():
    assert query_terms("What is the governing law of it?") == ["governing", "law"]
    assert query_terms("") == []


def test_highlight_escapes_html_and_marks_stems():
    out = highlight_html("<script>x</script> The Agreement was terminated.\nTermination fees", ["termination"])
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<mark>terminated</mark>" in out and "<mark>Termination</mark>" in out
    assert "<br>" in out


def test_highlight_shades_the_focus_span():
    text = "before. THE PASSAGE. after."
    out = highlight_html(text, [], (8, 20))
    assert "border-left" in out and out.index("THE PASSAGE") > out.index("border-left")


def test_context_window_on_paragraph_edges():
    doc = "Intro.\n\n" + "A filler sentence. " * 200 + "\n\nThis Agreement is governed by the laws of Ontario.\n\nEnd."
    i = doc.index("This Agreement")
    v = passage_in_context(doc, i, i + 50, page_start=3, page_end=3, around=300)
    assert v.text[v.focus_start : v.focus_end].startswith("This Agreement is governed")
    assert len(v.text) < 800 and v.page_start == 3


def test_context_finds_the_passage_when_offsets_drift():
    doc = "Alpha para.\n\nThe supplier shall  indemnify the buyer.\n\nOmega."
    v = passage_in_context(doc, 0, 0, passage_text="The supplier shall indemnify the buyer.")
    assert v.text[v.focus_start : v.focus_end].startswith("The supplier shall")
    # text that is not in the document is shown alone, never a wrong place
    v = passage_in_context(doc, 0, 0, passage_text="nothing like this here at all")
    assert v.text == "nothing like this here at all"


def test_error_messages_say_what_to_do():
    # the UI words a failure as every face does (app.faces.present): the same message and hint as the CLI's
    assert error_message(AuthError("invalid API key")) == (
        "model call failed: invalid API key — check LONGDOC_API_KEY / DEEPSEEK_API_KEY (`longdoc doctor`), "
        "or unset LONGDOC_BACKEND to answer extractively")
    assert error_message(LookupError("no document matches 'x'")) == "no document matches 'x'"

"""A document's sentence as it is printed, for what users see: quotes, citations, summaries, exports.

The extractive answerer used to quote `cite.normalize(sentence)`: NFKC plus straight quotes — the form
sentences are *matched* in. For Chinese that rewrites what the document says: ，（）：；“” become , ( ) : ; "
and the user's quote is no longer the document's. Matching still normalises (`cite.squash`,
`cite.content_words` fold NFKC themselves); what is shown keeps every character, and only whitespace is
tidied: a line break inside the sentence becomes one space, or nothing between two CJK characters (the
page's line breaks are not the author's spaces; a space the author typed, "第十二条 适用法律", stays). Text without CJK is shown as before (normalised), so
English answers do not change.
"""

from __future__ import annotations

import re

from app.answer.cite import normalize
from ingest.lexical import has_han

_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\u2018\u2019\u201c\u201d\u2026\u2014"
_BREAK_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])[ \\t]*\\n\\s*(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")


def sentence(text: str) -> str:
    """`text` (a sentence cut from a chunk) as the user should see it."""
    if not has_han(text or ""):
        return normalize(text)
    t = (text or "").replace("\u00ad", "")
    return _SPACES.sub(" ", _BREAK_BETWEEN_CJK.sub("", t)).strip()

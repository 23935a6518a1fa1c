"""What the user and the model are told about a question's route: which documents were read, and why.

The same words reach every face (CLI `ask`, the UI, exports through Answer.route) and the model's prompt, so a
lawyer reading an answer can always see whether it came from the agreement the question named, from each of
the listed ones, or from the documents that matched a question which named none.
"""

from __future__ import annotations

from typing import Any

from retrieval.routed import _deixis as d

ASK_WHICH_BELOW = 0.7  # a question that names none: ask which document is meant unless one gives this much


def labels(packed: Any) -> dict[str, str]:
    return {c.doc_id: c.label for c in (packed.coverage or [])}


def _titled(packed: Any, doc_ids) -> str:
    lab = labels(packed)
    titles = {c.doc_id: c.title or c.file for c in packed.coverage or []}
    return "; ".join(f"{lab.get(d, '?')} {titles.get(d, d[:12])}" for d in doc_ids if d in lab)


def should_ask_which(route: Any) -> bool:
    """A question that points at "the document" without naming it, read over several documents none of which
    dominates the context: the answer asks which one is meant (and still answers for the likely ones)."""
    if route is None or route.narrowed or not route.deictic or len(route.likely) < 2:
        return False
    return route.likely[0].score < ASK_WHICH_BELOW


def which_document_line(route: Any) -> str:
    names = "; ".join(c.title for c in route.likely)
    return (f"Which document do you mean? The question refers to “{_deixis(route)}” but names none, so it was read "
            f"across the library; the answers below come from the documents that match it best ({names}). "
            "Name the document, or select it, to read only that one.")


def _deixis(route: Any) -> str:
    return d(route.question)


def model_instruction(route: Any, packed: Any) -> str:
    """One paragraph appended to the user's question in the prompt: the route as an instruction."""
    if route is None:
        return ""
    if route.mode == "named" and route.doc_ids:
        return (f"(The question names one document: {_titled(packed, route.doc_ids)}. Answer from it alone.)")
    if route.mode == "listed":
        parts = []
        for n, it in enumerate(route.items, 1):
            parts.append(f"({n}) → {_titled(packed, it.doc_ids) or 'not found in the library'}")
        return ("(The question lists several documents; they were found as follows: " + "; ".join(parts)
                + ". Answer for each listed document in turn, labelled with its number and title.)")
    if route.mode == "widened" and route.doc_ids:
        return (f"(It is not certain which document the question means; the candidates read are "
                f"{_titled(packed, route.doc_ids)}. Say which one your answer relies on.)")
    if len({c.doc_id for c in packed.coverage if c.tokens}) > 1 and not route.across:
        likely = _titled(packed, [c.doc_id for c in route.likely])
        ask = (" If it is unclear which document is meant, say so and ask." if should_ask_which(route) else "")
        return (f"(The question names no document; the passages come from several documents, most from {likely}. "
                f"Answer for each document that addresses it, labelled by document.{ask})")
    return ""

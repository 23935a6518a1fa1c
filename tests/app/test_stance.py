"""Issue 26 item 4: a clause that answers vs one that merely shares the question's words (app/answer/stance.py),
and what the extractive answerer and the review's extractive verdict make of it."""

from __future__ import annotations

import pytest

from app.answer import stance
from app.answer.extractive import Unit, rank

CONV = "Which of these agreements can be terminated for convenience, and with how much notice?"


@pytest.mark.parametrize("sentence, want", [
    ("Either party may terminate this Agreement for convenience upon ninety (90) days' prior written notice.", "answers"),
    ("Company may terminate this Agreement at any time, with or without cause, by giving thirty days' notice.", "answers"),
    ("Distributor may terminate this Agreement at any time upon sixty (60) days written notice to Airspan.", "answers"),
    ("Either party may terminate this Agreement if the other party commits a material breach and fails to cure it "
     "within thirty (30) days after written notice.", "opposite"),
    ("This Agreement may be terminated by either party upon the insolvency or bankruptcy of the other party.", "opposite"),
    ("Neither party may terminate this Agreement for convenience.", "opposite"),
    ("The Term shall commence on the Effective Date and continue for five years.", "neutral"),
])
def test_termination_for_convenience_vs_for_cause(sentence, want):
    assert stance.assess(CONV, sentence).verdict == want


def test_for_cause_question_reads_the_contrast_the_other_way():
    q = "Can the agreement be terminated for material breach?"
    assert stance.assess(q, "Either party may terminate upon a material breach by the other party.").verdict == "answers"
    assert stance.assess(q, "Either party may terminate this Agreement for convenience on 30 days' notice.").verdict \
        == "opposite"


@pytest.mark.parametrize("sentence, want", [
    ("Licensor hereby grants to Licensee an exclusive license to sell the Products in the Territory.", "answers"),
    ("Licensor hereby grants to Licensee a non-exclusive, non-transferable license to use the Marks.", "opposite"),
    ("The parties submit to the exclusive jurisdiction of the courts of New York.", "opposite"),
    ("This remedy is the sole and exclusive remedy of the Customer for any breach of warranty.", "opposite"),
])
def test_exclusive_vs_non_exclusive(sentence, want):
    assert stance.assess("Which contracts in the library grant exclusivity?", sentence).verdict == want


def test_a_non_exclusive_question_wants_the_non_exclusive_grant():
    q = "Is the license non-exclusive?"
    assert stance.assess(q, "Licensor grants a non-exclusive license to use the Software.").verdict == "answers"
    assert stance.assess(q, "Licensor grants an exclusive license to use the Software.").verdict == "opposite"


def test_negation_of_what_is_asked_and_questions_about_a_negative():
    q = "Which contracts require a party to maintain insurance?"
    assert stance.assess(q, "Nothing in this Agreement requires either party to carry any insurance.").verdict \
        == "opposite"
    assert stance.assess(q, "Supplier shall maintain product liability insurance of at least $5,000,000.").verdict \
        != "opposite"
    # the question asks about a negative: "shall not compete" is the clause itself
    nc = "Which contracts in the library impose a non-compete obligation?"
    assert stance.assess(nc, "Consultant shall not compete with the Company in the Territory.").verdict != "opposite"
    # a yes/no question is answered by a "no" as well: the negation keeps its weight, the contrast does not
    yn = "Consider the Supply Agreement; Can this contract be assigned?"
    assert stance.is_yes_no(yn) and stance.weight(yn, "Neither party may assign this Agreement without consent.") == 1.0
    assert stance.weight(CONV, "Either party may terminate upon a material breach not cured within 30 days.") < 1.0


def _unit(i: int, text: str, doc: str) -> Unit:
    return Unit(text, doc, i + 1, f"{doc}.pdf", doc.title(), 3, 3, "12 Termination", i)


def test_extractive_answer_leaves_out_a_for_cause_clause_for_a_convenience_question():
    units = [
        _unit(0, "Either party may terminate this Agreement upon written notice if the other party commits a material "
                 "breach of this Agreement which is not cured within thirty days.", "alpha"),
        _unit(1, "Either party may terminate this Agreement for convenience upon ninety (90) days prior written "
                 "notice to the other party.", "beta"),
        _unit(2, "Buyer may terminate this Agreement for any reason upon sixty days written notice to Seller.", "gamma"),
    ]
    got = rank(CONV, units, None, k=3)
    assert got.found
    docs = [u.doc_id for u in got.units]
    assert "beta" in docs and "gamma" in docs
    assert "alpha" not in docs, [u.text for u in got.units]


def _evidence(question: str, text: str):
    from retrieval.review import DocEvidence, EvidencePassage, coverage, key_terms

    terms = key_terms(question)
    p = EvidencePassage("d", ("c1",), text, 5, 5, 0, len(text), "12 Termination", 1.0, 0)
    return DocEvidence("d", question, [p], dense=0.7, cover=coverage(terms, text), sentence_cover=1.0, terms=terms)


def test_the_review_says_yes_only_on_a_clause_that_answers():
    from app.answer.review import extractive_verdict

    q = "Which contracts in the library can be terminated for convenience?"
    cause = _evidence(q, "This Agreement may not be terminated for convenience; it can be terminated only upon a "
                         "material breach not cured within thirty days.")
    assert extractive_verdict(cause)[0] == "unclear"
    conv = _evidence(q, "This Agreement can be terminated by Customer for convenience upon sixty days' written notice.")
    assert extractive_verdict(conv)[0] == "yes"
    ex = "Which contracts in the library grant exclusivity?"
    assert extractive_verdict(_evidence(ex, "Licensor grants the Licensee a non-exclusive license to "
                                            "use the Marks in the Territory."))[0] == "unclear"


@pytest.mark.parametrize("sentence, want", [
    ("Consultant shall not compete with the Company in the Territory during the Term.", "answers"),
    ("The Company hereby appoints the Agent as a placement agent, on a non-exclusive basis, to sell the shares.",
     "opposite"),
    ("The Settlement Agreement does not contain a covenant-non-compete applicable to the Seller.", "opposite"),
    ("WHEREAS, the Parties had entered into a Non-Competition Agreement dated September 30, 2014.", "opposite"),
])
def test_a_covenant_not_to_compete_vs_words_that_look_like_it(sentence, want):
    assert stance.assess("Which contracts in the library impose a non-compete obligation?", sentence).verdict == want


def test_a_non_compete_that_never_says_compete():
    q = "Consider the Promotion Agreement; Is there a non-compete clause in this contract?"
    got = stance.assess(q, "King shall not promote, market or distribute any product containing metformin in the "
                           "Territory during the Term of this Agreement, other than the Product.")
    assert got.verdict == "answers"

"""Does a sentence answer the question, or merely share its words?

Word overlap (BM25, term coverage) and even embeddings rank "either party may terminate this Agreement upon a
material breach" high for "which agreements can be terminated for convenience?": the words are the same, the
clause is the other one. A lawyer reads the contrast at once; this module reads the few that recur in
contracts, by rule, so the extractive answerer and the review's extractive verdict can tell them apart:

- termination **for convenience** (without cause, for any reason, at will) vs **for cause** (breach, default,
  insolvency);
- an **exclusive** grant vs a **non-exclusive** one (and an "exclusive remedy" or "exclusive jurisdiction",
  which is no exclusivity at all);
- **negation**: the thing asked for, said not to be there ("no licence is granted", "without payment",
  "neither party may terminate for convenience") — unless the question asks about the negative itself
  ("non-compete", "anti-assignment", "not to sue").

The verdict is three-way: `answers` (states the side asked about), `opposite` (states the other side, or
negates the thing asked for), `neutral` (neither: the rule has nothing to say). Hand-written because no
package reads contract polarity offline; the rules are generic contract grammar, not any document's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

ANSWERS = "answers"
OPPOSITE = "opposite"
NEUTRAL = "neutral"


@dataclass(frozen=True)
class Stance:
    """How one sentence stands to one question."""

    verdict: str  # ANSWERS | OPPOSITE | NEUTRAL
    by: str = ""  # "convenience" | "cause" | "exclusive" | "non-exclusive" | "negation"
    reason: str = ""

    @property
    def opposite(self) -> bool:
        return self.verdict == OPPOSITE


_NEUTRAL = Stance(NEUTRAL)

# ---- termination: for convenience vs for cause ---------------------------------------------------------------

_TERMINATE = re.compile(r"\bterminat|\bcancel|\bend\s+this\s+agreement\b", re.I)
_ASKS_CONVENIENCE = re.compile(r"\bconvenience\b|\bwithout\s+(?:any\s+)?cause\b|\bat\s+will\b|\bfor\s+any\s+reason\b|"
                               r"\bno\s+reason\b", re.I)
_CONVENIENCE = re.compile(
    r"\bfor\s+(?:(?:its|their|his|her|any\s+party's)\s+)?(?:own\s+)?convenience\b|\bwithout\s+(?:any\s+)?(?:cause|reason)\b|"
    r"\bwith\s+or\s+without\s+cause\b|\bfor\s+any\s+(?:or\s+no\s+)?reason\b|\bfor\s+no\s+reason\b|\bat\s+will\b|"
    r"\bat\s+(?:its|their|his|her)\s+(?:sole\s+)?(?:option|discretion)\b|\bin\s+(?:its|their)\s+sole\s+discretion\b", re.I)
# "may terminate this Agreement at any time upon ninety (90) days' written notice": notice alone, no ground
_ON_NOTICE = re.compile(
    r"\bterminat\w*\b[^.;]{0,80}?\b(?:at\s+any\s+time\b[^.;]{0,40}?)?\b(?:upon|by\s+giving|on|with|after|by)\s+"
    r"(?:at\s+least\s+|not\s+less\s+than\s+)?(?:[a-z-]+\s+)?(?:\(\d+\)\s+)?(?:\d+\s+)?(?:calendar\s+|business\s+)?"
    r"(?:days?|months?|weeks?|years?)['’]?\s+(?:\(\d+\)\s+)?(?:prior\s+|advance\s+)?(?:written\s+)?notice", re.I)
_CAUSE = re.compile(
    r"\bbreach|\bfor\s+cause\b|\bdefault|\binsolven|\bbankrupt|\breceiver|\bwinding[\s-]up\b|\bliquidat|"
    r"\bfails?\s+to\b|\bfailure\s+to\b|\bviolat|\bcure\b|\bcured\b|\bfraud|\bmisconduct|\bnegligen|\bconvicted\b|"
    r"\bassignment\s+for\s+the\s+benefit\s+of\s+creditors\b|\bforce\s+majeure\b|\bchange\s+(?:of|in)\s+control\b", re.I)
_ASKS_CAUSE = re.compile(r"\bfor\s+cause\b|\bbreach|\bdefault|\binsolven|\bbankrupt", re.I)


def _termination(question: str, sentence: str) -> Stance | None:
    q_conv = bool(_ASKS_CONVENIENCE.search(question))
    q_cause = bool(_ASKS_CAUSE.search(question)) and not q_conv
    if not (q_conv or q_cause) or not _TERMINATE.search(question) and not re.search(r"convenience", question, re.I):
        return None
    if not _TERMINATE.search(sentence):
        return None
    conv = bool(_CONVENIENCE.search(sentence))
    cause = bool(_CAUSE.search(sentence))
    notice = bool(_ON_NOTICE.search(sentence))
    if conv and _denied(sentence, _CONVENIENCE.search(sentence).start()):
        return Stance(OPPOSITE if q_conv else NEUTRAL, "convenience", "says it may not be terminated for convenience")
    if q_conv:
        if conv:
            return Stance(ANSWERS, "convenience", "terminable without cause")
        if cause:
            return Stance(OPPOSITE, "convenience", "a termination for cause (breach, default, insolvency), "
                                                   "not for convenience")
        if notice:
            return Stance(ANSWERS, "convenience", "terminable on notice, no ground stated")
        return None
    if cause:
        return Stance(ANSWERS, "cause", "a termination for cause")
    if conv:
        return Stance(OPPOSITE, "cause", "a termination for convenience, not for cause")
    return None


_NOT_A_DENIAL = re.compile(r"\b(?:not|no)\s+(?:less|later|more|fewer|earlier)\s+than\b", re.I)


def _denied(sentence: str, at: int) -> bool:
    """A negator in the clause before `at`, from the "terminate" it qualifies ("neither party may terminate this
    Agreement for convenience", "shall not have the right to terminate … without cause")."""
    head = _NOT_A_DENIAL.sub(lambda m: " " * len(m.group(0)), sentence[:at])
    t = max(head.lower().rfind("terminat"), head.lower().rfind("cancel"))
    if t < 0:
        return False
    clause = re.split(r"[;:,]\s", head[max(0, t - 60): t])[-1]
    return bool(_NEGATOR.search(clause)) or bool(_NEGATOR.search(head[t: at]))


# ---- exclusive vs non-exclusive ------------------------------------------------------------------------------

_NON_EXCLUSIVE = re.compile(r"\bnon[\s-]?exclusiv\w*|\bnot\s+(?:be\s+)?exclusive\w*", re.I)
_NOT_EXCLUSIVITY = re.compile(
    r"\b(?:sole\s+and\s+)?exclusive\s+(?:(?:and\s+sole\s+)?remed\w+|jurisdiction|venue|forum|property|owner\w*|"
    r"means|responsibility|liability|obligation|source\s+of\s+(?:its|the)\s+remed\w*)|\bexclusive\s+of\b|"
    r"\bexclusively\s+(?:governed|construed|in\s+the\s+courts|before)\b|\bexclusiv\w*\s+(?:by|in|before)\s+the\s+courts?\b|"
    r"\bsubmit\w*\s+to\s+the\s+(?:non[\s-]?)?exclusive\b", re.I)
_EXCLUSIVE = re.compile(r"\bexclusiv\w*", re.I)


def _exclusivity(question: str, sentence: str) -> Stance | None:
    if not _EXCLUSIVE.search(question):
        return None
    asks_non = bool(_NON_EXCLUSIVE.search(question))
    rest = _NON_EXCLUSIVE.sub(" ", sentence)
    has_non = rest != sentence
    rest = _NOT_EXCLUSIVITY.sub(" ", rest)
    had_other = bool(_EXCLUSIVE.search(_NON_EXCLUSIVE.sub(" ", sentence))) and not _EXCLUSIVE.search(rest)
    exclusive = bool(_EXCLUSIVE.search(rest))
    if asks_non:
        if has_non:
            return Stance(ANSWERS, "non-exclusive", "a non-exclusive grant")
        if exclusive:
            return Stance(OPPOSITE, "non-exclusive", "an exclusive grant, not a non-exclusive one")
        return None
    if exclusive:
        return Stance(ANSWERS, "exclusive", "an exclusive right")
    if has_non:
        return Stance(OPPOSITE, "exclusive", "a non-exclusive grant, not an exclusive one")
    if had_other:
        return Stance(OPPOSITE, "exclusive", "an exclusive remedy, forum or property, not an exclusive right")
    return None


# ---- a covenant not to compete vs words that merely look like it -----------------------------------------------

_ASKS_COMPETE = re.compile(r"non-?\s?compet|not\s+to\s+compete|\bcompet", re.I)
_COMPETE = re.compile(r"\bnon-?\s?compet\w*|\bcompet\w*", re.I)
_DENIES_COVENANT = re.compile(r"\b(?:does|do|did|shall|will)\s+not\s+(?:contain|include|have|impose)\b|"
                              r"\bno\s+(?:covenant|obligation|restriction)\b|\bnothing\b", re.I)


# "King shall not promote, market or distribute any product containing …": a non-compete that never says "compete"
_RESTRICTS = re.compile(r"\b(?:shall|will|may|agrees?\s+(?:that\s+it\s+will|to))\s+not\s+(?:\w+\s+){0,3}?"
                        r"(?:promote|market|distribute|sell|engage|develop|manufacture|solicit|offer|carry\s+on|"
                        r"own|operate|provide|license|acquire|invest)\b", re.I)


def _competition(question: str, sentence: str) -> Stance | None:
    """"Which contracts impose a non-compete obligation?": "non-exclusive" and "Company" share its letters, not its
    meaning — a covenant not to compete speaks of competition; a recital naming a Non-Competition Agreement, or a
    sentence saying there is none, is not one."""
    if not _ASKS_COMPETE.search(question.rsplit(";", 1)[-1]):
        return None
    m = _COMPETE.search(sentence)
    if not m:
        if _RESTRICTS.search(sentence):
            return Stance(ANSWERS, "compete", "restricts a competing activity")
        return Stance(OPPOSITE, "compete", "says nothing of competition")
    if _DENIES_COVENANT.search(sentence[: m.start()]):
        return Stance(OPPOSITE, "compete", "says there is no such covenant")
    if re.match(r"^\W*WHEREAS\b", sentence) or re.search(r"\bentered\s+into\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,4}Agreement\b",
                                                         sentence[: m.end() + 40], re.I):
        return Stance(OPPOSITE, "compete", "a recital or another agreement's name, not the covenant")
    return Stance(ANSWERS, "compete", "a covenant about competition")


# ---- negation of the thing asked for -------------------------------------------------------------------------

_QUESTION_WORDS = frozenset("""what which who whom whose when where why how is are was were does do did can could may might
must shall should will would has have had any there this that these those the a an of in on for to by with and or under
contract contracts agreement agreements document documents library libraries clause clauses provision provisions party parties
consider between its their it be been being give gives grant grants impose imposes require requires state states
allow allows permit permits contain contains include includes term terms conditions condition about says""".split())
# a negator right before the word it negates ("no license", "without payment", "not to terminate", "neither …
# nor", "nothing herein … grants"): a modal's "shall not" counts too — the thing is said not to be done
_NEGATOR = re.compile(r"\b(?:no|not|without|nothing|none|neither|nor|never|cannot|non|nor\s+any|not\s+any)\b|n['’]t\b",
                      re.I)
_QUESTION_NEGATES = re.compile(r"\b(?:non|anti|not|no|without|never|prohibit\w*|restrict\w*|limit\w*|cap|waive\w*)\b"
                               r"|\bnon-|\banti-", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# "Nothing in this Agreement requires … insurance", "No license … is granted": a clause that opens negated
_CLAUSE_NEGATED = re.compile(r"^\W*(?:\([\w.]+\)\s*)?(?:nothing|no|neither|none)\b", re.I)
_CLAUSE_SEP = re.compile(r"[;:]\s|,\s+(?:but|provided|except|however|unless|and|or)\b|\.\s", re.I)


def _stem(w: str) -> str:
    w = w.lower().replace("’", "'")
    w = re.sub(r"'s$", "", w)
    return w if len(w) <= 5 else w[: max(5, len(w) - 3)]


def _topic(question: str) -> list[str]:
    """The question's topic words: its content words past "Consider the X;" (what the clause must say)."""
    focus = question.rsplit(";", 1)[-1]
    out = []
    for w in _WORD.findall(focus):
        lw = w.lower().strip("'’-")
        if len(lw) < 4 or lw in _QUESTION_WORDS:
            continue
        out.append(_stem(lw))
    return list(dict.fromkeys(out))


def _negated(question: str, sentence: str) -> Stance | None:
    """The question's topic, said not to be there: every mention of a topic word in the sentence follows a
    negator within three words, and the question itself does not ask about a negative."""
    if _QUESTION_NEGATES.search(question.rsplit(";", 1)[-1]):
        return None  # "non-compete", "anti-assignment", "not to sue", "cap on liability": the negative is the topic
    topic = _topic(question)
    if not topic:
        return None
    words = [(m.start(), m.group(0)) for m in _WORD.finditer(sentence)]
    stems = [_stem(w) for _, w in words]
    hit = neg = 0
    for i, s in enumerate(stems):
        if not any(s.startswith(t) or t.startswith(s) and len(s) >= 5 for t in topic):
            continue
        hit += 1
        window = " ".join(w for _, w in words[max(0, i - 3): i])
        clause = _CLAUSE_SEP.split(sentence[: words[i][0]])[-1]
        if _NEGATOR.search(window) or _CLAUSE_NEGATED.match(clause):
            neg += 1
    if hit and neg == hit:
        return Stance(OPPOSITE, "negation", "says the thing asked about is not there (no / not / without)")
    return None


# ---- the verdict ---------------------------------------------------------------------------------------------


def assess(question: str, sentence: str) -> Stance:
    """How `sentence` stands to `question`: answers it, states the opposite, or neither (see the module doc)."""
    if not question or not sentence:
        return _NEUTRAL
    for rule in (_termination, _exclusivity, _competition, _negated):
        got = rule(question, sentence)
        if got is not None:
            return got
    return _NEUTRAL


_YES_NO = re.compile(r"^\s*(?:is|are|was|were|does|do|did|can|could|may|might|must|shall|should|will|would|has|have|"
                     r"had)\b", re.I)


def is_yes_no(question: str) -> bool:
    """A yes/no question ("Can this contract be assigned?"): a sentence that says no answers it as well."""
    return bool(_YES_NO.match(question.rsplit(";", 1)[-1]))


def weight(question: str, sentence: str) -> float:
    """A factor for a sentence's answer score: up where it states what is asked, down where it states the
    opposite. A negation answers a yes/no question (its answer is "no") and keeps its score there; the other
    side of a contrast (for cause vs for convenience) answers neither kind."""
    st = assess(question, sentence)
    if st.verdict == ANSWERS:
        return 1.2
    if st.verdict == OPPOSITE:
        return 1.0 if st.by == "negation" and is_yes_no(question) else 0.45
    return 1.0


def states_opposite(question: str, sentences: Iterable[str]) -> Stance | None:
    """The stance of the sentences that carry a question's terms when every one of them states the opposite of
    what it asks (the review's extractive "yes" must not rest on a for-cause clause or a "no licence"); None
    when any of them answers or is neutral, or there are none."""
    got = [assess(question, s) for s in sentences]
    return got[0] if got and all(g.opposite for g in got) else None

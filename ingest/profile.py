"""Document profiles: title, type, parties/authors, dates, court and case number, first page, headings and a
short extractive abstract, read from a document's text alone (no model).

Hand-written rules, like ingest/structure.py: no library reads a contract's preamble, an opinion's caption or a
paper's title block from plain text (layout-based extractors need the fonts pypdf does not give). The rules are
generic — preamble grammar ("by and between X and Y"), caption grammar ("X v. Y", "X, Plaintiff, versus Y"),
defined terms (“Depomed”), docket and reporter numbers, date formats — and text-layer repairs use the document's
own vocabulary (letter-spaced small capitals "E LICITING" are joined only into a word the document uses).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from ingest.letters import mostly_capitals
from ingest.types import PROFILE_VERSION, Heading, ParsedDocument, Profile

OPENING_CHARS = 5000  # where preambles, captions and title blocks live
FIRST_PAGE_CHARS = 1500
ABSTRACT_CHARS = 600
MAX_PARTIES = 8
HEADER_WORDS = 40  # a chunk header is cut (by words) well inside the embedder's window

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), start=1)}
_MONTH_ABBR = {m[:3]: i for m, i in _MONTHS.items()} | {"sept": 9}
_MONTH_RX = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
             r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE_MDY = re.compile(rf"(?<![A-Za-z])({_MONTH_RX})\s*(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(\d{{4}})\b", re.I)
# "31st day of July, 2019", "19 DAY OF MAY , 2010", "31 December, --------- 1996" (a blank left in the form)
# "1 st day of May 2006" (a split suffix), "as of1 August 2019" (no space), "the 20 March day of 1998"
_DATE_DMY = re.compile(rf"(?<![\d/.-])(\d{{1,2}})\s?(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?({_MONTH_RX})\s*,?\s*"
                       rf"(?:day\s+of\s+)?(?:[-_]{{2,}}\s*)?(\d{{4}})\b", re.I)
# "Effective Date: 11/4/10": a two-digit year, read only right after a date label
_DATE_NUM_YY = re.compile(r"\b(?:date|dated)\s*:?\s*(\d{1,2})/(\d{1,2})/(\d{2})\b", re.I)
_DATE_NUM = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DATE_ZH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")  # 2024年5月1日
_DATE_MY = re.compile(rf"\b({_MONTH_RX})\s+(\d{{4}})\b", re.I)

_AGREEMENT_NOUN = (r"(?:AGREEMENT|Agreement|CONTRACT|Contract|LICEN[CS]E|Licen[cs]e|AMENDMENT|Amendment|ADDENDUM|"
                   r"Addendum|LEASE|Lease|MEMORANDUM|Memorandum|TERMS AND CONDITIONS|Terms and Conditions|PLAN|Plan|"
                   r"DEED|Deed|CHARTER|Charter|PROTOCOL|Protocol|UNDERTAKING|Undertaking|ARRANGEMENT|Arrangement)")
_HAS_AGREEMENT_NOUN = re.compile(rf"\b{_AGREEMENT_NOUN}\b")
_NOTICE = re.compile(
    r"omitted|confidential|redact|securities and exchange|pursuant to|rule \d|\[\*|\*\*\*|filed separately|"
    r"treatment|portions of|exhibit \d|quicklinks|click here|^page\b|^table of contents|^execution (?:copy|version)|"
    r"^form of\b|translation|p\.\s?o\.\s?box|\bphone\b|\bfax\b|\btel\.|\bsuite\s+\d", re.I)
_BAD_PARTY = re.compile(
    r"\b(?:agreement|whereas|this|between|hereby|hereto|means|meaning|shall|dated|date|page|signatory|exhibit|"
    r"schedule|section|article|conditions|terms|p\.m|a\.m|recitals?)\b|^\d+\.\s|_{3,}|^[A-H]\.\s|"
    r"^(?:Ph\.?\s?D|M\.?D|Esq|Jr|Sr|J\.?D|LL\.?M|MBA)\.?$|"
    r"^(?:the\s+)?(?:company|licensee|licensor|distributor|consultant|supplier|customer|client|party|parties|"
    r"(?:delaware|nevada|florida|california|new york|texas|british columbia|italian|technology|holding)\s+(?:company|corporation))$",
    re.I)
_THIS_AGREEMENT = re.compile(  # the longest run of capitalised words up to a noun: "THIS LICENSE AND RESELLER AGREEMENT"
    rf"\b(?:This|THIS)\s+((?:[A-Z0-9][\w&'’./-]*,?\s+(?:(?:and|AND|of|OF|to|TO|for|FOR|on|ON|in|IN|&)\s+)?){{0,9}}"
    rf"{_AGREEMENT_NOUN})\b")
_BETWEEN = re.compile(r"\b(?:by\s+and\s+between|by\s+and\s+among|between|among|(?<=entered into )by|(?<=made )by)\b\s*:?\s*",
                      re.I)
_PARTY_END = re.compile(
    r"\s*(?i:\bdated\b|\bWHEREAS\b|\bRECITALS?\b|\bWITNESSETH\b|\bNOW,?\s+THEREFORE\b|\bIN CONSIDERATION\b|"
    r"\bBACKGROUND\b|\bPREAMBLE\b|\bagrees?\b|\bhereby\b|\bEach of the parties\b|\bThe parties\b|\bTABLE OF CONTENTS\b|"
    r"\bas of\b|\beffective\b)|\n\s*\d+\.\s|\b(?:This|THIS)\s+(?:[A-Z][\w-]*\s+){0,4}(?:Agreement|AGREEMENT)\b")
_SENTENCE_END = re.compile(r"\.\s+(?!Hereinafter\b|HEREINAFTER\b|Hereafter\b|HEREAFTER\b)(?=[A-Z][a-z]|\d+\.\s)|\.\s*$")
_ABBREV_END = re.compile(r"(?:\b(?:Inc|Ltd|Co|Corp|Cos|Bros|Jr|Sr|No|St|Mr|Ms|Mrs|Dr|Prof|Avv|Ing|Hon|Messrs|Esq|Ltda|Pty|Pte|Plc|Bhd|"
                         r"S\.r\.l|S\.R\.L)|"
                         r"\b[A-Z](?:\.[A-Z])+|\b[A-Z])$", re.I)


def _segment_end(seg: str, start: int = 3) -> int:
    """Where a preamble's list of parties ends: a closing word ("dated", "WHEREAS", "agree") or the end of the
    sentence — a period that does not close an abbreviation ("Inc.", "L.P.") and is followed by a new sentence."""
    end = len(seg)
    m = _PARTY_END.search(seg, start)
    if m:
        end = m.start()
    for m in _SENTENCE_END.finditer(seg, start):
        if m.start() >= end:
            break
        if not _ABBREV_END.search(seg[max(0, m.start() - 6): m.start()]) and not re.search(
                r"(?:^|\s)\(?\d{1,2}$", seg[max(0, m.start() - 4): m.start()]):  # "… AND 2. Blackwell": a list number
            return m.start()
    return end


_PARTY_CUT = re.compile(
    r"\s*(?:,?\s+an?\s+(?:[A-Z][\w.-]*\s+){0,4}(?:corporation|company|limited|partnership|association|bank|trust|"
    r"organi[sz]ation|entity|subsidiary|individual|citizen|resident|society|municipal|body|national|"
    r"[a-z]+\s+(?:corporation|company|partnership))|\(|,?\s+with\s+(?:its|a|an|offices|principal)\b|,?\s+having\b|"
    r",?\s+located\b|,?\s+whose\b|,?\s+organi[sz]ed\b|,?\s+incorporated\b|,?\s+represented\b|,?\s+residing\b|"
    r",?\s+doing business\b|,?\s+on behalf of\b|,?\s+[sdwr]/o\b|,?\s+in\s+(?:his|her|its)\s+individual\b|,?\s+acting\b|,\s*\d{2,}\s|\s+\d{2,}\s+(?![A-Z]{2,}\b)|,\s+(?:a|an)\s|;|"
    r"\s+(?i:of)\s+(?=\d)|\s+of\s+(?:[A-Z][\w'’-]*\s+){1,3}(?:House|Street|Road|Avenue|Building|Tower|Plaza|Centre|Center|Court)\b|"
    r",?\s+an?\s+(?:[A-Z][\w.-]*\s+){0,3}(?:Company|Corporation|Limited Liability Company|Partnership|Individual)\b)")
_SUFFIX = (r"(?:Inc|Incorporated|Corporation|Corp|Company|Co|LLC|L\.L\.C|Ltd|Limited|LLP|L\.L\.P|L\.P|LP|PLC|plc|"
           r"N\.A|S\.A|S\.A\.S|S\.R\.L|S\.r\.l|SRL|AG|KG|GmbH|B\.V|N\.V|S\.p\.A|SpA|Pty|S\.L|SE|AB|A/S|Oy|K\.K|Trust|Bank|University|Fund)")
_COMPANY = re.compile(rf"((?:(?:The|THE)\s+)?(?:(?:[A-Z0-9]|\b[a-z]{{1,2}}-?[A-Z])[\w&'’.-]*,?\s+){{0,6}}?"
                      rf"(?:[A-Z0-9]|\b[a-z]{{1,2}}-?[A-Z])[\w&'’.-]*,?\s+{_SUFFIX}\b\.?)")
_QUOTED = re.compile(r"[(\[]\s*(?:the\s+|hereinafter\s+(?:referred\s+to\s+as\s+)?|collectively,?\s+|each\s+a\s+|"
                     r"individually\s+)?[\"“”']([^\"“”']{2,40})[\"“”']")
_COURT_LINE = re.compile(
    r"^(?:in\s+the\s+)?((?:united\s+states\s+)?(?:supreme|superior|district|circuit|appellate|bankruptcy|chancery|family|"
    r"tax|claims|county|municipal|probate|juvenile|magistrate)\s+court\b.*|court\s+of\s+(?:appeals?|chancery|"
    r"claims|criminal\s+appeals|common\s+pleas|federal\s+claims|international\s+trade)\b.*|"
    r"united\s+states\s+court\s+of\s+appeals.*|supreme\s+court\s+of\s+.*)$", re.I)
_CASE_NO = re.compile(
    r"\b(?:(?:Case|Docket|Civil\s+Action|Criminal\s+Action|C\.\s?A\.|Cause|Appeal|Index|Misc\.|Civ\.)\s+)?"
    r"Nos?\.\s*:?\s*([0-9]{1,4}[A-Za-z]?[–\-:/.][\w–\-:/.]*\w(?:\s?\((?:[A-Z]{2,6})\))?)")
_REPORTER = re.compile(r"\b(\d{4}\s+WL\s+\d{3,})|\b(\d{1,3}\s+U\.\s?S\.\s+\d{1,4})|\b(\d{1,4}\s+F\.\s?(?:2d|3d|4th|Supp\.(?:\s?[23]d)?)\s+\d{1,4})")
_ARXIV = re.compile(r"\barXiv:\s?(\d{4}\.\d{4,5}(?:v\d+)?)", re.I)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+[\w/])")
_VERSUS_LINE = re.compile(r"^(?:v\.?|vs\.?|versus|-?\s*against\s*-?|-\s*v\s*-)$", re.I)
_ROLES = (r"plaintiffs?|defendants?|appellants?|appellees?|petitioners?|respondents?|movants?|claimants?|"
          r"cross[- ]appellants?|cross[- ]appellees?|intervenors?|debtors?|relators?|third[- ]party")
_ROLE = re.compile(rf"\b(?:{_ROLES})\b", re.I)
_REPORTER_CITE = re.compile(r"\d+\s+(?:U\.\s?S\.|F\.\s?\d|S\.\s?Ct\.|L\.\s?Ed|A\.\s?\d|P\.\s?\d|N\.E\.|N\.W\.|S\.E\.|S\.W\.|So\.)")
_VENUE = re.compile(
    r"^(?:volume\s+\d|vol\.\s*\d|proceedings\b|in\s+proceedings\b|published\s+(?:as|in|at)\b|accepted\s+(?:at|to|by|for)\b|"
    r"under\s+review\b|preprint\b|arxiv\b|copyright\b|doi\b|issn\b|isbn\b|www\.|"
    r"journal\s+of\b|transactions\s+on\b|findings\s+of\b|workshop\s+on\b|association\s+for\b|"
    r"\d{4}\s+(?:association|conference|ieee|acm)\b)|©|\(c\)\s*\d{4}|https?://|\bproceedings\s+of\b|"
    r"\bassociation\s+for\s+computational\s+linguistics\b|\bpages?\s+\d+\s*[–-]\s*\d+|\bpp\.\s*\d+|@\w", re.I)
_BRACKETED = re.compile(r"^\[[^\]]*\]\.?$")
_SMALL_WORDS = frozenset("a an and as at but by for from in into nor of on or per the to v. vs. via with et al. upon".split())
_KEEP_UPPER = frozenset("LLC LLP LP PLC NA SA AG NV BV USA US UK EU IP TV II III IV VI VII VIII IX XI XII XIII GMBH".split())
_AFFILIATION = re.compile(
    r"universit|institut|laborator|\blab\b|school|department|dept\.|college|academy|research|center|centre|"
    r"google|microsoft|deepmind|openai|meta\b|facebook|amazon|\bibm\b|inc\b|corp|email|@|\d", re.I)


# ---------------------------------------------------------------------------------------------------------
# small text helpers


def _squash(s: str) -> str:
    return " ".join((s or "").split())


def _vocabulary(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{2,}", text)}


def repair_spacing(s: str, vocab: set[str]) -> str:
    """Undo text-layer spacing: "E LICITING" → "ELICITING", "V olume" → "Volume", "WEAK -TO" → "WEAK-TO",
    "GENERALIZATION :" → "GENERALIZATION:".

    A capital split from the rest of its word is joined when the joined word is one the document uses, or
    when the capital is not a one-letter word (A, I) and the rest is not a word either.
    """

    def join(m: re.Match) -> str:
        letter, rest = m.group(1), m.group(2)
        whole = (letter + rest).lower()
        if not (rest.isupper() or rest.islower()):
            return m.group(0)  # "Quoc V Le": a name, not a split word
        if whole in vocab or (letter not in "AI" and rest.lower() not in vocab):
            return letter + rest
        return m.group(0)

    s = re.sub(r"(?<![A-Za-z'’.])([A-Z]) ([A-Za-z]{2,})\b", join, s)
    s = re.sub(r"(?<=\w) +-(?=[A-Za-z])", "-", s)
    s = re.sub(r"(?<=\w)- +(?=[A-Z]{2,}\b)", "-", s)
    s = re.sub(r"(?<=\w) +([:;,!?])(?=\s|$)", r"\1", s)
    return _squash(s)


def _mostly_upper(s: str) -> bool:
    return mostly_capitals(s, 3)


def _acronyms(text: str) -> set[str]:
    """Words the document itself writes in capitals more often than not (RAPTOR, LLC): kept as they are."""
    up: Counter = Counter()
    other: Counter = Counter()
    for line in text.split("\n"):
        if _mostly_upper(line):
            continue  # headings and running heads are in capitals whatever their words are
        for w in re.findall(r"\b[A-Za-z][A-Za-z0-9]+\b", line):
            (up if w.isupper() else other)[w.lower()] += 1
    # an acronym recurs in capitals ("RAPTOR", "LLC"); "This SUPPLY AGREEMENT" once does not make one
    return {w for w, n in up.items() if n >= 3 and n > other.get(w, 0)}


def title_case(s: str, acronyms: set[str] = frozenset()) -> str:
    """An ALL-CAPS line in title case, keeping acronyms the document writes in capitals and corporate suffixes."""
    if not _mostly_upper(s):
        return s
    out = []
    words = s.split()
    for i, w in enumerate(words):
        core = re.sub(r"[^\w]", "", w)
        if not core:
            out.append(w)
            continue
        if core.upper() in _KEEP_UPPER or re.search(r"\d", w) or re.fullmatch(r"(?:[A-Z]\.){2,}[A-Z]?\.?,?", w):
            out.append(w)
            continue
        if core.lower() in acronyms and len(core) >= 2 and i < len(words):
            out.append(w)
            continue
        if i and w.lower().strip(",") in _SMALL_WORDS:
            out.append(w.lower())
            continue
        parts = w.split("-")
        out.append("-".join(part.lower() if j and part.lower() in _SMALL_WORDS else _cap(part)
                            for j, part in enumerate(parts)))
    return " ".join(out)


def _cap(part: str) -> str:
    m = re.match(r"^([^A-Za-z]*)([A-Za-z])(.*)$", part)
    if not m:
        return part
    return m.group(1) + m.group(2).upper() + m.group(3).lower()


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z“\"(])", _squash(text))
    return [p for p in parts if p]


# ---------------------------------------------------------------------------------------------------------
# dates, numbers, courts


def _iso(y: int, m: int | None = None, d: int | None = None) -> str | None:
    if not 1600 <= y <= 2200:
        return None
    if m is None:
        return f"{y:04d}"
    if not 1 <= m <= 12:
        return None
    if d is None:
        return f"{y:04d}-{m:02d}"
    if not 1 <= d <= 31:
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def _month(name: str) -> int | None:
    n = name.lower().rstrip(".")
    return _MONTHS.get(n) or _MONTH_ABBR.get(n[:4] if n.startswith("sept") else n[:3])


# "that certain Distributor Agreement dated …", "amends the Supply Agreement dated …": an earlier agreement's date
_EARLIER = re.compile(r"\bthat\s+certain\b|\b(?:original|existing|prior|underlying)\b|"
                      r"\b(?:the|an?|said)\s+(?:[A-Z][\w&-]*\s+){0,6}(?:Agreement|Contract|Licen[cs]e|Lease)\s*,?\s*"
                      r"(?:\([^)]*\)\s*)?(?:between\s+the\s+parties\s+)?(?:dated|made|entered\s+into|executed|effective)",
                      re.I)
_DATED = re.compile(r"\b(?:dated|made|entered\s+into|executed|effective|signed|as\s+of|day\s+of|date\s*:)\b", re.I)


def agreement_date(text: str) -> str:
    """The date a contract says it is made, dated or effective ("entered into as of the 31 day of July, 2019"): the
    first date with such words in the 80 characters before it; "" when none."""
    for at, iso in _dated_mentions(text):
        before = text[max(0, at - 80): at]
        if len(iso) == 10 and _DATED.search(before) and not _EARLIER.search(before):
            return iso
    return ""


def _dated_mentions(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for m in _DATE_MDY.finditer(text):
        iso = _iso(int(m.group(3)), _month(m.group(1)), int(m.group(2)))
        if iso:
            found.append((m.start(), iso))
    for m in _DATE_DMY.finditer(text):
        iso = _iso(int(m.group(3)), _month(m.group(2)), int(m.group(1)))
        if iso:
            found.append((m.start(), iso))
    for m in _DATE_NUM.finditer(text):
        iso = _iso(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        if iso:
            found.append((m.start(), iso))
    for m in _DATE_NUM_YY.finditer(text):
        yy = int(m.group(3))
        iso = _iso(yy + (2000 if yy <= 40 else 1900), int(m.group(1)), int(m.group(2)))
        if iso:
            found.append((m.start(1), iso))
    return sorted(found)


# where a signature block dates the contract: "Date: November 5, 2019" under a signature, "IN WITNESS WHEREOF …
# duly authorized. Rome/Houston, 2 April 2020", or a date alone on its line under a signature ("19 Jan. 1998")
_SIGNED_LABEL = re.compile(r"\b(?:date|dated|signed\s+on)\s*:\s*$", re.I)
_WITNESS = re.compile(r"\bIN\s+WITNESS\s+WHEREOF\b|\bduly\s+authori[sz]ed\b|\bexecuted\s+(?:this|as\s+of)\b", re.I)


def signature_date(text: str) -> str:
    """The date a contract's signature block gives, for a contract whose opening states none: the first date
    labelled "Date:" after the agreement's text starts, else the first date within 400 characters after "IN
    WITNESS WHEREOF", else the first date alone on a line in the last third. "" when none."""
    mentions = _dated_mentions(text)
    for at, iso in mentions:
        if len(iso) == 10 and _SIGNED_LABEL.search(text[max(0, at - 12): at]):
            return iso
    w = _WITNESS.search(text, len(text) // 3)
    if w:
        for at, iso in mentions:
            if w.start() <= at <= w.end() + 400 and len(iso) == 10:
                return iso
    for at, iso in mentions:
        if at >= len(text) * 2 // 3 and len(iso) == 10:
            line_start = text.rfind("\n", 0, at) + 1
            line_end = text.find("\n", at)
            line = text[line_start: line_end if line_end >= 0 else len(text)]
            if len(line.strip()) <= 24 or re.match(r"^\s*[A-Z][\w.-]+(?:[ /][A-Z][\w.-]+)?,\s*$", text[line_start: at]):
                return iso  # "19 Jan. 1998" alone, or a place and the date: "Hamburg, November 19th, 2012"
    return ""


def find_dates(text: str, limit: int = 6) -> list[str]:
    """ISO dates in order of first mention (day precision first; a bare "June 2024" only when nothing finer)."""
    found = _dated_mentions(text)  # month-day-year, day-month-year, numeric
    for m in _DATE_ZH.finditer(text):
        iso = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:
            found.append((m.start(), iso))
    for m in _DATE_ISO.finditer(text):
        iso = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:
            found.append((m.start(), iso))
    if not found:
        for m in _DATE_MY.finditer(text):
            iso = _iso(int(m.group(2)), _month(m.group(1)))
            if iso:
                found.append((m.start(), iso))
    out: list[str] = []
    for _, iso in sorted(found):
        if iso not in out:
            out.append(iso)
    return out[:limit]


def find_court(lines: Sequence[str]) -> str:
    for i, ln in enumerate(lines[:60]):
        s = _squash(ln).strip(" .,:")
        if len(s) > 120:
            continue
        m = _COURT_LINE.match(s)
        if not m:
            continue
        court = m.group(1)
        nxt = _squash(lines[i + 1]) if i + 1 < len(lines) else ""
        if re.match(r"^for\s+the\s+", nxt, re.I) and len(nxt) < 80 and not re.search(r"\bv\.", nxt):
            court = f"{court} {nxt}"
        court = re.split(r"\s+(?:No\.|Case|Argued|Decided|Filed|Submitted)\b", court)[0].strip(" .,")
        return title_case(court)
    return ""


def find_case_number(text: str) -> str:
    m = _CASE_NO.search(text)
    return m.group(1).strip(" .,") if m else ""


def find_identifiers(text: str, domain: str = "") -> list[str]:
    """The document's own numbers: a reporter or Westlaw citation printed at its head ("2012 WL 3860732"),
    arXiv ids, DOIs. Citations further down an opinion's first page are other cases', so only the head counts."""
    out: list[str] = []
    for m in _REPORTER.finditer(text[:400]):
        cite = _squash(next(g for g in m.groups() if g))
        if cite not in out:
            out.append(cite)
    for m in _ARXIV.finditer(text):
        out.append("arXiv:" + m.group(1))
    for m in _DOI.finditer(text):
        out.append("doi:" + m.group(1))
    return list(dict.fromkeys(out))[:6]


# ---------------------------------------------------------------------------------------------------------
# court captions


def _strip_roles(s: str) -> str:
    s = re.split(rf",?\s*\b(?:{_ROLES})\b", s, flags=re.I)[0]
    return s.strip(" ,.;:-–")


def _clean_party(s: str, acronyms: set[str]) -> str:
    s = _squash(s)
    s = re.sub(r"^(?:re|in\s+re|matter\s+of|in\s+the\s+matter\s+of)\s*:\s*", "", s, flags=re.I)
    s = s.strip(" ,;:-–")
    if s.endswith(".") and not _ABBREV_END.search(s[:-1][-6:]):
        s = s[:-1]
    etal = bool(re.search(r"\bet\s+al\b\.?$", s, re.I))
    s = re.sub(r",?\s*\bet\s+al\b\.?$", "", s, flags=re.I).strip(" ,")
    words = s.split()
    if any(_mostly_upper(w) for w in words if len(w) > 2):
        s = " ".join(title_case(w, acronyms) if _mostly_upper(w) else w for w in words)
    return (s + " et al.") if etal and s else s


def find_caption(lines: Sequence[str], acronyms: set[str]) -> tuple[str, list[str]]:
    """The case name ("Tarrant Regional Water District v. Herrmann et al.") and its two sides, from page 1."""
    ls = [_squash(x) for x in lines[:80]]
    # "X v. Y" on one line (maybe continuing on the next lines while they stay in capitals)
    best: tuple[int, str, list[str]] | None = None
    for i, s in enumerate(ls):
        if not s or len(s) > 200 or _REPORTER_CITE.search(s) or re.match(r"^(?:see|cf\.|accord)\b", s, re.I):
            continue
        m = re.search(r"\s(?:v\.|vs\.?|versus)(?:\s|$)", s)
        if m and not _VERSUS_LINE.match(s):
            left, right = s[: m.start()], s[m.end():]
            if not left.strip() and i > 0:
                left = ls[i - 1]
            j = i + 1
            while (not right.strip() or right.rstrip().endswith((",", "OF", "AND", "&"))) and j < len(ls) and ls[j] and _mostly_upper(ls[j]):
                right = f"{right} {ls[j]}"
                j += 1
            while j < len(ls) and ls[j] and _mostly_upper(ls[j]) and len(right) + len(ls[j]) < 140 and not re.match(
                    r"^(?:C\.A\.|No\.|CERTIORARI|ON\s|APPEAL|BEFORE)", ls[j]) and not _ROLE.search(ls[j]) and right.rstrip().endswith((",", "OF", "AND", "&", "THE")):
                right = f"{right} {ls[j]}"
                j += 1
            a, b = _clean_party(_strip_roles(left), acronyms), _clean_party(_strip_roles(right), acronyms)
            if a and b and len(a) < 120 and len(b) < 120:
                score = (2 if _mostly_upper(s) else 0) + (1 if len(s) < 120 else 0)
                if best is None or score > best[0]:
                    best = (score, f"{a} v. {b}", [a, b])
                if score >= 2:
                    break
    # "X,\nPlaintiff-Appellant,\nversus\nY,\nDefendant-Appellee." — the versus on a line of its own
    for i, s in enumerate(ls):
        if not _VERSUS_LINE.match(s or "x"):
            continue
        before = ls[max(0, i - 6): i]
        after = ls[i + 1: i + 7]
        left = _side(before[::-1], reverse=True)
        right = _side(after)
        a, b = _clean_party(left, acronyms), _clean_party(right, acronyms)
        if a and b:
            return f"{a} v. {b}", [a, b]
    if best:
        return best[1], best[2]
    return "", []


def _side(lines: list[str], reverse: bool = False) -> str:
    """A party's name from the lines next to a "versus" line: up to its role ("Plaintiff-Appellant")."""
    taken: list[str] = []
    for s in lines:
        if not s:
            if taken:
                break
            continue
        if _ROLE.search(s) and not taken and reverse:
            continue  # the role line right above "versus" belongs to the party above it
        if _ROLE.search(s) or re.match(r"^(?:No\.|Nos\.|Case|C\.\s?A\.|D\.C\.|Docket|Appeal|\[|_{3,}|-{3,}|\*)", s, re.I):
            if taken:
                break
            continue
        if _COURT_LINE.match(s.strip(" .,")) or len(s) > 120:
            break
        taken.append(s)
        if len(taken) >= 3:
            break
    if reverse:
        taken = taken[::-1]
    return _strip_roles(" ".join(taken))


# ---------------------------------------------------------------------------------------------------------
# contracts


def find_parties(opening: str, acronyms: set[str]) -> list[str]:
    """Parties named in a contract's preamble: "by and between X, a Delaware corporation, and Y (“Y”)"."""
    text = re.sub(r"\b((?:[A-Z] ){3,}[A-Z])\b", lambda m: m.group(1).replace(" ", ""), opening)  # B E T W E E N
    text = _squash(text)
    # "a company incorporated under the laws of England and Wales": the "and" of a jurisdiction joins no parties
    text = re.sub(r"(\b(?:laws?\s+of|incorporated\s+in|registered\s+in|organi[sz]ed\s+in|existing\s+in)\s+(?:the\s+)?"
                  r"[A-Z][\w.]*(?:\s+[A-Z][\w.]*)*)\s+and\s+(?=[A-Z])", r"\1 & ", text)
    # "PARTIES (1) SHBV … (2) WASTE2ENERGY …", "BETWEEN: (1) WPP 2005 LIMITED (…) (2) JOHN ROGERS (…)": a numbered list
    text = re.sub(r"\b(?:PARTIES|Parties)\s*:?\s*(?=\(1\)\s+[A-Z])", "BETWEEN: ", text)
    text = re.sub(r"(?<=[\s:;,)])\s*(?:;\s*(?:and\s+)?)?\([2-9]\)\s+(?=[A-Z])", "; ", text)
    text = re.sub(r"(?<=[\s:;,])\((?:\d{1,2}|[a-hA-H]|[ivx]{1,4})\)\s+(?=[A-Z])", "", text)  # "BETWEEN: (1) X; and (2) Y"
    # "…, through Ms. Pearl Kamdar a duly authorized person and Director of …, AND …": who signs, not a party
    text = re.sub(r",?\s+through\s+(?:(?:Mr|Ms|Mrs|Dr)\.?\s+)?[A-Z][^,;()]{0,100},", ",", text)
    parties: list[str] = []
    m = _preamble_between(text[:3500])
    if m:
        seg = text[m.end(): m.end() + 1200]
        seg = seg[: min(_segment_end(seg), 900)]
        for piece in _split_parties(seg):
            name = _tidy_party(_party_name(piece))  # "iPAYMENT, INC. SPONSORSHIP AGREEMENT": the title after the name goes
            if name and not _BAD_PARTY.search(name):
                parties.append(_clean_party(name, acronyms))
        if len(parties) < 2 and m.group(0).strip().endswith(":"):
            # "BETWEEN: X, a company …, whose registered office is at … Edif. Castello …, On the one part, AND: Y, …":
            # an address may hold what reads as a full stop, the "AND:" still opens the next party
            tail = text[m.end(): m.end() + 2500]
            stop = re.search(r"\b(?:WHEREAS|RECITALS?|Recitals|BACKGROUND|WITNESSETH|IT\s+IS\s+AGREED|NOW,?\s+THEREFORE)\b", tail)
            pieces = re.split(r"\bAND\s*:\s*", tail[: stop.start() if stop else 1500])
            if len(pieces) >= 2:
                for piece in pieces:
                    name = _tidy_party(_party_name(piece))
                    if name and not _BAD_PARTY.search(name) and name.lower() not in (p.lower() for p in parties):
                        parties.append(_clean_party(name, acronyms))
    labelled = labelled_parties(opening)
    if len(labelled) >= 2 or (labelled and len(parties) < 2):
        # "Party A: …", "Party B: …": a form's own list of its parties comes before what a "between" left
        parties = [_clean_party(x, acronyms) for x in labelled] + parties
    if len(parties) < 2:
        # no "between": "Synchron, a California corporation …, and Rare Element Resources Ltd., a British Columbia
        # Corporation …, agree as follows" — a name followed by what kind of entity it is
        for m in _DESCRIBED.finditer(text[:2500]):
            raw = re.split(rf"\b{_AGREEMENT_NOUN}\b|\bEXHIBIT\s+[\w.]+|\bExhibit\s+[\w.]+", m.group(1))[-1].strip(" ,")
            raw = re.sub(r"^.*\b[A-Za-z][a-z]{2,}\.\s+(?=[A-Z])", "", raw)  # "… System. Bankers Bank": a sentence ended
            name = _clean_party(raw, acronyms)
            if name and not _NOTICE.search(name) and not _BAD_PARTY.search(name) and name.lower() not in (
                    p.lower() for p in parties):
                parties.append(name)
    if len(parties) < 2:
        for m in _COMPANY.finditer(text[:2500]):
            raw = re.split(rf"\b{_AGREEMENT_NOUN}\b|\bEXHIBIT\s+[\w.]+|\bExhibit\s+[\w.]+", m.group(1))[-1].strip(" ,")
            raw = re.sub(r"^.*\b[A-Za-z][a-z]{2,}\.\s+(?=[A-Z])", "", raw)  # "… System. Bankers Bank": a sentence ended
            name = _clean_party(raw, acronyms)
            if name and not _NOTICE.search(name) and not _BAD_PARTY.search(name) and len(name.split()) <= 7 and name.lower() not in (p.lower() for p in parties):
                parties.append(name)
            if len(parties) >= 4:
                break
    # a letter agreement: "… hereby confirm their agreement with Keefe, Bruyette & Woods, Inc. (the “Agent”)"
    for w in re.finditer(rf"\b(?:agreement|agree)\s+with\s+((?:[A-Z][\w&'’.-]*,?\s+|&\s+){{0,6}}?[A-Z][\w&'’.-]*,?\s+"
                         rf"{_SUFFIX}\b\.?)\s*\(", text[:3500]):
        name = _clean_party(w.group(1).strip(" ,"), acronyms)
        if name.lower() not in (p.lower() for p in parties) and not _BAD_PARTY.search(name):
            parties.append(name)
    out: list[str] = []
    for p in parties:
        p = re.sub(r"^(?:and|AND|And|&)\s+", "", p).strip(" ,;")
        p = _tidy_party(p)
        if _BAD_PARTY.search(p):
            continue
        if p.endswith(".") and not _ABBREV_END.search(p[:-1][-6:]):
            p = p[:-1]
        if 2 <= len(p) <= 90 and p.lower() not in (o.lower() for o in out) and re.search(r"[A-Za-z]{2,}", p):
            out.append(p)
    # "Woods, Inc." read on its own where "Keefe, Bruyette & Woods, Inc." is named in full: the piece goes
    out = [p for p in out if not any(o != p and o.lower().endswith(("& " + p.lower(), ", " + p.lower())) for o in out)]
    return out[:MAX_PARTIES]


_LABELLED = re.compile(r"(?:^|\s)(?:Party\s+[A-D1-4]|PARTY\s+[A-D1-4])\s*[:：]\s*(\S[^\n]{1,120})")


def labelled_parties(opening: str) -> list[str]:
    """Parties a form names on labelled lines ("Party A: Beijing Baidu Netcom Science and Technology Co., Ltd.",
    then "Address: …"): the name runs to the line's end or to the next label."""
    out = []
    for m in _LABELLED.finditer(opening[:OPENING_CHARS]):
        name = re.split(r"\s*\(|\s+(?:Party\s+[A-D1-4]|Address|Contact|Tel(?:ephone)?|Fax|Legal\s+representative|"
                        r"Registered)\b\s*[:：]?", m.group(1))[0]
        name = name.strip(" ,;")
        if name.endswith(".") and not _ABBREV_END.search(name[:-1][-6:]):
            name = name[:-1]
        name = _tidy_party(name)
        if name and not _BAD_PARTY.search(name) and name.lower() not in (o.lower() for o in out):
            out.append(name)
    return out


_SIGNER = re.compile(r"^\s*By\s*:", re.I)


def signature_parties(text: str) -> list[str]:
    """Parties named only in the signature blocks: the entity line above "By: /s/ …" ("SCULPTOR CAPITAL LP" /
    "By: /s/ Thomas Sipp"), or a person who signs in their own name ("/s/ Shelby J. Butterfield" with no entity
    above). Read from the last pages, where a joint filing or a short form names its parties."""
    lines = [x.strip() for x in text[-6000:].split("\n")]
    out: list[str] = []
    for i, line in enumerate(lines):
        if _SIGNER.match(line):
            above = next((x for x in reversed(lines[max(0, i - 3): i]) if x), "")
            if (above and len(above.split()) <= 8 and not re.search(r"/s/|[:;]$|\bwitness|\bdated?\b|\d{3,}", above, re.I)
                    and not (above.endswith(".") and not _ABBREV_END.search(above[:-1][-6:]))
                    and (mostly_capitals(above, 3) or re.search(rf"\b{_SUFFIX}\b\.?$", above))):
                name = _tidy_party(above.strip(" ,"))
                if name and not _BAD_PARTY.search(name) and name not in out:
                    out.append(name)
            continue
        m = re.match(r"^/s/\s*([A-Z].*)$", line)
        above = next((x for x in reversed(lines[max(0, i - 2): i]) if x), "")
        if m and not re.search(rf"\b{_SUFFIX}\b\.?$", above) and not mostly_capitals(above, 3):
            words = m.group(1).split()
            again = words.index(words[0], 1) if words[0] in words[1:] else len(words)
            words = words[:again]  # "/s/ Shelby J. Butterfield Shelby J. Butterfield": the name typed under it
            k = next((j for j, w in enumerate(words) if not re.fullmatch(r"[A-Z][\w'’-]*\.?", w)), len(words))
            name = " ".join(words[:min(k, 4)])
            if 2 <= min(k, 4) and name not in out:
                out.append(name)
    return out[:MAX_PARTIES]


def _preamble_between(text: str) -> re.Match | None:
    """The "between" that opens the list of parties: a cover or title line ("RATE FT-A AGREEMENT BETWEEN LG&E AND
    TENNESSEE GAS PIPELINE COMPANY") often names them in short before the preamble names them in full, so a
    "by and between", a "BETWEEN:" or a "between" after "made"/"entered into" is preferred to the first one."""
    found = list(_BETWEEN.finditer(text))
    recitals = re.search(r"\b(?:WHEREAS|RECITALS?|Recitals?|BACKGROUND|Background|WITNESSETH)\b", text)
    fair, cued, strong = [], [], []
    for m in found:
        said = m.group(0).strip().lower()
        before = text[max(0, m.start() - 120): m.start()]
        if _EARLIER.search(before) or re.match(r"(?:the\s+)?(?:part(?:y|ies)|us|them|itself)\b", text[m.end():], re.I):
            continue  # an earlier agreement's parties, "between the parties"
        fair.append(m)
        if said.startswith("by and") or said.endswith(":"):
            strong.append(m)  # "by and between", "BETWEEN:" open a list of parties; "dated … between" may be a title's
        if said.startswith("by and") or said.endswith(":") or re.search(
                r"\b(?:made|entered\s+into|executed|dated|is)\b[^.]{0,120}$", before, re.I):
            cued.append(m)
    # the preamble comes before the recitals ("WHEREAS"), which may mention other agreements' parties
    early_strong = [m for m in strong if not recitals or m.start() < recitals.start()]
    early = [m for m in cued if not recitals or m.start() < recitals.start()]
    before_recitals = [m for m in fair if not recitals or m.start() < recitals.start()]
    return (early_strong or early or cued or before_recitals or found[:1] or [None])[0]


_DESCRIBED = re.compile(r"(?<![\w,])((?:[A-Z][\w&.'’-]*(?:,?\s+|\s+(?:of|and|&)\s+)){0,5}[A-Z][\w&.'’-]*),?"
                        r"(?:\s*\([^()]{1,60}\))?,\s+an?\s+"
                        r"(?:[A-Z][\w.-]*\s+){1,3}(?i:corporation|company|limited\s+liability\s+company|partnership|"
                        r"limited\s+partnership|bank|trust)\b")


def _split_parties(seg: str) -> list[str]:
    """Split a preamble segment on the "and"s and semicolons outside parentheses."""
    pieces, depth, start = [], 0, 0
    i = 0
    while i < len(seg):
        ch = seg[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth == 0:
            amp = re.match(r"\s+&\s+(?=[A-Z])", seg[i:])
            if amp and re.search(r"\b(?:LLC|Inc\.?|INC\.?|Ltd\.?|LTD\.?|Corp\.?|CORP\.?)$", seg[:i]):
                pieces.append(seg[start:i])  # "ANTHEMIC, LLC & VNUE": an "&" after a legal form joins two parties
                i += amp.end()
                start = i
                continue
            m = re.match(r";\s*(?:and\s+)?|,?\s+(?:and|AND|And)\s*:?\s+(?=[A-Z0-9“\"]|[a-z][\w-]*(?:\.[a-z]{2,4}\b|[A-Z]|,?\s+(?i:Inc|LLC|Ltd|Corp)\b))|\s+-\s*and\s*-\s+|,\s+(?!(?i:" + _SUFFIX + r")\b)(?=[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*)*,?\s+(?i:" + _SUFFIX + r")\b)", seg[i:])
            if m and m.end() > 0:
                pieces.append(seg[start:i])
                i += m.end()
                start = i
                continue
        i += 1
    pieces.append(seg[start:])
    pieces = [p.strip(" ,;:") for p in pieces if p.strip(" ,;:")]
    out: list[str] = []
    for p in pieces:
        # "ExxonMobil Research and Engineering Company, a Delaware corporation": one name with an "and" inside — the
        # part before it has no legal form, description or defined name, the part after it ends in a legal form
        head = re.split(r"[,(]", p)[0].strip()
        if out and not re.search(r"[,(]", out[-1]) and len(out[-1].split()) <= 4 and not re.search(
                rf"\b(?i:{_SUFFIX})\b", out[-1]) and re.fullmatch(rf"(?:[A-Z][\w&'’.-]*\s+){{0,3}}(?i:{_SUFFIX})\.?", head):
            out[-1] = f"{out[-1]} and {p}"
        else:
            out.append(p)
    return out


_NAME_LABEL = re.compile(r"^(?:(?:client|customer|company|party|vendor|supplier)\s+name|name|and)\s*:\s*", re.I)
_AFTER_SUFFIX = re.compile(rf"^(.*?\b(?:{_SUFFIX}|INC|LTD|CORP|CORPORATION|COMPANY|LIMITED)\.?)(?:\s+of\s+(?=.{{0,40}}\d).*|,?\s+(?:a|an)\s+.*|,\s+(?!{_SUFFIX}\b)[A-Z].*|\s+\d.*|"
                           rf"\s+(?:[A-Z][\w&-]*\s+){{0,5}}(?:Agreement|AGREEMENT|Contract|CONTRACT)\b.*)$")
_TAIL_JUNK = re.compile(
    rf",?\s+as\s+(?:the\s+)?[A-Z][a-z]+\b.*$|,\s+the\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?$|,?\s+(?:acting\s+)?through\s+(?:its|their)\b.*$|,?\s+a/k/a\b.*$|,\s+including\b.*$|\s+{_MONTH_RX}\s+\d{{1,2}},?\s+\d{{4}}.*$|"
    r",\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?,\s+[A-Z][a-z]{1,5}\.?$", re.I)


_SIGNS_FOR = re.compile(r"^[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]*){1,3},\s+(?i:(?:the\s+)?(?:director|president|chief\s+"
                        r"executive\s+officer|ceo|officer|managing\s+director|manager|owner|partner|chairman)\s+of)\s+(.+)$")


def _tidy_party(name: str) -> str:
    """A party's name without what a preamble puts around it: "Client Name:", ", as Servicer", a date, an address
    after the legal form ("LEO Pharma A/S of Industriparken 55"), a city ("…, Anaheim, Calif")."""
    name = _NAME_LABEL.sub("", name.strip())
    m = _SIGNS_FOR.match(name)
    if m:
        name = m.group(1)  # "Natalija Tunevic, director of FreeCook": the person signs for the party
    name = _TAIL_JUNK.sub("", name).strip(" ,;")
    name = re.sub(r"\s+(?:of|at|in)$", "", name)  # "NIGEL CROCKETT of (the “Employee”)": the address was left blank
    m = _AFTER_SUFFIX.match(name)
    if m:
        name = m.group(1)
    return name.strip(" ,;")


def _party_name(piece: str) -> str:
    piece = re.sub(r"^(?:the\s+(?:following\s+)?parties?:?\s*)", "", piece, flags=re.I)
    # "between professional golfer, TOM WATSON, (…)": a lower-case description in front of the name
    piece = re.sub(r"^[-–—\s]*(?:and|AND)?[-–—\s]+(?=\S)", "", piece)  # "- and - COMPANION HEALTHCARE …"
    piece = re.sub(r"^\(?\d{1,2}[.)]\s+(?=[A-Za-z])", "", piece)
    piece = re.sub(r"^(?:Mr|Ms|Mrs|Miss|Dr|Messrs)\.?\s+(?=[A-Z])", "", piece)  # "Mr. Nirmal K. MINDA, s/o. …"  # "BETWEEN 1. HealthGate Data Corp. … AND 2. Blackwell …"
    piece = re.sub(rf"^(?:(?:an?|the)\s+)?(?:(?![a-z]+[A-Z])[a-z][\w-]*,?\s+){{1,3}}(?=[A-Z])(?!(?i:{_SUFFIX})\b)", "", piece)
    cut = _PARTY_CUT.search(piece)
    name = piece[: cut.start()] if cut else piece
    name = name.strip(" ,;:-–")
    name = re.sub(r"^(?:and|AND|&)\s+", "", name)
    if not name or not (name[0].isupper() or name[0].isdigit() or re.match(r"^[a-z]{1,2}-?[A-Z]|^[a-z]+[A-Z]", name)
                        or re.match(rf"^[a-z][\w.-]*(?:\s+[\w.-]+){{0,3}},?\s+(?i:{_SUFFIX})\b\.?$", name)):
        return ""  # a name starts with a capital or a digit, or is styled "eGain", "eFashion", "drkoop.com, inc."
    if len(name.split()) > 12 or re.match(r"^(?:the\s+)?(?:parties|party|each|both|all)\b", name, re.I):
        return ""
    return name


def find_aliases(opening: str, body_words: Counter, parties: list[str]) -> list[str]:
    """Defined short names of the parties (“Depomed”, (“RTU”)): quoted in the preamble, and part of a party's
    name or a run of its initials ("PIC" for "Delaware State Public Integrity Commission"), never a role
    ("Licensee") that contracts capitalise throughout."""
    out: list[str] = []
    party_words = {w.lower() for p in parties for w in re.findall(r"[A-Za-z0-9]+", p)}
    initials = {"".join(w[0] for w in re.findall(r"[A-Za-z]+", p) if w[0].isupper()).lower() for p in parties}
    for m in _QUOTED.finditer(opening[:OPENING_CHARS]):
        term = _squash(m.group(1)).strip(" ,.")
        if not term or len(term) > 40 or not term[0].isalnum():
            continue
        words = re.findall(r"[A-Za-z0-9]+", term)
        low = [w.lower() for w in words]
        proper = all(body_words.get(w, 0) == 0 for w in low if w.isalpha())
        acronym = re.fullmatch(r"[A-Z][A-Z0-9&]{1,7}", term) and any(term.lower() in i for i in initials)
        if (party_words & set(low) and proper) or acronym:
            if term not in out:
                out.append(term)
    return out[:10]


_NOT_DEFINED = re.compile(r"\b(?:agreement|contract|date|term|parties|party|effective|closing|amendment|exhibit|"
                          r"schedule|section|products?|territory|services?|fees?)\b", re.I)


def find_defined(opening: str) -> list[str]:
    """The names a preamble defines its parties by — (the “Company”), (hereinafter “Distributor”) — so a question
    may say "the Company" (the router uses them only where one document alone defines the name)."""
    out: list[str] = []
    for m in _QUOTED.finditer(_squash(opening[:3000])):
        term = _squash(m.group(1)).strip(" ,.")
        if (not term or len(term.split()) > 3 or not term[0].isupper() or _NOT_DEFINED.search(term)
                or not re.fullmatch(r"[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*)*", term)):
            continue
        if term not in out:
            out.append(term)
    return out[:8]


_CAPS_STOP = frozenset("""THE WITH COMMISSION FILED COPY REDACTED CONFIDENTIAL TREATMENT REQUESTED EXHIBIT OMITTED
PORTIONS SECURITIES EXCHANGE BEEN HAVE HAS THIS DOCUMENT EXECUTION VERSION FORM OF BY BETWEEN AMONG""".split())


def contract_title(lines: Sequence[str], opening: str, acronyms: set[str]) -> str:
    cands: list[str] = []
    pending = ""  # a title line ending on a connector ("FIRST AMENDMENT TO"): the next line completes it
    heads = [_title_head(x) for x in lines[:30]]
    at = -1  # the line the title was taken from
    for i, s in enumerate(heads):
        if re.fullmatch(r"FORM\s+OF", s, re.I) and not pending:
            pending = s  # "FORM OF" above "FRANCHISE AGREEMENT": the title of a form is "Form of …"
            continue
        if not s or len(s) > 140 or len(s.split()) > 16 or _NOTICE.search(s):
            continue
        if pending:
            if len(s.split()) <= 10 and (_mostly_upper(s) or _title_like(s)):
                cands.append(f"{pending} {s}".strip(" ,.:;"))
                at = i
                break
            cands.append(pending)
            break
        if re.fullmatch(r"(?:(?:FIRST|SECOND|THIRD|FOURTH|FIFTH)\s+)?AMENDED\s+AND\s+RESTATED", s, re.I):
            pending = s  # "AMENDED AND RESTATED" above "UNCONDITIONAL CAPITAL MAINTENANCE AGREEMENT"
            continue
        short_lower = len(s.split()) <= 5 and s[:1].isupper() and _HAS_AGREEMENT_NOUN.search(s.title()) and not s.endswith(".")
        if (_HAS_AGREEMENT_NOUN.search(s) and (_mostly_upper(s) or _title_like(s)) or short_lower) and not re.search(
                r"\b(?:shall|hereby|is made|entered into)\b", s):
            s = re.split(r"\s+(?:by\s+and\s+between|between|among|dated|made|entered)\b", s, flags=re.I)[0]
            if re.search(r"(?:\b(?:TO|to|OF|of|AND|and|FOR|for|THE|the)|,)$", s) and len(s.split()) <= 10:
                pending = s  # "SCHEDULE TO Software License," + "Customization and Maintenance Agreement"
                continue
            cands.append(s.strip(" ,.:;"))
            at = i
            break
    if cands and at >= 0:
        cands[0] = _complete_title(cands[0], heads, at)
    if not cands:
        # page 1 was a cover or a notice: the ALL-CAPS words right before the first agreement noun of the opening
        # ("… FILED WITH THE COMMISSION ENDORSEMENT AGREEMENT This Agreement …" → "ENDORSEMENT AGREEMENT")
        m = re.search(r"\b([A-Z][A-Z&'’-]+(?:\s+(?:[A-Z][A-Z&'’-]+|AND|OF|TO|FOR))*\s+"
                      r"(?:AGREEMENT|CONTRACT|LICEN[CS]E|LEASE|AMENDMENT|ADDENDUM))\b", _squash(opening[:3000]))
        if m:
            words = m.group(1).split()
            k = len(words) - 1
            while k > 0 and words[k - 1] not in _CAPS_STOP and len(words) - k < 6:
                k -= 1
            while k < len(words) - 1 and words[k] in ("AND", "OF", "TO", "FOR"):
                k += 1
            if len(words) - k >= 2:
                cands.append(" ".join(words[k:]))
    if not cands:
        m = _THIS_AGREEMENT.search(_squash(opening[:3000]))
        if m:
            cands.append(m.group(1).strip(" ,."))
    if not cands:
        return ""
    t = cands[0]
    if _mostly_upper(t):
        return title_case(t, acronyms)
    return " ".join(title_case(w, acronyms) if len(w) > 3 and w.isupper() and w.lower() not in acronyms else w for w in t.split())


def _title_head(line: str) -> str:
    s = _squash(line)
    s = re.sub(r"^(?:EXHIBIT|Exhibit)\s+[\w.()-]+\s*[:.-]?\s*", "", s)
    s = re.sub(r"^\[[^\]]*\]\s*", "", s)
    return re.sub(r"\s*\[[^\]]*\]$", "", s)


_AMENDMENT_LINE = re.compile(r"^(?:AMENDMENT|Amendment|ADDENDUM|Addendum|SUPPLEMENT|Supplement)\s+(?:NO\.?|No\.?|NUMBER|Number|#)"
                             r"\s*[\w-]+$")


def _complete_title(title: str, heads: list[str], at: int) -> str:
    """A title line with what the lines around it add: a prefix line ending in a comma or a product mark
    ("ELECTRONIC JOURNAL SOFTWARE DEVELOPMENT," / "COLOGUARD®" above "… AGREEMENT"), an amendment number on
    the next line ("AMENDMENT NO. 1"), or the fuller title a few lines below ("DISTRIBUTOR AGREEMENT" on a cover,
    "EXCLUSIVE DISTRIBUTOR AGREEMENT" over the text; "IP Rights Agreement" over "INTELLECTUAL PROPERTY RIGHTS
    AGREEMENT")."""
    prev = next((heads[j] for j in range(at - 1, max(-1, at - 2), -1) if heads[j]), "")
    if prev and _mostly_upper(prev) and len(prev.split()) <= 6 and not _HAS_AGREEMENT_NOUN.search(prev) and not \
            _NOTICE.search(prev) and prev.rstrip().endswith((",", "®", "™")) and not title.lower().startswith("form of"):
        title = f"{prev} {title}"
    below = [h for h in heads[at + 1: at + 5] if h]
    if below and _AMENDMENT_LINE.match(below[0]) and not re.search(r"\b(?:AMENDMENT|Amendment)\b", title):
        return f"{title} {below[0]}"
    tail = " ".join(re.findall(r"[a-z0-9]+", title.lower()))
    for h in below[:3]:
        if not (_mostly_upper(h) and _HAS_AGREEMENT_NOUN.search(h) and len(h.split()) <= 10) or _NOTICE.search(h):
            continue
        words = " ".join(re.findall(r"[a-z0-9]+", h.lower()))
        if words != tail and words.endswith(" " + tail) or not _mostly_upper(title) and h is below[0]:
            return h.strip(" ,.:;")
    return title


def _title_like(s: str) -> bool:
    words = re.findall(r"[A-Za-z][\w'’-]*", s)
    return bool(words) and all(w[0].isupper() or w.lower() in _SMALL_WORDS for w in words)


# ---------------------------------------------------------------------------------------------------------
# papers


def paper_title_lines(lines: Sequence[str], vocab: set[str]) -> list[str]:
    """Page-1 lines with venue headers, bracketed stamps and e-mail lines removed and spacing repaired."""
    out = []
    for ln in lines[:60]:
        s = repair_spacing(_squash(ln).lstrip("# "), vocab)
        if not s or _BRACKETED.match(s) or _VENUE.search(s) or _date_line(s):
            continue
        out.append(s)
    return out


def _date_line(s: str) -> bool:
    """A line that is a date and little else ("July 9-14, 2023", "Submitted 3 May 2024")."""
    if not re.search(r"\b(?:1[6-9]|2[01])\d{2}\b", s):
        return False
    rest = re.sub(rf"{_MONTH_RX}|\d+|[-–,.;:()/]", " ", s, flags=re.I)
    return len(rest.split()) <= 2


_NOT_PAPER_TITLE = re.compile(
    r"^(?:abstract|keywords|index terms|introduction|contents|table of contents|\d+(?:\.\d+)*\s+\w|figure|fig\.|table)\b",
    re.I)


def paper_title(lines: Sequence[str], body_words: Counter, vocab: set[str], meta_title: str | None = None) -> str:
    """A paper's title: the first title-like line of page 1 (venue lines already removed) and the lines that
    continue it — a continuation keeps the style and is made of words the paper also writes in lower case
    (so "Named Entity Recognition" joins the title, an author line "Tsolak Ghukasyan" does not)."""
    title = ""
    for i, s in enumerate(lines[:25]):
        words = re.findall(r"[A-Za-z][\w'’-]*", s)
        if len(words) < 2 or len(s) > 220 or _NOT_PAPER_TITLE.match(s) or re.search(r"@|https?:|\bet al\b", s):
            continue
        if s[0].islower() and not re.search(r"[A-Z]", words[0]) or s.endswith(".") and len(words) > 12:
            continue
        title = s
        for nxt in lines[i + 1: i + 3]:
            if not nxt or re.search(r"[,∗*†‡@]|\d", nxt) or len(title) + len(nxt) > 220 or _NOT_PAPER_TITLE.match(nxt):
                break
            nw = [w.lower() for w in re.findall(r"[A-Za-z]{3,}", nxt)]
            common = sum(1 for w in nw if body_words.get(w, 0) > 0)
            same_style = _mostly_upper(title) == _mostly_upper(nxt)
            if not nw or not same_style or common < 0.5 * len(nw):
                break
            if title.endswith("-"):
                head = re.findall(r"[A-Za-z]+$", title[:-1])
                joined = (head[0] + re.findall(r"^[A-Za-z]+", nxt)[0]).lower() if head and re.match(r"^[A-Za-z]", nxt) else ""
                title = title[:-1] + nxt if joined in vocab else title + nxt
            else:
                title = f"{title} {nxt}"
        break
    meta = _squash(meta_title or "")
    if meta and len(meta) >= 8 and not re.search(r"\.(?:pdf|docx?|tex)$|^untitled|microsoft", meta, re.I):
        if not title or meta.lower() not in title.lower():
            return meta
    return title


def find_authors(lines: Sequence[str], title: str) -> list[str]:
    """Person names between the title and the abstract ("Parth Sarthi, Salman Abdullah, …")."""
    text_lines = [_squash(x) for x in lines[:40]]
    start = 0
    tl = title.lower()[:40]
    for i, s in enumerate(text_lines):
        if tl and s.lower().startswith(tl[:25]):
            start = i + 1
            break
    block = []
    if start and title and text_lines[start - 1].lower().startswith(title.lower()):
        block.append(text_lines[start - 1][len(title):])  # the authors run on after the title
    for s in text_lines[start:start + 8]:
        if re.match(r"^(?:abstract|introduction|\d+\s+introduction)\b", s, re.I):
            break
        if s and s.lower() in title.lower():
            continue  # the title's second line
        s = re.split(r"\bAbstract\b|\bABSTRACT\b", s)[0]
        block.append(s)
    names: list[str] = []
    for piece in re.split(r",|;|\band\b|∗|\*|†|‡|§|¶|\d|\s{2,}|\|", " ".join(block)):
        words = piece.strip(" .").split()
        for k, w in enumerate(words):  # "Christopher D. Manning Stanford University": the name ends before
            if _AFFILIATION.search(w):
                keep = k - 1 if k >= 3 and words[k - 1][:1].isupper() else k
                words = words[:keep]
                break
        p = " ".join(words)
        if not 2 <= len(words) <= 4 or _AFFILIATION.search(p):
            continue
        if all(re.fullmatch(r"[A-Z][a-zA-Z'’-]+|[A-Z]\.?", w) for w in words) and any(len(w) > 2 for w in words):
            if p not in names:
                names.append(p)
    return names[:12]


def paper_abstract(text: str, headings: Sequence[Heading]) -> str:
    start = None
    for h in headings:
        if h.title.lower() == "abstract":
            start = h.char_start
            break
    if start is None:
        m = re.search(r"\b(?:Abstract|ABSTRACT)\b\s*[—–:.-]?\s*", text[:OPENING_CHARS * 2])
        if not m:
            return ""
        start = m.end()
    seg = text[start: start + 3000]
    seg = re.sub(r"^\s*(?:Abstract|ABSTRACT)\s*[—–:.-]?\s*", "", seg)
    nxt = re.search(r"\n\s*(?:\d+\.?\s+|I\.\s+)?(?:Introduction|INTRODUCTION|Keywords|Index Terms)\b", seg)
    if nxt:
        seg = seg[: nxt.start()]
    return _cut(_sentences(seg), ABSTRACT_CHARS)


def _cut(sentences: Iterable[str], limit: int) -> str:
    out, n = [], 0
    for s in sentences:
        if n + len(s) > limit and out:
            break
        out.append(s)
        n += len(s) + 1
    text = " ".join(out)
    return text if len(text) <= limit + 200 else text[:limit].rsplit(" ", 1)[0] + " …"


_STOP = frozenset("""a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself me more most my myself no nor not of off on once only or
other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself shall may must hereof herein hereto hereunder thereof therein such any each""".split())


def central_sentences(text: str, k: int = 3, limit: int = ABSTRACT_CHARS) -> str:
    """The k sentences most typical of the text (log-tf centroid), in reading order — a short extractive abstract."""
    sents = [s for s in _sentences(text[:40000]) if 12 <= len(s.split()) <= 60 and not _NOTICE.search(s)]
    if not sents:
        return ""
    tf: Counter = Counter()
    toks = []
    for s in sents:
        ws = [w for w in re.findall(r"[a-z]{3,}", s.lower()) if w not in _STOP]
        toks.append(ws)
        tf.update(set(ws))
    weight = {w: math.log(1 + n) for w, n in tf.items()}
    scores = [(sum(weight[w] for w in set(ws)) / math.sqrt(len(set(ws)) or 1), i) for i, ws in enumerate(toks)]
    picked = sorted(i for _, i in sorted(scores, reverse=True)[:k])
    return _cut([sents[i] for i in picked], limit)


# ---------------------------------------------------------------------------------------------------------
# Chinese documents: statutes, interpretations, judgments and case reports, contracts

_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff《》〈〉（）()])\s+(?=[\u3400-\u9fff《》〈〉（）()])")
_ZH_ROLE = re.compile(r"(甲方|乙方|丙方|原告|被告|上诉人|被上诉人|申请人|被申请人|再审申请人|第三人|委托方|受托方|出租方|承租方|"
                      r"卖方|买方|发包人|承包人)(?:[（(][^）)]{1,12}[）)])?\s*[：:]\s*([^\s，,。；;：:（(]{2,40})")
_ZH_CASE_TITLE = re.compile(r"^(.{2,30}?)诉(.{2,40}?)案$")
_ZH_ORG_END = re.compile(r"^(.*(?:股份有限公司|有限责任公司|有限公司|公司|分公司|分店|店|厂|银行|医院|学校|大学|中心|委员会|集团|事务所|局|"
                         r"研究院|研究所))")
_ZH_CASE_NO = re.compile(r"[（(]\s*\d{4}\s*[）)]\s*[\u4e00-\u9fff]{1,6}\d{0,4}[\u4e00-\u9fff]{1,6}\d{1,6}号")


def is_chinese(text: str) -> bool:
    return len(_CJK.findall(text[:4000])) > 200


def _zh(s: str) -> str:
    return _CJK_GAP.sub("", _squash(s))


def zh_title(lines: Sequence[str]) -> str:
    """A Chinese document's title: a case's name ("孙银山诉…买卖合同纠纷案") where its opening has one, else its first
    line(s) up to the date in brackets ("中华人民共和国劳动合同法 （2007年6月29日…通过…）")."""
    ls = [_zh(x) for x in lines[:40] if _zh(x)]
    for x in ls[:12]:
        if _ZH_CASE_TITLE.match(x) and len(x) <= 60:
            return x
    if not ls:
        return ""
    title = ls[0]
    for nxt in ls[1:3]:  # a title wrapped onto the next line ("…《中华人民共和国民事诉" + "讼法》的解释", "民法典" + "合同编")
        if (len(title) >= 14 or re.fullmatch(r"[\u4e00-\u9fff]{1,6}编", nxt)) and not re.search(r"[。；：，]$", title) \
                and not nxt.startswith(("（", "(", "目录", "目 录")) and len(nxt) <= 30 \
                and not re.match(r"^第[一二三四五六七八九十]|^(?:基本案情|裁判要点|裁判结果|关键词|案情简介|摘要|引言|前言|典型意义|"
                                 r"争议焦点|申请人请求|处理结果|案例分析)", nxt):
            title += nxt
        else:
            break
    title = re.split(r"[（(]\s*\d{4}\s*年", title)[0]
    return title.strip(" ，,")[:120]


def zh_parties(opening: str, title: str) -> list[str]:
    out: list[str] = []
    m = _ZH_CASE_TITLE.match(title or "")
    if m:
        for x in (m.group(1), m.group(2)):
            org = _ZH_ORG_END.match(x)
            x = org.group(1) if org else x
            if x not in out:
                out.append(x)
    for m in _ZH_ROLE.finditer("\n".join(_zh(x) for x in opening[:OPENING_CHARS].split("\n"))):
        name = re.split(r"甲方|乙方|丙方|原告|被告|上诉人|申请人|第三人|签订|地址|住所|法定代表人|电话", m.group(2))[0]
        if len(name) < 2:
            continue
        if name not in out and not re.match(r"^(?:为|是|在|应|不|可|与|向|对|以|因|的)", name):
            out.append(name)
    return out[:MAX_PARTIES]


def zh_profile_fields(text: str, lines: Sequence[str], domain: str) -> tuple[str, list[str], str, str]:
    """(title, parties, document type, case number) of a Chinese document."""
    title = zh_title(lines)
    parties = zh_parties(text[:OPENING_CHARS], title)
    m = _ZH_CASE_NO.search(_zh(text[:OPENING_CHARS]))
    case_no = re.sub(r"\s+", "", m.group(0)) if m else ""
    if domain == "statute":
        kind = "司法解释" if re.search(r"解释|规定$|批复", title) else ("行政法规" if "条例" in title else "法律")
    elif domain == "court opinion":
        kind = "判决书" if "判决" in text[:3000] else "案例"
    elif domain == "contract":
        kind = (re.search(r"([\u4e00-\u9fff]{0,8}(?:合同|协议))", title) or [None, "合同"])[1]
    else:
        kind = "论文" if domain == "paper" else domain
    return title, parties, kind, case_no


# ---------------------------------------------------------------------------------------------------------
# the profile


def _first_lines(doc: ParsedDocument) -> list[str]:
    raw = doc.metadata.get("first_lines") if isinstance(doc.metadata, dict) else None
    if raw:
        return str(raw).split("\n")
    first = doc.pages[0].text if doc.pages else doc.text[:FIRST_PAGE_CHARS * 2]
    return first.split("\n")


def build_profile(doc: ParsedDocument) -> Profile:
    """The profile of a parsed document (ingest calls this in the parser worker)."""
    first_page = next((p.text for p in doc.pages if p.text.strip()), doc.text[:FIRST_PAGE_CHARS])
    return profile_from_text(
        doc.text, first_page=first_page, first_lines=_first_lines(doc), headings=doc.headings,
        domain=doc.domain, file=doc.file, fallback_title=doc.title, meta_title=(doc.metadata or {}).get("title"),
    )


def profile_from_text(
    text: str,
    *,
    first_page: str,
    first_lines: Sequence[str] | None = None,
    headings: Sequence[Heading] = (),
    domain: str = "other",
    file: str = "",
    fallback_title: str = "",
    meta_title: str | None = None,
) -> Profile:
    """A profile from a document's cleaned text (also how a store written before profiles gets one)."""
    from ingest.structure import guess_title

    lines = list(first_lines) if first_lines else first_page.split("\n")
    opening = text[:OPENING_CHARS]
    vocab = _vocabulary(text[:200_000])
    acronyms = _acronyms(text[1000:200_000] or text)
    body_words: Counter = Counter(w for w in re.findall(r"\b[a-z][a-z0-9]+\b", text[:200_000]))
    title, parties, authors, court, doc_type, abstract = "", [], [], "", "", ""
    zh_case_no = ""
    if is_chinese(text):
        title, parties, doc_type, zh_case_no = zh_profile_fields(text, lines, domain)
        m = re.search(r"(?:最高|高级|中级|基层)?人民法院|[\u4e00-\u9fff]{2,10}(?:劳动人事争议)?仲裁委员会", _zh(first_page[:3000]))
        court = m.group(0) if m and domain == "court opinion" else ""
    elif domain == "court opinion":
        title, parties = find_caption(lines, acronyms)
        court = find_court(lines)
        doc_type = f"{court} opinion" if court else "court opinion"
        abstract = central_sentences(_after_caption(text))
    elif domain == "contract":
        title = contract_title(lines, opening, acronyms)
        parties = find_parties(opening, acronyms)
        if len(parties) < 2:
            known = {p.lower() for p in parties}
            parties += [p for p in signature_parties(text) if p.lower() not in known][: MAX_PARTIES - len(parties)]
        doc_type = _agreement_kind(title) or "contract"
        abstract = _recitals(opening) or central_sentences(text)
    elif domain == "paper":
        cleaned = paper_title_lines(lines, vocab)
        title = repair_spacing(paper_title(cleaned, body_words, vocab, meta_title), vocab)
        if _mostly_upper(title):
            title = title_case(title, acronyms)
        authors = find_authors(cleaned, title)
        doc_type = "paper"
        abstract = paper_abstract(text, headings) or central_sentences(text)
    else:
        abstract = central_sentences(text)
        doc_type = domain or "other"
        if domain == "other":
            parties = signature_parties(text)  # a joint filing agreement: its parties sign it, one block each
    if not title:
        base = fallback_title or guess_title(meta_title, "\n".join(paper_title_lines(lines, vocab)), file, headings, domain)
        title = repair_spacing(base, vocab)
        if _BRACKETED.match(title) or _NOTICE.search(title):
            title = _file_title(file) or title
        if _mostly_upper(title):
            title = title_case(title, acronyms)
    aliases = find_aliases(opening, body_words, parties) if domain in ("contract", "court opinion", "other") else []
    defined = find_defined(opening) if domain == "contract" else []
    heads = []
    for h in headings:
        if h.level == 1 and not h.is_references and h.title not in heads:
            heads.append(h.title)
        if len(heads) >= 40:
            break
    dates = find_dates(_squash(first_page if domain == "paper" else opening))
    if domain == "contract":
        made = agreement_date(_squash(text[:15000]))  # the date it is made or dated first, then the others
        if not made and not any(len(d) == 10 for d in dates):
            made = signature_date(text)  # no date at all in the opening: the date its signatures give
        if made:
            dates = [made] + [d for d in dates if d != made]
    return Profile(
        version=PROFILE_VERSION,
        title=_squash(title)[:200],
        doc_type=doc_type,
        parties=parties,
        authors=authors,
        aliases=aliases,
        defined=defined,
        dates=dates,
        court=court,
        case_number=zh_case_no or (find_case_number(_squash(first_page[:4000])) if domain == "court opinion" else ""),
        identifiers=find_identifiers(_squash(opening), domain),
        first_page=_squash(first_page)[:FIRST_PAGE_CHARS],
        headings=heads,
        abstract=abstract,
    )


def _after_caption(text: str) -> str:
    """An opinion's text after its caption block (skips the first ~1,500 characters of docket lines)."""
    return text[min(len(text) // 3, 1500):]


def _agreement_kind(title: str) -> str:
    m = re.search(rf"((?:[A-Z][\w&'’-]*\s+(?:(?:and|of|to|for|&)\s+)?){{0,5}}{_AGREEMENT_NOUN})\b", title)
    return _squash(m.group(1)) if m else ""


def _recitals(opening: str) -> str:
    text = _squash(opening)
    i = text.find("WHEREAS")
    if i < 0:
        return ""
    seg = re.split(r"\bNOW,?\s+THEREFORE\b", text[i:], maxsplit=1)[0]
    parts = [p.strip(" ;,") for p in re.split(r"\b(?:AND\s+)?WHEREAS,?\s*", seg) if p.strip(" ;,")]
    return _cut(parts, ABSTRACT_CHARS)


def _file_title(file: str) -> str:
    stem = file.rsplit(".", 1)[0]
    words = re.findall(r"[A-Za-z]{3,}(?:\s+[A-Za-z]{2,})*", stem.replace("_", " "))
    words = [w for w in words if _HAS_AGREEMENT_NOUN.search(w.upper()) or _HAS_AGREEMENT_NOUN.search(w)]
    return title_case(words[-1].upper()) if words else ""


# ---------------------------------------------------------------------------------------------------------
# what search sees of a profile


def chunk_header(profile: Profile, file: str = "") -> str:
    """The short document line put in front of each chunk's embedded and BM25 text: whose text this is.

    Cut by whole words to HEADER_WORDS; the pipeline then sizes chunks so header + chunk fit the window.
    """
    if not profile.present:
        return ""
    bits = [profile.title or file]
    if profile.parties and not all(p.lower() in bits[0].lower() for p in profile.parties[:2]):
        bits.append(" / ".join(profile.parties[:3]))
    elif profile.authors:
        bits.append(", ".join(profile.authors[:3]))
    if profile.court and profile.court.lower() not in bits[0].lower():
        bits.append(profile.court)
    if profile.case_number:
        bits.append("No. " + profile.case_number)
    words = " · ".join(b for b in bits if b).split()
    return " ".join(words[:HEADER_WORDS])


def with_header(header: str, text: str) -> str:
    """The text embedded / indexed for a chunk: its document header, a line break, the chunk's own text."""
    return f"{header}\n{text}" if header else text


def names_of(profile: Profile) -> list[str]:
    """The names a question may use for the document: title, parties, aliases, authors, court, numbers."""
    out = [profile.title, *profile.parties, *profile.aliases, *profile.authors, profile.case_number,
           *profile.identifiers]
    return [n for n in dict.fromkeys(_squash(x) for x in out) if n]


def profile_text(profile: Profile, file: str = "") -> str:
    """The profile as one searchable text (the router's BM25 document): names first, then the opening."""
    names = names_of(profile)
    stem = re.sub(r"[_\-.]+", " ", file.rsplit(".", 1)[0]) if file else ""
    return "\n".join(x for x in [
        " ".join(names), profile.title, " ".join(profile.parties + profile.aliases), profile.doc_type,
        profile.court, stem, " ".join(profile.dates), profile.first_page, profile.abstract,
        " ".join(profile.headings[:20]), profile.description,
    ] if x)


def profile_card(profile: Profile, file: str = "") -> str:
    """A few lines for the profile's dense vector: what the document is and whose (cut by the embedder)."""
    who = "; ".join(profile.parties[:4] or profile.authors[:4])
    bits = [profile.title or file, profile.doc_type, who, profile.court, profile.case_number,
            profile.description or profile.abstract]
    return ". ".join(b for b in bits if b)

"""Section labels, document profiles and routing by name, measured without embeddings:
`python -m bench profiles [labels|profiles|routing] [--cuad DIR] [--limit N] [--show N]`.

Every PDF is parsed as ingest parses it (`ingest.pdf.load_document`, OCR off) — the text layer read once and
kept under bench/.cache/parse (pdfium on 3,000 pages takes minutes; clean-up, structure and profiles rerun on
every call, so a change to them is measured at once) — chunked with a word counter (256-piece window, like
MiniLM's) and profiled. Nothing is embedded.

labels — for every sentence a chunk holds (what a citation quotes), the label a citation shows
  (`Chunk.section_at`, its innermost numbered part) against the truth: the nearest numbered heading before
  the sentence *on its page*, found independently of structure.py by a deliberately plain rule (a line that
  starts with "ARTICLE/Section/§" or a number such as "7", "7.", "7.2", "9.07" followed by a capitalised word
  and is either short — a heading line — or opens with a short capitalised title ending in a period —
  "21.4 Governing Law. This …"). Sentences with no such heading before them on their page are not judged.
  A label agrees when its number is the truth's number or an ancestor of it (label "7" for text under a
  "7.2" heading names the section the text lies in, less finely); `exact` counts equality only.
profiles — title, parties and agreement date against CUAD's own answers (eval/review-cuad/profiles.jsonl):
  title: the profile's title equals CUAD's Document Name up to case, punctuation and spacing;
  parties: CUAD's party names (its "; "-separated list, the quoted defined names in parentheses dropped)
  each equal to a profile party up to case, punctuation, a leading "The" and legal-form suffixes
  (Inc., LLC, Ltd., Corp., S.A., GmbH, …); a contract counts when every party is found. Precision: share
  of profile parties that are one of CUAD's;
  date: the profile's first date (Profile.date) equals CUAD's Agreement Date, over contracts that state one.
routing — (a) dev-zh's questions that name one document, routed over its ten profiles (+ the English dev set);
  (b) "Which law governs the <title>?" for each CUAD contract in groups of five (its exact title and its short
  title — the title without the party names); share routed to the right document alone.

Writes bench/results/profiles.json.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LONGDOC_SHARED") or (ROOT.parent / "shared")).resolve()
CACHE = ROOT / "bench" / ".cache" / "parse"
WINDOW = 256


def _arg(argv: list[str], name: str, default):
    return type(default)(argv[argv.index(name) + 1]) if name in argv else default


# ---------------------------------------------------------------------------------------------------------
# parsing, with the text layer cached


def _cached_read_pdf():
    import ingest.pdf as pdf

    real = getattr(pdf._read_pdf, "__wrapped__", pdf._read_pdf)

    def read(path, password, ocr, max_pages, engine=pdf.DEFAULT_TEXT_ENGINE):
        st = Path(path).stat()
        key = hashlib.sha1(f"{Path(path).resolve()}|{st.st_size}|{st.st_mtime_ns}|{engine}|{ocr}".encode()).hexdigest()
        f = CACHE / f"{key}.pkl"
        if f.exists():
            try:
                return pickle.loads(f.read_bytes())
            except Exception:  # noqa: BLE001 - a broken cache entry is re-read
                pass
        got = real(path, password, ocr, max_pages, engine)
        CACHE.mkdir(parents=True, exist_ok=True)
        f.write_bytes(pickle.dumps(got))
        return got

    read.__wrapped__ = real
    pdf._read_pdf = read


def parse(path: Path):
    from ingest.pdf import load_document

    return load_document(path, ocr="off")


def _count(text: str) -> int:
    return len(re.findall(r"\w+|[^\w\s]", text))


def corpus(argv: list[str]) -> dict[str, list[Path]]:
    cuad = Path(_arg(argv, "--cuad", str(SHARED / "corpus" / "cuad")))
    limit = _arg(argv, "--limit", 0)
    files = sorted(p for p in cuad.glob("*") if p.suffix.lower() == ".pdf") if cuad.is_dir() else []
    if limit:
        files = files[:limit]
    dev = sorted(p for p in (SHARED / "eval" / "dev").glob("*") if p.suffix.lower() == ".pdf")
    zh = sorted(p for p in (SHARED / "eval" / "dev-zh").glob("*.pdf") if "_scan" not in p.name)
    return {"cuad": files, "dev": dev, "dev-zh": zh}


# ---------------------------------------------------------------------------------------------------------
# labels

_CN_NUM = "零〇一二三四五六七八九十百千两"
_TRUTH = re.compile(
    r"^(?:(?:ARTICLE|Article|SECTION|Section|§)\s*)?(\d{1,2}(?:\.\d{1,3}){0,3})\.?\s+"
    r"(?=[A-Z(“\"])(?P<rest>.*)$")
_TRUTH_ROMAN = re.compile(r"^(?:ARTICLE|Article)\s+([IVXLC]{1,6})\b\.?(?P<rest>.*)$")
_TRUTH_ZH = re.compile(rf"^\s*第([{_CN_NUM}\d]+)条")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def _roman(s: str) -> int:
    total, prev = 0, 0
    for ch in reversed(s.upper()):
        v = _ROMAN.get(ch, 0)
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total


def _truth_heading(line: str) -> str | None:
    """The number of a numbered heading line (independent of ingest/structure.py), else None."""
    s = " ".join(line.split())
    m = _TRUTH_ZH.match(s)
    if m:
        return "第" + m.group(1) + "条"
    if re.match(r"^(?:ARTICLE|Article)\s+(?:[IVXLC]{1,6}|\d{1,2})\b\s*[,(]", s):
        return None  # a cross-reference a line break left at a line's start: "ARTICLE XIII, Financial Assurances, …"
    m = _TRUTH_ROMAN.match(s)
    if m:
        if re.search(r"(?:\.\s?){4,}|…{2,}|[A-Za-z\]]\s+\d{1,3}$", m.group("rest")):
            return None  # a table-of-contents line: "ARTICLE X MISCELLANEOUS 22", "Article VII [Reserved] 39"
        return str(_roman(m.group(1)))
    m = re.match(r"^(?:ARTICLE|Article)\s+(\d{1,2})\.?(?=\s+[A-Z0-9(\[-]|\s*$)", s)
    if m and not re.search(r"(?:\.\s?){4,}|[A-Za-z.\])]\s+\d{1,3}$|\b\d{1,2}\s+\d{1,3}$", s):
        return m.group(1)  # "ARTICLE 2. PURCHASE ORDERS 2.1 …"
    m = _TRUTH.match(s)
    if not m:
        return None
    num, rest = m.group(1).rstrip("."), m.group("rest")
    if re.search(r"(?:\.\s?){4,}|…{2,}|[A-Za-z.\])]\s+\d{1,3}$|\b\d{1,2}\s+\d{1,3}$", rest) or re.search(
            r"[A-Za-z]\s+\d{1,3}\s+(?:ARTICLE|Article|SECTION|Section|\d{1,2}(?:\.\d+)*\.?)\s+[A-Z0-9]", rest):
        return None  # a table-of-contents line ("1. DEFINITIONS 1 2. GOVERNANCE 10", "Interpretation 3", leaders)
    top = int(num.split(".")[0])
    if top == 0 or top > 60 or re.search(r"\d{3,}|%|\$", rest[:40]):
        return None
    words = rest.split()
    titled = all(w[:1].isupper() or not w[:1].isalpha() or w.lower() in _SMALL_WORDS for w in words)
    if len(s) <= 90 and len(words) <= 12 and not rest.rstrip().endswith((",", ";", ":")) and (
            titled or not rest.rstrip().endswith(".")):
        return num  # a heading line: "7. TERM", "21.4 Governing Law" (not a one-sentence clause "4. Playboy is …")
    head = re.match(r"^((?:[A-Z(“\"][\w’'&/()“”\"-]*[ ,;]*(?:(?:and|or|of|the|to|for|in|on|with|by|a|an|under|upon|from|at|as) )*){1,8}?)[.:]\s", rest)
    return num if head else None  # "21.4 Governing Law. This Agreement …"


_SMALL_WORDS = frozenset("a an and as at by for from in into of on or the to with".split())


def _norm_num(n: str) -> tuple:
    if n.startswith("第"):
        return (n,)
    parts = [int(x) for x in n.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()  # "19.0 TERMINATION" is clause 19
    return tuple(parts)


def _label_number(label: str) -> tuple | None:
    """The innermost numbered part of a section path: "Article 7 > Section 7.2 Term" → (7, 2)."""
    for part in reversed(label.split(" > ")):
        m = re.search(r"第[零〇一二三四五六七八九十百千两\d]+条", part)
        if m:
            return (m.group(0),)
        m = re.match(r"^(?:Section|SECTION|§)?\s*(\d{1,2}(?:\.\d{1,3}){0,3})\b", part)
        if m:
            return _norm_num(m.group(1).rstrip("."))
        m = re.match(r"^(?:Article|ARTICLE)\s+([IVXLC]{1,6}|\d{1,3})\b", part)
        if m:
            g = m.group(1)
            return (int(g) if g.isdigit() else _roman(g),)
    return None


_TRUTH_ZH_AT = re.compile(rf"(?<![\u4e00-\u9fff])第[{_CN_NUM}\d]+条(?=\s)")


def _truth_numbers(page_text: str) -> list[tuple[int, tuple]]:
    if re.search(r"[\u4e00-\u9fff]", page_text[:400]):
        # Chinese statutes print each article as "第十九条 劳动合同期限…": the article number, then a space (a
        # reference inside a sentence, "本法第十九条规定", runs on without one); clean-up may have joined the lines
        return [(m.start(), (m.group(0),)) for m in _TRUTH_ZH_AT.finditer(page_text)]
    out, pos = [], 0
    for line in page_text.split("\n"):
        num = _truth_heading(line)
        if num:
            lead = len(line) - len(line.lstrip())
            out.append((pos + lead, _norm_num(num)))
        pos += len(line) + 1
    return out


def _sentence_starts(text: str, s: int, e: int) -> list[int]:
    out = []
    m = re.compile(r"\S").search(text, s, e)
    if m:
        out.append(m.start())
    for m in re.finditer(r"(?:[.!?;。！？；][\"”’)\]]*\s+|\n\s*)(?=\S)", text[s:e]):
        out.append(s + m.end())
    return sorted(set(out))


def measure_labels(docs) -> dict:
    import bisect

    from ingest.chunk import chunk_document

    total = agree = exact = unjudged = later = 0
    per_doc = []
    for doc in docs:
        chunks = chunk_document(doc, _count, WINDOW, 32)
        hstarts = [h.char_start for h in doc.headings]
        truth_by_page = {p.number: (p.char_start, _truth_numbers(p.text)) for p in doc.pages}
        d_tot = d_ok = 0
        bad: list[str] = []
        prev_end = 0
        for c in chunks:
            start = max(c.char_start, prev_end)  # the core: text the previous chunk did not hold
            prev_end = max(prev_end, c.char_end)
            for pos in _sentence_starts(doc.text, start, c.char_end):
                page = doc.page_at(pos)
                pstart, heads = truth_by_page.get(page, (0, []))
                before = [(at, n) for at, n in heads if pstart + at <= pos]
                if not before:
                    unjudged += 1
                    continue
                t_at, truth = before[-1]
                label = c.section_at(pos)
                got = _label_number(label)
                total += 1
                d_tot += 1
                ok = got is not None and truth[: len(got)] == got
                k = bisect.bisect_right(hstarts, pos) - 1
                if not ok and k >= 0 and hstarts[k] > pstart + t_at and _label_number(doc.headings[k].title) is None \
                        and doc.headings[k].title in label:
                    # a heading the plain rule does not know ("IN WITNESS WHEREOF", "EXHIBIT B") lies between the
                    # numbered heading and the text: the label names the nearer one, which is not a mislabel
                    ok = True
                    later += 1
                    exact += 1
                    agree += 1
                    d_ok += 1
                    continue
                if ok:
                    agree += 1
                    d_ok += 1
                    exact += got == truth
                elif len(bad) < 3:
                    bad.append(f"p.{page} truth {'.'.join(map(str, truth))} label {label!r}: "
                               f"{' '.join(doc.text[pos:pos + 60].split())}")
        if d_tot:
            per_doc.append({"file": doc.file, "judged": d_tot, "agree": round(d_ok / d_tot, 4), "examples": bad})
    return {"judged": total, "agree": round(agree / max(1, total), 4), "exact": round(exact / max(1, total), 4),
            "unjudged": unjudged, "nearer_unnumbered_heading": later, "per_doc": sorted(per_doc, key=lambda r: r["agree"])}


# ---------------------------------------------------------------------------------------------------------
# profiles against CUAD's answers

_FORMS = {"inc", "incorporated", "llc", "l l c", "ltd", "limited", "corp", "corporation", "co", "company", "lp",
          "l p", "llp", "plc", "sa", "s a", "gmbh", "ag", "bv", "b v", "nv", "n v", "spa", "s p a", "pty", "pte",
          "sarl", "sas", "ab", "oy", "kk", "na", "n a", "lc", "pc", "pllc", "se"}


def _norm(s: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", (s or "").lower().replace("&", " and ")).split())


def norm_party(s: str) -> str:
    """A party name up to case, punctuation, a leading "the" and trailing legal-form suffixes."""
    s = re.sub(r"\(.*?\)|“.*?”|\".*?\"", " ", s or "")
    n = _norm(s)
    n = re.sub(r"^the ", "", n)
    changed = True
    while changed:
        changed = False
        for f in sorted(_FORMS, key=len, reverse=True):
            if n.endswith(" " + f):
                n = n[: -len(f) - 1].strip()
                changed = True
    return n


_ROLE_WORDS = frozenset("""company consultant distributor supplier customer licensee licensor party parties provider bank
agent seller buyer purchaser franchisee franchisor employee employer contractor manufacturer reseller sponsor""".split())
# nouns for what a party is, not who: CUAD lists a form's blank party by its role ("Franchisee", "sales agent",
# "Web site owners", "U.S. registered broker-dealer affiliate of the Agent")
_ROLE_NOUNS = _ROLE_WORDS | frozenset("""affiliate affiliates owner owners publisher publishers broker dealer member
members entity individual person client vendor licensees franchisees sales agents""".split())
_ALSO_KNOWN = re.compile(r"\s+(?:d\s*/\s*b\s*/\s*a|dba|doing\s+business\s+as|formerly\s+known\s+as|f\s*/\s*k\s*/\s*a|"
                         r"a\s*/\s*k\s*/\s*a|also\s+known\s+as|trading\s+as|t\s*/\s*a)\.?\s+", re.I)
_DESCRIPTION = re.compile(r",?\s+(?:including\s+(?:its|his|her|their)\b|on\s+behalf\s+of\b|together\s+with\s+its\b|"
                          r"and\s+its\s+(?:subsidiaries|affiliates|successors)\b|and\s+who\b).*$", re.I | re.S)
_COLLECTIVE = re.compile(r"[“\"]\s*Parties\s*[”\"]|\b(?:individually|each)\b[^()]{0,40}[“\"]\s*Party\s*[”\"]")


def party_names(s: str) -> tuple[str, ...]:
    """The names one party goes by, each up to case, punctuation and legal form: "Time Life, Inc. d/b/a Time Life
    Music" is found as either name; a description after the name (", including its successors and permitted
    assigns", ", on behalf of itself and its affiliates") is no part of it."""
    s = _DESCRIPTION.sub("", re.sub(r"\((?:[^()]|\([^()]*\))*\)", " ", s or ""))
    out = [norm_party(x) for x in _ALSO_KNOWN.split(s)]
    return tuple(dict.fromkeys(x for x in out if x))


def _pieces(field: str) -> list[str]:
    """CUAD's entries: split on ";" and after a closing parenthesis that a new name follows (its annotators
    sometimes leave out the ";": "VIVINT, INC. (… “Vivint”) Vivint Solar and Vivint (…)")."""
    if field.count("(") > field.count(")") or re.match(r"^\s*\([^\"“”()]*\(", field):
        field = re.sub(r"^\s*\(", "", field)  # "(Dragon Systems, Inc. (“Dragon Systems”); …": a stray bracket
    if field.count(")") > field.count("("):
        field = re.sub(r"\)\s*$", "", field)
    out, depth, start = [], 0, 0
    for i, ch in enumerate(field):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
            opened = field.rfind("(", start, i)
            if depth == 0 and re.search(r"[\"“”]", field[opened:i]) and re.match(r"\s*,?\s+(?=[A-Z\[])", field[i + 1:]):
                out.append(field[start: i + 1])
                start = i + 1
        elif ch == ";" and depth == 0:
            out.append(field[start:i])
            start = i + 1
    out.append(field[start:])
    return [x.strip(" ,") for x in out if x.strip(" ,")]


def _names_no_one(raw: str, text_words: set[str]) -> bool:
    """An entry that is a role, not a name ("Franchisee", "sales agent", "Software Publishers"): a role noun, and
    every other word in lower case in CUAD's copy or a word the contract itself writes in lower case."""
    words = re.findall(r"[A-Za-z][\w'’-]*", re.sub(r"\((?:[^()]|\([^()]*\))*\)", " ", raw))
    if not words or re.search(r"\b(?:inc|llc|ltd|corp|gmbh|plc|limited|corporation|l\.?p)\b", raw, re.I):
        return False
    if not any(w.lower() in _ROLE_NOUNS for w in words):
        return False
    return all(w.lower() in _ROLE_NOUNS or w.islower() or w.lower() in _SMALL or len(w) <= 2 or w.lower() in text_words
               for w in words)


_SMALL = frozenset("a an and as at by for from in of on or the to with".split())


def truth_parties(field: str, text: str = "") -> list[tuple[str, ...]]:
    """CUAD's parties, each as the names it goes by (see party_names): its entries without the defined names in
    parentheses, and without the entries that are its annotators' copies of a collective definition ("Oxbow and
    Global", "Party A, Party B, Party C (individually a “Party” …)") or a role with no name ("Franchisee")."""
    field = field or ""
    aliases = {_norm(a) for a in re.findall(r"[\"“”]([^\"“”]{1,40})[\"“”]", field)}
    raws = _pieces(field)
    pieces = [re.sub(r"\((?:[^()]|\([^()]*\))*\)", " ", x).strip() for x in raws]
    firsts = {_norm(x).split()[0] for x in pieces if _norm(x)}
    text_words = {w for w in re.findall(r"\b[a-z][a-z'-]+\b", text)}
    out: list[tuple[str, ...]] = []
    for raw, p in zip(raws, pieces):
        n = norm_party(p)
        if not p or raw.strip().startswith(("(", "[")) or not re.search(r"[A-Za-z]{2}", p) or not n:
            continue
        if _COLLECTIVE.search(raw) or re.search(r"\b(?:individually|collectively|referred|each|together|hereinafter)\b", n):
            continue  # "Marathon Petroleum Company LP and Marathon Pipe Line LLC (jointly as “Parties” …)"
        if _names_no_one(raw, text_words):
            continue
        halves = [h.strip() for h in re.split(r"\band\b", n)]
        if len(halves) == 2 and all(h and len(h.split()) <= 2 and (h in aliases or h in _ROLE_WORDS or h in firsts)
                                    for h in halves):
            continue
        names = party_names(p)
        if names and names not in out:
            out.append(names)
    return out


def _same_party(a: str, b: str) -> bool:
    """Equal up to a typo in CUAD's copy ("Coral Gold Resourced", "Torevic"): 90 % similar by difflib."""
    import difflib

    return a == b or (min(len(a), len(b)) >= 5 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.9)


def _found(want: tuple[str, ...], got: list[tuple[str, ...]], others: list[tuple[str, ...]]) -> bool:
    """A truth entry is found when one of its names is a profile party's name, or when it is two or more parties
    in one entry ("American United Life Insurance Company and OneAmerica Securities, Inc.") and each is found
    (or is another entry of the list)."""
    names = [g for gs in got for g in gs]
    if any(_same_party(w, g) for w in want for g in names):
        return True
    for w in want:
        parts = [norm_party(x) for x in re.split(r"\s+and(?:\s+or)?\s+|\s*,\s*", w) if x.strip()]
        if len(parts) >= 2 and all(any(_same_party(x, g) for g in names) or any(x in o for o in others)
                                   for x in parts):
            return True
    return False


def _iso(us: str) -> str:
    m = re.match(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$", us or "")
    return f"{int(m.group(3)):04d}-{int(m.group(1)):02d}-{int(m.group(2)):02d}" if m else ""


def measure_profiles(docs, truth_file: Path, show: int = 0) -> dict:
    from ingest.profile import build_profile

    truth = {}
    for line in truth_file.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            truth[r["doc"]] = r
    n = title_ok = title_near = parties_all = parties_n = date_n = date_ok = 0
    party_total = party_found = prof_parties = prof_good = 0
    misses: dict[str, list] = {"title": [], "parties": [], "date": []}
    for doc in docs:
        t = truth.get(doc.file)
        if not t:
            continue
        p = build_profile(doc)
        n += 1
        # CUAD's Document Name sometimes holds the title twice or on two lines ("AMENDMENT NO. 3\n\nMANUFACTURING
        # AGREEMENT"): the title counts when it is the whole name or one of its lines
        names = {_norm(t["document_name"])} | {_norm(x) for x in re.split(r"\n\s*\n", t["document_name"]) if x.strip()}
        if _norm(p.title) in names:
            title_ok += 1
            title_near += 1
        elif any(_same_party(_norm(p.title), x) for x in names):
            title_near += 1  # CUAD's copy has a typo ("JOINT VENTURE AGREEMEN") or the document has ("Affliate")
            misses["title"].append((doc.file[:50], p.title, t["document_name"]))
        else:
            misses["title"].append((doc.file[:50], p.title, t["document_name"]))
        want = truth_parties(t["parties"], doc.text)
        got = [party_names(x) for x in p.parties]
        found = [w for w in want if _found(w, got, [o for o in want if o != w])]
        party_total += len(want)
        parties_n += bool(want)
        party_found += len(found)
        prof_parties += len(got)
        prof_good += sum(1 for g in got if any(_found(w, [g], []) for w in want))
        if not want:
            pass  # a form whose parties are blanks ("[] (“Franchisee”)"): no name to find
        elif len(found) == len(want):
            parties_all += 1
        else:
            misses["parties"].append((doc.file[:50], p.parties, want))
        iso = _iso(t.get("agreement_date", ""))
        if iso:
            date_n += 1
            if p.date == iso:
                date_ok += 1
            else:
                misses["date"].append((doc.file[:50], p.dates[:3], iso))
    res = {
        "contracts": n,
        "title": round(title_ok / max(1, n), 4),
        "title_up_to_typos": round(title_near / max(1, n), 4),
        "parties_all_found": round(parties_all / max(1, parties_n), 4),
        "parties_named": parties_n,
        "party_recall": round(party_found / max(1, party_total), 4),
        "party_precision": round(prof_good / max(1, prof_parties), 4),
        "date_stated": date_n,
        "agreement_date": round(date_ok / max(1, date_n), 4),
    }
    if show:
        for k, rows in misses.items():
            print(f"--- {k} misses ({len(rows)}):")
            for r in rows[:show]:
                print("   ", r)
    return res


# ---------------------------------------------------------------------------------------------------------
# routing


def _documents(docs):
    from ingest.profile import build_profile
    from ingest.types import Document

    out = []
    for d in docs:
        p = build_profile(d)
        out.append(Document(d.doc_id, d.file, p.title or d.title, d.domain, d.page_count, 0, "ready", profile=p))
    return out


def measure_routing(zh_docs, en_docs, cuad_docs, show: int = 0) -> dict:
    from retrieval.route import build_index, route

    res: dict = {}
    qfile = SHARED / "eval" / "dev-zh" / "questions.jsonl"
    if zh_docs and qfile.exists():
        docs = _documents(zh_docs) + _documents(en_docs)
        idx = build_index(docs)
        by_file = {d.file: d.doc_id for d in docs}
        n = ok = un = un_narrowed = un_wrong = 0
        for line in qfile.read_text().splitlines():
            q = json.loads(line)
            if not q.get("names_document"):
                # a question that names no document must not be narrowed to a document it is not about
                un += 1
                rt = route(q["question"], idx)
                want = {by_file.get(f) for f in ([q["doc"]] if isinstance(q.get("doc"), str) else q.get("doc") or [])}
                if rt.doc_ids is not None and not any(it.implicit for it in rt.items):
                    un_narrowed += 1
                    if not set(rt.doc_ids) & want or not q.get("doc"):
                        un_wrong += 1
                        if show:
                            print("   zh unnamed narrowed wrongly:", q["question"][:60], "→", rt.reason[:90])
                continue
            if not isinstance(q.get("doc"), str):
                continue
            n += 1
            rt = route(q["question"], idx)
            right = rt.doc_ids is not None and tuple(rt.doc_ids) == (by_file.get(q["doc"]),)
            ok += right
            if not right and show:
                print("   zh miss:", q["question"][:60], "→", rt.mode, rt.reason[:100])
        res["dev_zh_named"] = {"n": n, "right": round(ok / max(1, n), 4)}
        res["dev_zh_unnamed"] = {"n": un, "narrowed": un_narrowed, "narrowed_to_a_wrong_document": un_wrong}
    if cuad_docs:
        docs = _documents(cuad_docs)
        n = ok = n_short = ok_short = 0
        for g in range(0, len(docs) - 4, 5):
            group = docs[g: g + 5]
            idx = build_index(group)
            titles = [d.profile.title for d in group]
            for d in group:
                title = d.profile.title
                if not title or titles.count(title) > 1:
                    continue
                for kind, name in (("exact", title), ("short", _short_title(title, d.profile.parties))):
                    if not name:
                        continue
                    rt = route(f"Which law governs the {name}?", idx)
                    right = rt.doc_ids is not None and tuple(rt.doc_ids) == (d.doc_id,)
                    if kind == "exact":
                        n += 1
                        ok += right
                    else:
                        n_short += 1
                        ok_short += right
                    if not right and show > 5:
                        print(f"   title miss ({kind}):", name, "→", rt.mode, rt.reason[:100])
        res["cuad_title_groups_of_5"] = {"n": n, "right": round(ok / max(1, n), 4),
                                         "short_n": n_short, "short_right": round(ok_short / max(1, n_short), 4)}
    return res


def _short_title(title: str, parties: list[str]) -> str:
    """The title without words of the party names ("Adams Golf Endorsement Agreement" → "Endorsement Agreement")."""
    pw = {w.lower() for p in parties for w in re.findall(r"\w+", p)}
    words = [w for w in title.split() if w.lower().strip(",.") not in pw]
    short = " ".join(words)
    return short if short != title and len(words) >= 2 else ""


# ---------------------------------------------------------------------------------------------------------


def run(argv: list[str]) -> dict:
    what = [a for a in argv if a in ("labels", "profiles", "routing")] or ["labels", "profiles", "routing"]
    show = _arg(argv, "--show", 0)
    _cached_read_pdf()
    sets = corpus(argv)
    t0 = time.perf_counter()
    parsed: dict[str, list] = {}
    for name, files in sets.items():
        parsed[name] = []
        for i, f in enumerate(files):
            try:
                parsed[name].append(parse(f))
            except Exception as e:  # noqa: BLE001 - a file that does not parse is reported, not fatal
                print(f"[profiles] {f.name}: {type(e).__name__}: {e}", file=sys.stderr)
            if (i + 1) % 25 == 0:
                print(f"[profiles] parsed {name} {i + 1}/{len(files)} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    out: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                 "documents": {k: len(v) for k, v in parsed.items()}, "parse_seconds": round(time.perf_counter() - t0, 1)}
    if "labels" in what:
        for name in ("cuad", "dev", "dev-zh"):
            if parsed[name]:
                r = measure_labels(parsed[name])
                print(f"labels {name:7s}: {r['agree']:.2%} agree ({r['exact']:.2%} exact) of {r['judged']} judged "
                      f"sentences ({r['unjudged']} without a numbered heading before them on their page; "
                      f"{r['nearer_unnumbered_heading']} agree by a nearer unnumbered heading)")
                for row in r["per_doc"][:show]:
                    print(f"   {row['agree']:.0%} {row['file'][:60]}: {row['examples'][:2]}")
                out[f"labels_{name}"] = {k: v for k, v in r.items() if k != "per_doc"} | {"worst": r["per_doc"][:10]}
    truth = SHARED / "eval" / "review-cuad" / "profiles.jsonl"
    if "profiles" in what and parsed["cuad"] and truth.exists():
        r = measure_profiles(parsed["cuad"], truth, show)
        print(f"profiles cuad  : title {r['title']:.2%} ({r['title_up_to_typos']:.2%} up to a typo), every party found {r['parties_all_found']:.2%} of {r['parties_named']} naming one "
              f"(party recall {r['party_recall']:.2%}, precision {r['party_precision']:.2%}), agreement date "
              f"{r['agreement_date']:.2%} of {r['date_stated']} stating one — {r['contracts']} contracts")
        out["profiles_cuad"] = r
    if "routing" in what:
        r = measure_routing(parsed["dev-zh"], parsed["dev"], parsed["cuad"], show)
        for k, v in r.items():
            print(f"routing {k}: {v}")
        out["routing"] = r
    res = ROOT / "bench" / "results"
    res.mkdir(parents=True, exist_ok=True)
    (res / "profiles.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out

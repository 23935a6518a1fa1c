"""Headings, section paths, domain and title: on small texts and on the real contracts and papers."""

from __future__ import annotations

from parse_cache import DYNAMEX, KING, OFFENSIVE, RAPTOR, SCOTUS, SUCAMPO, WESTLAW, dev, parsed

from ingest.structure import detect_headings, guess_domain, guess_title, section_path_at
from ingest.types import Heading

CONTRACT = """MASTER SUPPLY AGREEMENT
RECITALS
WHEREAS, the Supplier makes widgets; and
WHEREAS, the Buyer wishes to buy them;
NOW, THEREFORE, the parties agree as follows:
ARTICLE I
DEFINITIONS
Section 1.1 Defined Terms. In this Agreement the following terms have these meanings.
Section 1.2 Interpretation. Headings do not affect interpretation.
ARTICLE II PRICE
2.1 Price. The Buyer shall pay the price in Schedule 1.
2.1.1 Adjustments
The price is adjusted yearly.
§ 3 Notices
Notices must be in writing.
IN WITNESS WHEREOF, the parties have signed this Agreement.
SCHEDULE 1
PRICES
EXHIBIT A
FORM OF ORDER
"""

PAPER = """A Study of Things
Abstract
We study things.
1 Introduction
Things matter.
2 Method
2.1 Data
We used data.
3 Results
It worked.
References
[1] A. Author. A paper. 2020.
ACM COMPUTING SURVEYS
[2] B. Author. Another paper. 2021.
Appendix
A Additional Experiments
More results.
"""


def titles(hs):
    return [h.title for h in hs]


def test_legal_headings_and_levels():
    hs = detect_headings(CONTRACT)
    got = [(h.level, h.title) for h in hs]
    assert (1, "Recitals") in got
    assert titles(hs).count("Recitals") == 1  # the RECITALS line and the WHEREAS clauses are one section
    assert (1, "Article I DEFINITIONS") in got
    assert (2, "Section 1.1 Defined Terms") in got
    assert (1, "Article II PRICE") in got
    assert (2, "2.1 Price") in got and (3, "2.1.1 Adjustments") in got
    assert any(t.startswith("Section 3") and "Notices" in t for t in titles(hs))
    assert "IN WITNESS WHEREOF" in titles(hs)
    assert any(t.startswith("Schedule 1") for t in titles(hs))
    assert any(t.startswith("Exhibit A") for t in titles(hs))
    assert "DEFINITIONS" not in titles(hs)  # folded into its ARTICLE line, not a second heading
    assert not any(h.is_references for h in hs)


def test_section_path_follows_nesting():
    hs = detect_headings(CONTRACT)
    at = CONTRACT.index("The price is adjusted yearly")
    path, refs = section_path_at(hs, at)
    assert path == ("Article II PRICE", "2.1 Price", "2.1.1 Adjustments") and refs is False
    assert section_path_at(hs, 0) == ((), False) or section_path_at(hs, 0)[0][0] == "MASTER SUPPLY AGREEMENT"


def test_scientific_headings_and_references_flag():
    hs = detect_headings(PAPER)
    assert titles(hs)[:1] == ["Abstract"] or "Abstract" in titles(hs)
    assert {"1 Introduction", "2 Method", "2.1 Data", "3 Results", "References"} <= set(titles(hs))
    assert "ACM COMPUTING SURVEYS" not in titles(hs)  # all-caps journal names in a bibliography
    refs = PAPER.index("[2] B. Author")
    assert section_path_at(hs, refs) == (("References",), True)
    appendix = PAPER.index("More results.")
    path, is_refs = section_path_at(hs, appendix)
    assert is_refs is False and path[-1] == "A Additional Experiments"


def test_ieee_inline_abstract():
    assert titles(detect_headings("Title\nAbstract—We study things at length.\nI. INTRODUCTION\nText.")) == [
        "Abstract",
        "I. INTRODUCTION",
    ]


def test_markdown_headings():
    text = "# Title\n\nIntro.\n\n## Part one\n\nBody.\n\n### Detail\n\nMore."
    hs = detect_headings(text)
    assert [(h.level, h.title) for h in hs] == [(1, "Title"), (2, "Part one"), (3, "Detail")]
    assert section_path_at(hs, text.index("More."))[0] == ("Title", "Part one", "Detail")


def test_table_of_contents_lines_are_not_headings():
    text = "TABLE OF CONTENTS\nARTICLE I DEFINITIONS 1\nSection 1.01 Definitions 2\nARTICLE II SALE 5\n" + (
        "This Agreement is made between the parties named below and sets out the whole of their bargain "
        "about the sale of the goods described in it.\nARTICLE I DEFINITIONS\nSection 1.01 Definitions\n"
    )
    hs = detect_headings(text)
    assert titles(hs) == ["Table of Contents", "Article I DEFINITIONS", "Section 1.01 Definitions"]
    assert hs[1].char_start == text.index("ARTICLE I DEFINITIONS\nSection")


def test_titles_are_trimmed():
    hs = detect_headings("ARTICLE IV " + "VERY LONG TITLE WORDS " * 3 + "\nSection 4.1 " + "Word " * 9 + "\n")
    assert all(len(h.title) <= 80 for h in hs)
    long = Heading(0, 1, "x" * 200)
    assert len(section_path_at([long], 5)[0][0]) <= 80


def test_section_path_with_no_headings():
    assert section_path_at([], 100) == ((), False)


# -- real documents ---------------------------------------------------------------------------------


def test_cuad_contract_articles_and_sections():
    doc = dev(KING)
    t = titles(doc.headings)
    assert "Article I DEFINITIONS" in t and "Article XVI MISCELLANEOUS" in t
    assert "Section 2.1 Grant of Promotion Rights" in t and "Section 16.11 Governing Law" in t
    assert "IN WITNESS WHEREOF" in t
    assert "Recitals" in t
    at = doc.text.index("The term of this Agreement shall commence on the Effective Date")
    path, refs = section_path_at(doc.headings, at)
    assert path[-2:] == ("Article VIII TERM AND TERMINATION", "Section 8.1 Term") and not refs
    # definitions ("Section 1.12 “Annual Plan” has the meaning …") are clauses, not headings
    assert not any("has the meaning" in x for x in t)


def test_cuad_contract_with_table_of_contents():
    doc = dev(SUCAMPO)
    t = titles(doc.headings)
    assert t.count("Article I DEFINITIONS AND INTERPRETATION") == 1
    assert "Section 8.01 Governing Law" in t
    # the heading points at the body, after the table of contents
    first = next(h for h in doc.headings if h.title == "Article I DEFINITIONS AND INTERPRETATION")
    assert first.char_start > doc.text.index("TABLE OF CONTENTS") + 500


def test_numbered_contract_sections():
    doc = dev(DYNAMEX)
    t = titles(doc.headings)
    assert {"1.0 DEFINITIONS", "2.0 TERM", "9.0 INSURANCE", "22.0 FORCE MAJEURE"} <= set(t)
    assert next(h for h in doc.headings if h.title == "9.0 INSURANCE").level == 1


def test_paper_sections_and_references_on_a_written_paper():
    """The paper written for the tests (tests/fixtures/pdfs.py): the same structure a real one has."""
    from tests.fixtures import pdfs

    doc = parsed(str(pdfs.paper()))
    t = titles(doc.headings)
    assert t[0] == "Abstract"
    assert t == ["Abstract", "1 Introduction", "2 Methodology", "2.1 Data Pre-processing", "2.2 Retrieval",
                 "3 Results", "4 Conclusion", "References", "A EXPERIMENT SETTINGS"]
    assert next(h for h in doc.headings if h.title == "2.1 Data Pre-processing").level == 2
    refs = next(h for h in doc.headings if h.title == "References")
    assert refs.is_references
    at = doc.text.index("[7] K. Judge")
    assert section_path_at(doc.headings, at) == (("References",), True)
    # the appendix after the references is not part of them
    assert section_path_at(doc.headings, len(doc.text) - 10) == (("A EXPERIMENT SETTINGS",), False)
    h = next(h for h in doc.headings if h.title == "1 Introduction")
    assert doc.text[h.char_start :].startswith("1 Introduction")
    assert section_path_at(doc.headings, h.char_start + 20) == (("1 Introduction",), False)
    assert doc.domain == "paper" and doc.title == pdfs.PAPER_TITLE


def test_paper_sections_and_references():
    doc = dev(OFFENSIVE)
    t = titles(doc.headings)
    assert t[0] == "Abstract"
    assert {"1 Introduction", "2 Methodology", "2.1 Data Pre-processing", "5 Conclusion", "References"} <= set(t)
    refs = next(h for h in doc.headings if h.title == "References")
    assert refs.is_references
    tail = section_path_at(doc.headings, len(doc.text) - 10)
    assert tail == (("References",), True)
    h = next(h for h in doc.headings if h.title == "1 Introduction")
    assert doc.text[h.char_start :].startswith("1. Introduction")  # offsets point at the heading line
    assert section_path_at(doc.headings, h.char_start + 20) == (("1 Introduction",), False)


def test_paper_appendix_after_references_is_not_references():
    doc = dev(RAPTOR)
    t = titles(doc.headings)
    assert "References" in t and "1 INTRODUCTION" in t
    app = next(h for h in doc.headings if h.title.startswith("B ABLATION STUDY"))
    assert not app.is_references
    assert all(not h.is_references for h in doc.headings if h.title.startswith(("B.1", "E.2")))
    # figure labels that look like numbered headings ("1 Clustering") are not sections
    assert not any(x in t for x in ("1 Clustering", "2 Summarization"))


def test_court_opinion_parts():
    scotus = dev(SCOTUS)
    assert "Syllabus" in titles(scotus.headings)
    assert {"I", "II"} <= set(titles(scotus.headings))


def test_westlaw_opinion_parts():
    doc = dev(WESTLAW)
    t = titles(doc.headings)
    assert {"I. Ruddertowne", "II. The Federal Case", "IX. Conclusion"} <= set(t)


def test_domain_guess_on_real_documents():
    assert dev(KING).domain == "contract"
    assert dev(DYNAMEX).domain == "contract"
    assert dev(SUCAMPO).domain == "contract"
    assert dev(SCOTUS).domain == "court opinion"
    assert guess_domain("Shopping list: eggs, milk, bread.", "list.txt") == "other"
    # a book about law cites courts and cases, but names no parties: not an opinion
    book = "The Court held in Eldred v. Ashcroft that the term was valid. The Court affirmed. " * 30
    assert guess_domain(book, "free-culture.pdf") == "other"
    opinion = book + "Petitioner argues otherwise. Petitioner's claim fails. The judgment for Respondent is affirmed. IT IS SO ORDERED."
    assert guess_domain(opinion, "op.pdf") == "court opinion"


def test_domain_and_title_of_the_dev_papers_and_the_westlaw_print():
    assert dev(WESTLAW).domain == "court opinion"
    assert dev(OFFENSIVE).domain == "paper"
    assert dev(RAPTOR).domain == "paper"
    assert dev(OFFENSIVE).title == "Offensive Language Detection: A Comparative Analysis"
    # a two-line title stops before the authors; the ICLR running head is not the title
    assert dev(RAPTOR).title == "RAPTOR: RECURSIVE ABSTRACTIVE PROCESSING FOR TREE-ORGANIZED RETRIEVAL"
    # a court opinion is named by its caption, not by Westlaw's notices
    assert dev(WESTLAW).title == "Re: Diane HANSON v. DELAWARE STATE PUBLIC INTEGRITY COMMISSION"


def test_title_guess():
    assert dev(KING).title == "PROMOTION AGREEMENT"
    assert guess_title("Microsoft Word - draft7.doc", "SUPPLY AGREEMENT\nbetween A and B", "x.pdf") == "SUPPLY AGREEMENT"
    assert guess_title("contract_final_v2", "Exhibit 10.1\nLICENSE AGREEMENT", "contract_final_v2.pdf") == "LICENSE AGREEMENT"
    assert guess_title("untitled.pdf", "", "memo.pdf") == "memo"
    assert guess_title("The Economics of Things", "whatever", "a.pdf") == "The Economics of Things"


# ---- issue 26: a passage's label is the section its text lies in --------------------------------------------

INLINE = """DISTRIBUTOR AGREEMENT
TABLE OF CONTENTS
1. APPOINTMENT 1
2. Definitions and Interpretation 2
3. CONTRACT PRICE 4
1. APPOINTMENT. ----------- 1.1 Subject to the provisions of this Agreement, Airspan appoints the Distributor.
2. Definitions and Interpretation. (a) "Affiliate" means any entity controlling a party.
3. CONTRACT PRICE
The price is set out in Schedule 1.
4. Appointment; Reservation of Rights; Referrals. 4.1 The Company hereby appoints the Reseller.
5. DEFINITIONS 5.1 "Licensed Technology" shall mean the software.
Section 6. Independence of the Servicer. For all purposes the Servicer is independent.
7. MONEY LIST BONUS(ES). In addition to the Retainer Fee, the Company pays a bonus.
8. Subject to the terms of this Amendment, the Territory is extended.
9. COMPLIANCE WITH LAW; INSURANCE: During the Term the Carrier complies with all laws.
Any notice referred to in EXHIBIT A) and coupons for products offered by the Company.
"""


def test_numbered_clauses_that_open_with_their_title_are_sections():
    hs = detect_headings(INLINE)
    got = titles(hs)
    assert got[:2] == ["DISTRIBUTOR AGREEMENT", "Table of Contents"]
    # the table of contents ends where its first entry comes again; every clause below opens its own section
    assert got[2:] == ["1. APPOINTMENT", "2. Definitions and Interpretation", "3 CONTRACT PRICE",
                       "4. Appointment; Reservation of Rights; Referrals", "5. DEFINITIONS",
                       "Section 6 Independence of the Servicer", "7. MONEY LIST BONUS(ES)",
                       "9. COMPLIANCE WITH LAW; INSURANCE"], got
    at = INLINE.index("the Carrier complies")
    assert section_path_at(hs, at)[0][-1] == "9. COMPLIANCE WITH LAW; INSURANCE"
    at = INLINE.index("the Territory is extended")  # an untitled clause stays in the section before it
    assert section_path_at(hs, at)[0][-1] == "7. MONEY LIST BONUS(ES)"


def test_cuad_labels_name_the_section_the_text_lies_in():
    """Issue 26's examples: Airspan's governing law (21.4, p. 13) was labelled "6 CONTRACT PRICE", Aspirity's 9.07
    "Section 9.06 Entire Agreement"."""
    import re
    from pathlib import Path

    import pytest
    from parse_cache import CUAD

    from ingest.chunk import chunk_document

    def count(t: str) -> int:
        return len(t.split())

    for prefix, needle, want in (("AIRSPAN", "governed by the laws of the State of South Dakota", "21. MISCELLANEOUS"),
                                 ("ASPIRITY", "9.07 Choice of Law; Venue. This Agreement", "Section 9.07 Choice of Law; Venue")):
        files = sorted(Path(CUAD).glob(prefix + "*")) if Path(CUAD).is_dir() else []
        if not files:
            pytest.skip("../shared/corpus/cuad is not present")
        doc = parsed(str(files[0]))
        chunks = chunk_document(doc, count, 200, 20)
        at = [m.start() for m in re.finditer(r"\s+".join(map(re.escape, needle.split())), doc.text)]
        labels = {c.section_at(pos).split(" > ")[-1] for pos in at for c in chunks if c.char_start <= pos < c.char_end}
        assert at and labels == {want}, (prefix, labels)


# ---- issue 25: Chinese statutes, interpretations and papers -------------------------------------------------

ZH_STATUTE = ("中华人民共和国劳动合同法 （2007年6月29日 第十届全国人民代表大会常务委员会第二十八次会议通过） 目 录 "
              "第一章 总 则 第二章 劳动合同的订立 第一章 总 则 第一条 为了完善劳动合同制度，制定本法。 第二条 "
              "中华人民共和国境内的企业与劳动者建立劳动关系，适用本法。 第二章 劳动合同的订立 第十九条 "
              "劳动合同期限三个月以上不满一年的，试用期不得超过一个月。依照本法第十九条的规定约定试用期。 "
              "第五百六十三条【法定解除】 有下列情形之一的，当事人可以解除合同： （一）因不可抗力致使不能实现合同目的；")


def test_chinese_articles_and_chapters_are_headings_even_when_clean_up_ran_them_together():
    hs = detect_headings(ZH_STATUTE)
    got = titles(hs)
    assert got == ["第一章 总则", "第一条", "第二条", "第二章 劳动合同的订立", "第十九条", "第五百六十三条【法定解除】"], got
    at = ZH_STATUTE.index("试用期不得超过一个月")
    assert section_path_at(hs, at)[0] == ("第二章 劳动合同的订立", "第十九条")
    # a reference inside a sentence ("依照本法第十九条的规定") opens nothing
    at = ZH_STATUTE.index("约定试用期")
    assert section_path_at(hs, at)[0][-1] == "第十九条"


def test_chinese_headings_one_per_line():
    text = "\n".join(["一、一般规定", "第一条 人民法院依据民法典第一百四十二条第一款的规定解释合同条款。",
                      "（一）研究方法", "摘要", "本文研究噪声。", "关键词：噪声；城市", "1 引言", "城市交通噪声。",
                      "2.1 数据来源", "参考文献", "[1] 张三. 噪声研究. 2020."])
    hs = detect_headings(text)
    assert titles(hs) == ["一、一般规定", "第一条", "（一）研究方法", "摘要", "关键词", "1 引言", "2.1 数据来源",
                          "参考文献"], titles(hs)
    assert hs[-1].is_references


def test_an_exhibit_numbers_its_own_sections_from_one_again():
    """Issue 26 item 1: "EXHIBIT A" then "1. DEFINITIONS" is the exhibit's section 1, not a stray number to drop."""
    text = ("1. DEFINITIONS\nTerms are defined here.\n2. LICENSE\nA licence is granted.\n3. TERM\nFive years.\n"
            "4. PAYMENT\nFees are due.\n5. GENERAL\nMiscellaneous terms.\n"
            "EXHIBIT A\nSERVICE LEVELS\n1. MAINTENANCE\nThe provider maintains the site.\n2. UPTIME GUARANTEE\n"
            "The site is up 99 % of the time.\n3. REPORTING\nMonthly reports are sent.\n")
    titles = [h.title for h in detect_headings(text)]
    assert "1 MAINTENANCE" in titles and "2 UPTIME GUARANTEE" in titles and "3 REPORTING" in titles, titles
    hs = detect_headings(text)
    at = text.index("The site is up")
    path, _ = section_path_at(hs, at)
    assert path[-1] == "2 UPTIME GUARANTEE", path


def test_section_sign_headings_in_sentence_case():
    """Issue 26 item 1: "§ 6 Limitation of liability" is a heading though only its first word is capitalised."""
    text = ("§ 1 Participation by the Software Publisher\nThe publisher joins the program.\n"
            "§ 2 Integration of the link\nThe link is placed on the site.\n§ 3 Limitation of liability\n"
            "Liability is limited to fees paid.\n")
    hs = detect_headings(text)
    path, _ = section_path_at(hs, text.index("Liability is limited"))
    assert path[-1] == "Section 3 Limitation of liability", [h.title for h in hs]


def test_an_untitled_section_that_opens_with_its_number_and_a_stop():
    """Issue 26 item 1: "Section 2.7. Prices for the units …" is section 2.7; "Section 2.8 of this Agreement" is not."""
    text = ("Section 2.6. Orders. Orders are placed by fax.\nSection 2.7. Prices for the units are provided in Exhibit C "
            "and may\nchange on notice.\nSection 2.8 of this Agreement governs delivery.\n")
    hs = detect_headings(text)
    assert [h.title for h in hs] == ["Section 2.6 Orders", "Section 2.7"]
    assert section_path_at(hs, text.index("change on"))[0][-1] == "Section 2.7"


def test_a_title_running_into_its_first_sub_clause_and_an_article_over_a_numbered_heading():
    """Issue 26 item 1: "1. DEFINITIONS 1.1 …" on one long line opens section 1; "ARTICLE 3" does not swallow the
    numbered heading on the next line as its title."""
    t = ("1. DEFINITIONS 1.1 \"Licensed Technology\" shall mean software licensed under this Agreement as set out in "
         "Schedule A hereto, including all updates, upgrades and new releases thereof provided by the Licensor.\n"
         "2. LICENSE 2.1 Grant. Licensor grants Licensee a license to use the Licensed Technology within the Territory "
         "for the Term of this Agreement and for no other purpose whatsoever unless agreed.\n")
    assert [h.title for h in detect_headings(t)] == ["1. DEFINITIONS", "2. LICENSE"]
    t2 = "ARTICLE 3\n4. LIQUIDMETAL'S REPRESENTATIONS AND WARRANTIES.\n4.1 Liquidmetal represents that it owns the patents.\n"
    hs = detect_headings(t2)
    assert not any(h.title.startswith("Article 3 4.") for h in hs), [h.title for h in hs]


def test_an_all_caps_title_may_end_on_a_letter_a_citation_may_not():
    """Issue 26 item 1: "13 DEFINITION OF CAPITAL COSTS OF SEGMENT S" is a heading; "6. See Salil K." is a note."""
    text = ("12 OWNERSHIP PRICING\nPrices are shared.\n13 DEFINITION OF CAPITAL COSTS OF SEGMENT S\nCosts are defined.\n"
            "14 ALLOCATION AND BILLING\nCosts are billed.\n")
    assert "13 DEFINITION OF CAPITAL COSTS OF SEGMENT S" in [h.title for h in detect_headings(text)]
    assert not any("Salil" in h.title for h in detect_headings("Intro text here.\n6. See Salil K.\nMore text.\n"))

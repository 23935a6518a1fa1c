"""Document profiles from the text alone: titles a person recognises, parties, dates, courts, case numbers.

The text-level cases are crafted in the shapes real text layers produce (letter-spaced small capitals, a
proceedings header above a paper's title, an appeals-court caption under "[PUBLISH]"); the sample PDFs check
the whole path from the parser.
"""

from __future__ import annotations

import pytest

from ingest.profile import (
    build_profile,
    chunk_header,
    find_case_number,
    find_dates,
    profile_from_text,
    repair_spacing,
    title_case,
)
from ingest.types import Profile
from tests.conftest import SAMPLES


def test_spacing_repairs_use_the_documents_own_words():
    vocab = {"eliciting", "strong", "weak", "generalization", "volume", "supervision"}
    assert repair_spacing("WEAK -TO-STRONG GENERALIZATION : E LICITING S TRONG", vocab) == \
        "WEAK-TO-STRONG GENERALIZATION: ELICITING STRONG"
    assert repair_spacing("V olume 1: Long Papers", vocab) == "Volume 1: Long Papers"
    # one-letter words stay apart unless the joined word is one the document uses; names stay as they are
    assert repair_spacing("A NEW METHOD", vocab) == "A NEW METHOD"
    assert repair_spacing("Quoc V Le and Denny Zhou", vocab) == "Quoc V Le and Denny Zhou"


def test_title_case_keeps_acronyms_the_document_writes_in_capitals():
    assert title_case("RAPTOR: RECURSIVE ABSTRACTIVE PROCESSING FOR TREE-ORGANIZED RETRIEVAL", {"raptor"}) == \
        "RAPTOR: Recursive Abstractive Processing for Tree-Organized Retrieval"
    assert title_case("CO-BRANDING AND ADVERTISING AGREEMENT") == "Co-Branding and Advertising Agreement"
    assert title_case("ACME HOLDINGS LLC") == "Acme Holdings LLC"
    assert title_case("Already Mixed Case") == "Already Mixed Case"


def test_a_papers_title_is_not_its_proceedings_header_nor_its_letter_spacing():
    first = (
        "Proceedings of the 61st Annual Meeting of the Association for Computational Linguistics\n"
        "V olume 1: Long Papers, pages 6981–7004\n"
        "July 9-14, 2023 ©2023 Association for Computational Linguistics\n"
        "WEAK -TO-STRONG GENERALIZATION : E LICITING\n"
        "STRONG CAPABILITIES WITH WEAK SUPERVISION\n"
        "Collin Burns, Pavel Izmailov, Jan Hendrik Kirchner\n"
        "Abstract\n"
        "Widely used alignment techniques rely on human supervision. We study weak-to-strong generalization.\n"
    )
    body = ("\n\nWe show that eliciting strong capabilities with weak supervision is possible, and that the volume "
            "of weak labels matters. Strong models generalize beyond their weak supervisors. " * 20)
    p = profile_from_text(first + body, first_page=first, domain="paper", file="2312.09390.pdf")
    assert p.title == "Weak-to-Strong Generalization: Eliciting Strong Capabilities with Weak Supervision"
    assert "Volume" not in p.title and "pages" not in p.title
    assert p.authors[:2] == ["Collin Burns", "Pavel Izmailov"]
    assert p.abstract.startswith("Widely used alignment techniques")


def test_an_appeals_opinion_is_named_by_its_caption_not_publish():
    first = (
        "[PUBLISH]\n\nIN THE UNITED STATES COURT OF APPEALS\nFOR THE ELEVENTH CIRCUIT\n"
        "________________________\n\nNo. 17-13025\n________________________\n\n"
        "D.C. Docket No. 1:15-cv-01234-ABC\n\nJANE ROE,\n\nPlaintiff - Appellant,\n\nversus\n\n"
        "ACME WIDGET CORPORATION,\n\nDefendant - Appellee.\n\n________________________\n\n"
        "Appeal from the United States District Court for the Northern District of Georgia\n\n(March 3, 2019)\n"
    )
    body = ("\n\nRoe appeals the grant of summary judgment to Acme Widget Corporation on her claims. "
            "We affirm the district court. The court held that the claims fail. " * 10)
    p = profile_from_text(first + body, first_page=first, domain="court opinion", file="opinion.pdf")
    assert p.title == "Jane Roe v. Acme Widget Corporation"
    assert p.parties == ["Jane Roe", "Acme Widget Corporation"]
    assert p.court == "United States Court of Appeals for the Eleventh Circuit"
    assert p.case_number == "17-13025"
    assert "2019-03-03" in p.dates


def test_a_contract_preamble_gives_parties_aliases_and_date():
    text = (
        "Exhibit 10.1\nCONFIDENTIAL TREATMENT REQUESTED\nSUPPLY AGREEMENT\n\n"
        "This SUPPLY AGREEMENT (the \"Agreement\") is entered into as of March 5, 2012 (the \"Effective Date\") by and "
        "between Zephyr Biologics, Inc., a Delaware corporation (\"Zephyr\"), and Northwind Pharma Ltd., a company "
        "organized under the laws of Ireland (\"NPL\"). WHEREAS, Zephyr manufactures the Product; and WHEREAS, "
        "Northwind Pharma Ltd. wishes to buy it; NOW, THEREFORE, the parties agree as follows.\n\n"
        + "1. Definitions. The supplier shall deliver the products to the buyer, and the buyer shall pay. " * 3
    )
    p = profile_from_text(text, first_page=text, domain="contract", file="ZEPHYR_2012-EX-10.1-SUPPLY AGREEMENT.PDF")
    assert p.title == "Supply Agreement"
    assert p.parties == ["Zephyr Biologics, Inc.", "Northwind Pharma Ltd."]
    assert "Zephyr" in p.aliases and "NPL" in p.aliases and "Agreement" not in p.aliases
    assert p.dates[0] == "2012-03-05"
    assert p.doc_type == "Supply Agreement"
    assert chunk_header(p) == "Supply Agreement · Zephyr Biologics, Inc. / Northwind Pharma Ltd."


def test_dates_and_numbers():
    assert find_dates("dated as of the 21st day of July, 2008 and amended 12/01/2010; filed 2011-02-03") == \
        ["2008-07-21", "2010-12-01", "2011-02-03"]
    assert find_dates("no date here, only 99/99/2010") == []
    assert find_case_number("C.A. No. 11A–06–001(ESB). Aug. 30, 2012.") == "11A–06–001(ESB)"
    assert find_case_number("Case No. 2:18-cv-12857") == "2:18-cv-12857"


def test_no_profile_means_no_header():
    assert chunk_header(Profile()) == ""
    assert not Profile().present


@pytest.mark.parametrize("name, title, kind, party", [
    ("KINGPHARMACEUTICALSINC", "Promotion Agreement", "Promotion Agreement", "King Pharmaceuticals, Inc."),
    ("SUCAMPO", "Strategic Alliance Agreement", "Strategic Alliance Agreement", "R-Tech Ueno, Ltd."),
    ("DYNAMEX", "Marketing and Transportation Services Agreement", "Marketing and Transportation Services Agreement",
     "Purolator Courier Ltd."),
    ("scotus", "Tarrant Regional Water District v. Herrmann et al.", "Supreme Court of the United States opinion",
     "Tarrant Regional Water District"),
])
def test_sample_pdfs(name, title, kind, party):
    from ingest.pdf import load_document

    path = next(p for p in SAMPLES.iterdir() if p.name.startswith(name))
    p = build_profile(load_document(path))
    assert p.present and p.title == title and p.doc_type == kind
    assert party in p.parties
    assert p.first_page and p.abstract and p.dates


# ---- issue 26 item 2: parties and titles a lawyer checks first ------------------------------------------------

def test_preamble_parties_without_jurisdictions_recital_letters_or_descriptions():
    from ingest.profile import find_parties

    got = find_parties("THIS AGREEMENT is made on 26 September 2019 BETWEEN: (1) BICYCLETX LIMITED a company incorporated "
                       "under the laws of England and Wales (Company Number 11036101) whose registered office is at "
                       "Building 900 (the “Company”); and (2) NIGEL CROCKETT of (the ‘‘Employee”). IT IS AGREED as "
                       "follows:", set())
    assert got == ["Bicycletx Limited", "Nigel Crockett"], got
    got = find_parties("BETWEEN: CORAL GOLD RESOURCES LTD., a company duly incorporated pursuant to the laws of the "
                       "Province of British Columbia (the \"Company\") AND: INTERMARK CAPITAL CORP., a company duly "
                       "incorporated (the \"Consultant\") WHEREAS: A. The Company is a mining company; C. The Company "
                       "wishes to engage the Consultant.", set())
    assert got == ["Coral Gold Resources Ltd.", "Intermark Capital Corp."], got
    got = find_parties("ENDORSEMENT AGREEMENT This Agreement is entered into on January 13, 2005 between professional "
                       "golfer, TOM WATSON, (hereinafter referred to as “CONSULTANT”) and ADAMS GOLF, LTD. (hereinafter "
                       "referred to as “ADAMS GOLF”). WITNESSETH", set())
    assert got == ["Tom Watson", "Adams Golf, Ltd."], got
    got = find_parties("This Agreement is made by and between CURO Receivables Finance II, LLC, as Owner, and "
                       "Client Name: Medical Manager Midwest, Inc. dated as of May 1, 2020.", set())
    assert got == ["Curo Receivables Finance II, LLC", "Medical Manager Midwest, Inc."], got  # no acronyms given
    got = find_parties("This Consulting Agreement, made this 27th day of March, 2017 is entered into by Immunotolerance, "
                       "Inc., a Delaware corporation (the “Company”), and Alan Crane, an individual (the “Consultant”).",
                       set())
    assert got == ["Immunotolerance, Inc.", "Alan Crane"], got
    got = find_parties("effective as of the 1.4.2011 by and between: INVASIX LTD., with a principal place of business at "
                       "Tavor Building, Israel. Hereinafter referred to as “Customer” And FLEXTRONICS ISRAEL LTD. with a "
                       "principal place of business at Migdal Haemek, Israel. Hereinafter referred to as “Contractor.” "
                       "Whereas Customer designs products.", set())
    assert got == ["Invasix Ltd.", "Flextronics Israel Ltd."], got


def test_a_cover_page_does_not_make_the_title_agreement():
    from ingest.profile import contract_title

    lines = ["REDACTED COPY", "CONFIDENTIAL TREATMENT REQUESTED", "CONFIDENTIAL PORTIONS OF THIS",
             "DOCUMENT HAVE BEEN REDACTED", "AND HAVE BEEN SEPARATELY", "FILED WITH THE COMMISSION"]
    opening = " ".join(lines) + " ENDORSEMENT AGREEMENT This Agreement is entered into on January 13, 2005 between"
    assert contract_title(lines, opening, set()) == "Endorsement Agreement"


# ---- issue 25 item 3: Chinese titles, parties, dates, case numbers and domains ---------------------------------

def test_chinese_statute_case_and_contract_profiles():
    from ingest.profile import find_dates, profile_from_text
    from ingest.structure import guess_domain

    statute = ("中华人民共和国劳动合同法\n（2007年6月29日 第十届全国人民代表大会常务委员会第二十八次会议通过）\n目 录\n"
               + "".join(f"第{n}条 用人单位应当依法建立和完善劳动规章制度，保障劳动者享有劳动权利。 " for n in "一二三四五六七八九十")
               + "本法自2008年1月1日起施行。" * 20)
    assert guess_domain(statute) == "statute"
    p = profile_from_text(statute, first_page=statute[:1500], domain="statute", file="劳动合同法.pdf")
    assert p.title == "中华人民共和国劳动合同法" and p.doc_type == "法律" and p.dates[0] == "2007-06-29"

    case = ("孙银山诉南京欧尚超市有限公司江宁店买卖合同纠纷案\n关键词 民事、买卖合同、食品安全\n基本案情\n"
            "原告孙银山诉称，2012年5月1日在被告处购买香肠。江苏省南京市江宁区人民法院于2012年9月10日作出（2012）"
            "江宁开民初字第646号民事判决。本院认为，被告应当支付十倍赔偿金。判决如下：" + "原告的诉讼请求成立。" * 40)
    assert guess_domain(case) == "court opinion"
    p = profile_from_text(case, first_page=case[:1500], domain="court opinion", file="案例.pdf")
    assert p.title.startswith("孙银山诉南京欧尚超市") and p.parties[:2] == ["孙银山", "南京欧尚超市有限公司江宁店"]
    assert p.case_number == "（2012）江宁开民初字第646号" and "2012-05-01" in p.dates

    contract = ("技术服务合同\n甲方：北京星河科技有限公司\n乙方：上海云帆信息技术有限公司\n签订日期：2024年5月1日\n"
                "甲乙双方经友好协商，签订本合同。第一条 服务内容 乙方为甲方提供技术服务。" * 20)
    assert guess_domain(contract) == "contract"
    p = profile_from_text(contract, first_page=contract[:1500], domain="contract", file="x.pdf")
    assert p.title == "技术服务合同" and p.parties[:2] == ["北京星河科技有限公司", "上海云帆信息技术有限公司"]
    assert p.dates[0] == "2024-05-01" and find_dates("2024 年 5 月 1 日") == ["2024-05-01"]


def test_the_agreement_date_is_the_date_it_is_made_not_an_earlier_agreements():
    from ingest.profile import agreement_date

    assert agreement_date("This Network Build and Maintenance Agreement is entered into as of the 31 day of July, 2019 "
                          "(the “Effective Date”)") == "2019-07-31"
    assert agreement_date("THIS AGREEMENT IS MADE ON THE 19 DAY OF MAY , 2010 PARTIES") == "2010-05-19"
    assert agreement_date("shall be effective as of _Dec. 8, 2005 (hereinafter") == "2005-12-08"
    assert agreement_date("This Amendment No. 2 amends that certain Distributor Agreement dated March 1, 1996. This "
                          "Amendment is made as of July 15, 1998.") == "1998-07-15"


# ---- issue 26 item 2: titles from the lines around the title line, dates in other forms and in signatures -----

@pytest.mark.parametrize("lines, want", [
    (["EXHIBIT 10.1", "ELECTRONIC JOURNAL SOFTWARE DEVELOPMENT,", "HOSTING AND MANAGEMENT AGREEMENT",
      "This AGREEMENT is made"], "Electronic Journal Software Development, Hosting and Management Agreement"),
    (["Exhibit 10.1", "WIDGETRON®", "PROMOTION AGREEMENT", "BY AND BETWEEN"], "Widgetron® Promotion Agreement"),
    (["EXHIBIT 10.2", "DISTRIBUTOR AGREEMENT", "EXHIBIT 10.2", "EXCLUSIVE DISTRIBUTOR AGREEMENT", "THIS EXCLUSIVE …"],
     "Exclusive Distributor Agreement"),
    (["Exhibit 10.1", "NON-COMPETITION AGREEMENT", "AMENDMENT NO. 1", "This NON-COMPETITION AGREEMENT …"],
     "Non-Competition Agreement Amendment No. 1"),
    (["FORM OF", "FRANCHISE AGREEMENT", "Location of the Premises:"], "Form of Franchise Agreement"),
    (["SCHEDULE TO Software License,", "Customization and Maintenance Agreement", "Supplier Name: X"],
     "Schedule TO Software License, Customization and Maintenance Agreement"),
    (["Acme Corp. EXECUTION COPY", "IP Rights Agreement", "INTELLECTUAL PROPERTY RIGHTS AGREEMENT", "Beta, a company"],
     "Intellectual Property Rights Agreement"),
])
def test_a_contract_title_takes_what_the_lines_around_it_add(lines, want):
    from ingest.profile import contract_title

    assert contract_title(lines, " ".join(lines), set()) == want


def test_agreement_dates_in_other_forms_and_in_the_signature_block():
    from ingest.profile import agreement_date, signature_date

    assert agreement_date("This Outsourcing Agreement is executed as of this 1 st day of May 2006, by") == "2006-05-01"
    assert agreement_date("is made and effective as of1 August 2019, by and between") == "2019-08-01"
    assert agreement_date("This AGREEMENT is made the 20 March day of 1998 BETWEEN") == "1998-03-20"
    assert agreement_date("Agreement Number: CW1 Effective Date: 11/4/10 Company Name: X") == "2010-11-04"
    body = "This Agreement sets out the terms. " * 40
    assert signature_date(body + "Title: President Date: November 5, 2019 Date: November 6, 2019") == "2019-11-05"
    assert signature_date(body + "IN WITNESS WHEREOF the parties have signed by their officers duly authorized.\n"
                                 "Rome/Houston, 2 April 2020 Kiromix Ltd") == "2020-04-02"
    assert signature_date(body + "\nMMI John Dick General Manager\n19 Jan. 1998\nACME INC.\n12 Jan. 1998") == "1998-01-19"
    assert signature_date(body) == ""


def test_an_earlier_agreement_between_the_parties_and_a_place_and_date_signature():
    from ingest.profile import agreement_date, signature_date

    assert agreement_date("except the Confidentiality Agreement between the parties dated September 26th, 2012.") == ""
    body = "This Agreement sets out the terms. " * 40
    assert signature_date(body + "\n\nHamburg, November 19th, 2012 /s/ Thomas K. /s/ R. Stephan") == "2012-11-19"


@pytest.mark.parametrize("opening, want", [
    ('This Agreement is entered into as of March 11, 1999 by and between drkoop.com, inc., a Delaware corporation '
     '("drkoop.com"), and Vitamin Shoppe Industries, Inc., a New Jersey corporation ("Sponsor"). WHEREAS, x',
     ["drkoop.com, inc.", "Vitamin Shoppe Industries, Inc."]),
    ('This Agreement is made by and between eFashion Solutions, LLC, a New Jersey limited liability company ("EFS") '
     'and Playboy.com, Inc., a Delaware corporation ("Client"). WHEREAS', ["eFashion Solutions, LLC", "Playboy.com, Inc."]),
    ('Agreement Between Commnet Wireless, LLC And AT&T Mobility LLC Mobility Network General Agreement TABLE OF CONTENTS',
     ["Commnet Wireless, LLC", "At&t Mobility LLC"]),
    ('JOINT VENTURE AGREEMENT BETWEEN KIROMIC BIOPHARMA Inc., a Delaware Company, Houston TX 77054 USA, in person of '
     'dr. Prof. Maurizio Chiriva, PhD AND MOLIPHARMA S.R.L. an Italian Company stated in Campobasso',
     ["Kiromic Biopharma Inc.", "Molipharma S.R.L."]),
    ('This AGREEMENT is made the 20 March day of 1998 BETWEEN 1. HealthGate Data Corp., a Delaware corporation '
     '("HealthGate"), having an address at 380 Pleasant Street, USA AND 2. Blackwell Science Limited a company '
     'registered in England ("Blackwell"), whose registered office is Osney Mead, England, and Munksgaard A/S, a company '
     'registered in Denmark ("Munksgaard") WHEREAS', ["HealthGate Data Corp.", "Blackwell Science Limited", "Munksgaard A/S"]),
    ('This Sponsorship Agreement is made between National Processing Company ("NPC") and National City Bank of Kentucky '
     '("NCB") effective June 30, 1996.', ["National Processing Company", "National City Bank of Kentucky"]),
    ('INTELLECTUAL PROPERTY AGREEMENT by and among UNITED TECHNOLOGIES CORPORATION, OTIS WORLDWIDE CORPORATION and '
     'CARRIER GLOBAL CORPORATION Dated as of April 2, 2020', ["United Technologies Corporation",
                                                              "Otis Worldwide Corporation", "Carrier Global Corporation"]),
    ('SPONSORSHIP AGREEMENT dated January 29, 2007 between FIRST DATA MERCHANT SERVICES CORPORATION, WELLS FARGO BANK, '
     'N.A. and iPAYMENT, INC. SPONSORSHIP AGREEMENT This Sponsorship Agreement (this “Agreement”) dated as of',
     ["First Data Merchant Services Corporation", "Wells Fargo Bank, N.A.", "Ipayment, Inc."]),
])
def test_preamble_parties_styled_in_lower_case_all_caps_numbered_and_of_a_place(opening, want):
    from ingest.profile import find_parties

    assert find_parties(opening, set()) == want


@pytest.mark.parametrize("opening, want", [
    ('IP Rights Agreement INTELLECTUAL PROPERTY RIGHTS AGREEMENT Synchron, a California corporation having a principal '
     'place of business at 3550 General Court, San Diego (the "Investor"), and Rare Element Resources Ltd., a British '
     'Columbia Corporation having a principal place of business at P.O. Box 271049 (the "Company") agree as follows',
     ["Synchron", "Rare Element Resources Ltd."]),
    ('This Agreement is made by and between Cremer Oleo GmbH & Co KG, Glockengiesserwall 3, 20095 Hamburg ("Cremer") '
     'and Ultragenyx Pharmaceutical Inc ("Ultragenyx").', ["Cremer Oleo GmbH & Co KG", "Ultragenyx Pharmaceutical Inc"]),
    ('This Agreement is made by and between Network 1 Financial, Inc. ("NOF") and Payment Data Systems, Inc., the '
     'Affiliate Office ("Affiliate").', ["Network 1 Financial, Inc.", "Payment Data Systems, Inc."]),
    ('This Agreement is made between Tigrent Learning UK Limited of Boston House, 69-75 Boston Manor Road ("Tigrent") '
     'and Celebrity Speakers Ltd ("CSA").', ["Tigrent Learning UK Limited", "Celebrity Speakers Ltd"]),
])
def test_parties_without_between_with_an_address_or_an_appositive(opening, want):
    from ingest.profile import find_parties

    assert find_parties(opening, set()) == want


def test_a_described_party_starts_at_its_name_not_at_the_words_before_it():
    from ingest.profile import find_parties

    got = find_parties("RESELLER AGREEMENT The agreement under which MediaNet Group Technologies, Inc., a Florida "
                       "corporation, authorizes International Direct Response, Inc., a Nevada corporation, to resell.",
                       set())
    assert not any(p.lower().startswith(("under", "authorizes", "by and")) for p in got), got


def test_all_caps_names_with_and_inside_and_an_ampersand_after_a_legal_form():
    from ingest.profile import find_parties

    assert find_parties("JOINT DEVELOPMENT AGREEMENT between FUELCELL ENERGY, INC. and EXXONMOBIL RESEARCH AND "
                        "ENGINEERING COMPANY TABLE OF CONTENTS ARTICLE 1", set()) == [
        "Fuelcell Energy, Inc.", "Exxonmobil Research and Engineering Company"]
    assert find_parties("SPONSORSHIP AGREEMENT BY AND BETWEEN ANTHEMIC, LLC & VNUE This Sponsorship Agreement (the "
                        "Agreement) is entered into as of JUNE 23, 2015", set()) == ["Anthemic, LLC", "Vnue"]
    assert find_parties('This Agreement is made between Johnson & Johnson, a New Jersey corporation ("J&J") and Acme '
                        'Inc. ("Acme").', set()) == ["Johnson & Johnson", "Acme Inc."]


def test_a_person_signing_for_a_company_names_the_company():
    from ingest.profile import _tidy_party

    assert _tidy_party("Natalija Tunevic, director of FreeCook") == "FreeCook"
    assert _tidy_party("Mitchell Vitalis, Director of Mitchell's Web Advance, PLC") == "Mitchell's Web Advance, PLC"
    assert _tidy_party("Wells Fargo Bank, N.A.") == "Wells Fargo Bank, N.A."


def test_a_party_acting_through_a_unit_and_a_described_party_after_a_full_stop():
    from ingest.profile import _tidy_party, find_parties

    assert _tidy_party("Cargill, Incorporated through its Bio Technology Development Center") == "Cargill, Incorporated"
    got = find_parties("Support is given by the System. Bankers Bank, a Georgia banking corporation, and Netzee, Inc., "
                       "a Delaware corporation, agree as follows.", set())
    assert "Bankers Bank" in got and not any(p.startswith("System") for p in got), got


# ---- issue 26 item 2, third pass: where contracts name their parties besides "between X and Y" -------------------

@pytest.mark.parametrize("opening, want", [
    # a cover line names the parties in short; the preamble's "by and between" names them in full
    ('EXHIBIT 10.6 RATE AGREEMENT BETWEEN NGW AND NORTHERN PIPE COMPANY Service Package No: 123 THIS AGREEMENT is '
     'made and entered into as of the 1st day of May, 2002, by and between NORTHERN PIPE COMPANY, a Delaware '
     'Corporation, hereinafter referred to as “Transporter” and NORTH GAS AND WATER COMPANY, a Utah Corporation, '
     'hereinafter referred to as “Shipper.” WHEREAS', ["Northern Pipe Company", "North Gas and Water Company"]),
    # a numbered list without "and", a number inside a name
    ('THIS AGREEMENT is made on 1 October 2019 BETWEEN:\n(1) ZEPHYR 2005 LIMITED (registered number 0100) whose '
     'registered office is at 19 Upper Ground, London (the Company)\n(2) JANE HOLLOWAY (the Executive).\nIT IS AGREED',
     ["Zephyr 2005 Limited", "Jane Holloway"]),
    ('THIS AGREEMENT IS MADE ON THE 19 DAY OF MAY, 2010 PARTIES (1) ALDER (HONG KONG) LTD, a company incorporated in '
     'Hong Kong (“Alder”); and (2) BIRCH GROUP HOLDINGS PLC a company incorporated in the Isle of Man (“Birch”). '
     'BACKGROUND', ["Alder", "Birch Group Holdings PLC"]),
    # who signs for a party, "Mr.", a name styled in lower case after "and"
    ('This Agreement is made on 18 May 2001 BETWEEN Quill Technologies Inc., a company incorporated in Delaware '
     '(hereinafter referred to as ‘QTI’), through Ms. Ann Reyes a duly authorized person and Director of Operations, '
     'AND LOTUS INDUSTRIES LIMITED, a company incorporated in India (‘LIL’), AND Mr. Ravi K. Lotus, s/o. Mr. S. Lotus, '
     'in his individual capacity. WHEREAS', ["Quill Technologies Inc.", "Lotus Industries Limited", "Ravi K. Lotus"]),
    ('This agreement is entered into as of the 16th day of February, 2000, by and between the Harbor Corporation '
     '("Harbor"), located at 450 Broadway, and e-widgets, Inc., ("Application Provider"), a Delaware corporation.',
     ["Harbor Corporation", "e-widgets, Inc."]),
    # an earlier agreement's parties are not this one's
    ('WHEREAS, under the agreement dated September 28, 1989 between Redwood Pharma Inc. and Cedar AG, Cedar supplies '
     'the product. This Agreement is made between Maple Labs Limited ("Maple") and Cedar AG ("Cedar").',
     ["Maple Labs Limited", "Cedar AG"]),
    # a name with its defined name before what it is: KESTREL CORPORATION ("Kestrel"), a California corporation
    ('This Agreement is entered into and effective as of the later of the two signature dates below (the "Effective '
     'Date") KESTREL CORPORATION ("Kestrel"), a California corporation, 1900 South Street, San Mateo, and OSPREY '
     'CORPORATION ("Osprey"), a Washington Corporation, One Osprey Way, Redmond, with reference to the Recitals below. '
     'Recitals A. Kestrel develops software.', ["Kestrel Corporation", "Osprey Corporation"]),
    # "Hereafter referred to as" does not open a new sentence
    ('Amendment n° 01 to the Global Maintenance Agreement ref. DS/C-39 Issue 7 dated March 9th, 2015 BETWEEN ALDER '
     'LINHAS S/A AND BIRCH REGIONAL, G.I.E. ALDER–BIRCH Amendment N° 1 Global Maintenance Agreement TABLE OF CONTENTS '
     'This amendment is entered into on January 6th, 2016. BETWEEN: ALDER LINHAS S/A, a company incorporated under the '
     'laws of Brazil, identified under number 09.296.295/0001-60. Hereafter referred to as the “Company”, On the one '
     'part, AND: BIRCH REGIONAL, G.I.E., a French groupement established under articles L.251-1, Hereafter referred to '
     'as “Birch”, On the other part. WHEREAS', ["Alder Linhas S/A", "Birch Regional, G.I.E."]),
])
def test_the_preamble_names_the_parties_not_a_cover_line_or_an_earlier_agreement(opening, want):
    from ingest.profile import find_parties

    assert find_parties(opening, set()) == want


def test_a_letter_agreements_addressee_and_an_and_colon_list():
    from ingest.profile import find_parties

    got = find_parties("Ladies and Gentlemen: Heron Bancshares Corporation, a Tennessee corporation (the “Company”), and "
                       "Heron Federal Community Bank, a federal savings bank (the “Bank”), hereby confirm their agreement "
                       "with Kestrel, Bruyette & Woods, Inc. (the “Agent”) as follows: Section 1.", set())
    assert got == ["Heron Bancshares Corporation", "Heron Federal Community Bank", "Kestrel, Bruyette & Woods, Inc."]
    got = find_parties("This amendment is entered into on January 6th, 2016. BETWEEN: ALDER LINHAS S/A, a company "
                       "incorporated under the laws of Brazil, whose office is at Avenida Marcos 939 - Edif. Castello "
                       "Branco Office Park. Hereafter referred to as the “Company”, On the one part, AND: BIRCH REGIONAL, "
                       "G.I.E., a French groupement, Hereafter referred to as “Birch”, On the other part. WHEREAS", set())
    assert got == ["Alder Linhas S/A", "Birch Regional, G.I.E."]


def test_labelled_parties_and_parties_named_only_where_they_sign():
    from ingest.profile import find_parties, profile_from_text, signature_parties

    form = ("INTERNET CHANNEL COOPERATION AGREEMENT Contract Number: 18\nParty A: Beijing Kestrel Science and Technology "
            "Co., Ltd.\nAddress: 10 Shangdi Street, Beijing\nParty B: Osprey Online (Hong Kong) Co., Ltd.\nAddress: 8/F\n"
            "In this Agreement, Party A and Party B individually a “Party”.")
    assert find_parties(form, set())[:2] == ["Beijing Kestrel Science and Technology Co., Ltd.", "Osprey Online"]
    filing = ("JOINT FILING AGREEMENT The undersigned agree to file this Schedule 13G jointly.\nDATED: April 8, 2020\n"
              "HERON CAPITAL LP\nBy: /s/ Tom Sipp Tom Sipp Chief Financial Officer\nHERON MANAGEMENT, INC.\n"
              "By: /s/ Tom Sipp Tom Sipp Chief Financial Officer\n")
    assert signature_parties(filing) == ["HERON CAPITAL LP", "HERON MANAGEMENT, INC."]
    person = "The undersigned agree to file jointly.\nDated: March 27, 2020.\n/s/ Shelby J. Wren Shelby J. Wren\n"
    assert signature_parties(person) == ["Shelby J. Wren"]
    p = profile_from_text(filing, first_page=filing, domain="other")
    assert [x.lower() for x in p.parties] == ["heron capital lp", "heron management, inc."]


def test_the_party_measure_reads_cuads_entries_fairly():
    """bench/profiles.py: a d/b/a entry is found by either name, a description after the name is no part of it, a
    role with no name ("Franchisee") and the copy of a collective definition are no parties, and two parties in one
    entry are found when both are."""
    from bench.profiles import _found, party_names, truth_parties

    want = truth_parties('Pretzel Co., Inc. doing business as Pretzel Time ("Franchisor"); Franchisee ("Franchisee")')
    assert want == [("pretzel", "pretzel time")]
    assert _found(want[0], [party_names("Pretzel Time")], [])
    want = truth_parties('Osprey Inc. including its successors and permitted assigns ("OI"); Heron Ltd. ("HL"); Osprey Inc. '
                         'and Heron Ltd. (individually a "Party", collectively the "Parties")')
    assert want == [("osprey",), ("heron",)]
    both = truth_parties('Alder Life Insurance Company and Birch Securities, Inc. (collectively "Servicing Agent")')
    assert _found(both[0], [party_names("Alder Life Insurance Company"), party_names("Birch Securities, Inc.")], [])
    assert not _found(both[0], [party_names("Alder Life Insurance Company")], [])

"""Routing: questions split into their document-identifying parts and ask, each part matched to profiles.

Unit cases run on crafted profiles (a library of look-alike contracts, where only names tell them apart);
the end-to-end cases run on a real store (the samples) through `routed_context`, the CLI and old-store upgrade.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from ingest.types import Document, Profile
from retrieval.route import build_index, match_span, route, split_question

KING_Q = ("Consider the Promotion Agreement between Depomed, Inc. and King Pharmaceuticals, Inc. for Glumetza; "
          "What is the governing law for this contract?")
LISTED_Q = ("For each of the following agreements, which jurisdiction's law governs it? (1) Promotion Agreement between "
            "Depomed, Inc. and King Pharmaceuticals, Inc.; (2) Strategic Alliance Agreement between Sucampo "
            "Pharmaceuticals, Inc., Sucampo Pharma, LLC, and R-Tech Ueno, Ltd.; (3) Marketing and Transportation "
            "Services Agreement between Purolator Courier Ltd. and Parcelway Courier Systems Canada Ltd.")


def test_split_question():
    ask, spans, across, cueless = split_question(KING_Q)
    assert ask == "What is the governing law for this contract?" and not across and not cueless
    assert spans == ["the Promotion Agreement between Depomed, Inc. and King Pharmaceuticals, Inc. for Glumetza"]
    ask, spans, across, _ = split_question(LISTED_Q)
    assert ask == "For each of the following agreements, which jurisdiction's law governs it?" and across
    assert len(spans) == 3 and spans[1].startswith("Strategic Alliance Agreement between Sucampo")
    assert spans[2].endswith("Parcelway Courier Systems Canada Ltd")
    ask, spans, _, _ = split_question("Which of these contracts can be assigned?\n- Supply Agreement with Acme Corp\n"
                                      "- Lease between Foo LLC and Bar Inc")
    assert ask == "Which of these contracts can be assigned?" and len(spans) == 2
    assert split_question("Under the Supply Agreement with Acme Corp, who pays for shipping?")[1] == [
        "the Supply Agreement with Acme Corp"]
    assert split_question("Who pays for shipping under the Supply Agreement with Acme Corp?")[1] == [
        "the Supply Agreement with Acme Corp"]
    # these name no document: a generic phrase, a part of a document, plain questions
    for q in ("For each of the following agreements, is there a cap?", "According to table II, which datasets?",
              "What is the name of the person who signed at the end of the opinion?", "Who is the defendant?"):
        assert split_question(q)[1] == [], q


def _doc(i: int, title: str, parties: list[str], aliases: list[str] = (), first: str = "") -> Document:
    p = Profile(version="1", title=title, doc_type=title, parties=list(parties), aliases=list(aliases),
                first_page=first or f"{title} between {' and '.join(parties)}. The parties agree as follows.")
    return Document(doc_id=f"{i:064x}", file=f"doc{i:03d}.pdf", title=title, domain="contract", pages=10,
                    chunks=30, status="ready", profile=p)


@pytest.fixture(scope="module")
def library():
    kinds = ["Supply Agreement", "Distributor Agreement", "License Agreement", "Promotion Agreement", "Services Agreement"]
    firms = ["Acme", "Borealis", "Cobalt", "Dynamo", "Ember", "Fathom", "Granite", "Helix", "Iris", "Juniper", "Krypton",
             "Lumen", "Monarch", "Nimbus", "Orchid", "Pinnacle", "Quartz", "Raven", "Summit", "Titan"]
    docs = []
    for i in range(40):
        a, b = firms[i % 20], firms[(i * 7 + 3 + i // 20) % 20]
        docs.append(_doc(i, kinds[i % 5], [f"{a} Holdings, Inc.", f"{b} Partners LLC"], [a, b]))
    docs.append(_doc(40, "Promotion Agreement", ["Depomed, Inc.", "King Pharmaceuticals, Inc."], ["Depomed", "King"]))
    docs.append(_doc(41, "Amendment No. 1 to Promotion Agreement", ["Depomed, Inc.", "King Pharmaceuticals, Inc."],
                     ["Depomed", "King"]))
    docs.append(_doc(42, "Strategic Alliance Agreement", ["Sucampo Pharmaceuticals, Inc.", "R-Tech Ueno, Ltd."],
                     ["SPI", "RTU"]))
    return docs


def test_one_named_document_is_found_with_its_matched_names(library):
    idx = build_index(library)
    rt = route("Consider the Strategic Alliance Agreement between Sucampo Pharmaceuticals and R-Tech Ueno; "
               "What is the governing law?", idx)
    assert rt.mode == "named" and rt.doc_ids == (library[42].doc_id,)
    assert rt.items[0].confidence >= 0.9 and "Sucampo Pharmaceuticals, Inc." in rt.items[0].matched
    assert rt.reason.startswith("reading: Strategic Alliance Agreement — matched:")
    assert rt.ask == "What is the governing law?"


def test_equally_good_documents_are_all_read_and_the_route_says_it_is_unsure(library):
    rt = route("Regarding the agreement between Depomed and King: when does it expire?", build_index(library))
    assert rt.mode == "widened" and set(rt.doc_ids) == {library[40].doc_id, library[41].doc_id}
    assert "unsure" in rt.reason


def test_a_name_the_library_lacks_widens_to_everything(library):
    rt = route("Consider the Supply Agreement between Zenith Widgets and Quasar Logistics; who pays?", build_index(library))
    assert rt.mode == "widened" and rt.doc_ids is None and "no document matches" in rt.reason


def test_listed_items_are_routed_each(library):
    idx = build_index(library)
    q = ("Which of the following agreements allow assignment? (1) Supply Agreement between Acme Holdings and "
         "Dynamo Partners; (2) Strategic Alliance Agreement between Sucampo Pharmaceuticals and R-Tech Ueno")
    rt = route(q, idx)
    assert rt.mode == "listed" and rt.across and len(rt.items) == 2
    assert rt.items[0].doc_ids == (library[0].doc_id,) and rt.items[1].doc_ids == (library[42].doc_id,)
    assert rt.reason.startswith("reading (1) Supply Agreement")


def test_names_without_a_cue_and_questions_that_name_nothing(library):
    idx = build_index(library)
    rt = route("What does the Sucampo RTU alliance say about Japan?", idx)
    assert rt.mode == "named" and rt.doc_ids == (library[42].doc_id,) and rt.items[0].implicit
    rt = route("Which law governs this contract?", idx)
    assert rt.mode == "library" and rt.doc_ids is None and rt.deictic
    rt = route("What are the payment terms?", idx)
    assert rt.mode == "library" and not rt.deictic


def test_a_paraphrased_name_is_matched_by_its_profile_vector(library):
    """Words alone do not decide ("the Japanese partner deal"); the profile vectors do, when one stands out."""
    idx = build_index(library, {d.doc_id: np.eye(64, dtype=np.float32)[i % 64] for i, d in enumerate(library)})

    class Embed:  # a query vector pointing at document 42's profile
        def encode_query(self, text):
            return np.eye(64, dtype=np.float32)[42]

    it = match_span(idx, "the alliance agreement with the Japanese partner", embedder=Embed())
    assert it.status == "matched" and it.doc_ids == (library[42].doc_id,) and it.candidates[0].dense == 1.0


# ---- end to end on the samples --------------------------------------------------------------------------


def _store(samples_home):
    from app.library import documents as library

    return library.get_store(samples_home), library.get_embedder_for(samples_home)


def test_routed_context_reads_only_the_named_document(samples_home):
    from retrieval.routed import routed_context

    store, emb = _store(samples_home)
    king = next(d for d in store.documents() if d.file.startswith("KING"))
    packed = routed_context(store, emb, KING_Q, budget=4000)
    assert packed.route.mode == "named" and packed.route.doc_ids == (king.doc_id,)
    assert {p.doc_id for p in packed.passages} == {king.doc_id}
    assert any("the laws of the State of New York" in " ".join(p.text.split()) for p in packed.passages)
    # without routing the same question reads other contracts too
    plain = routed_context(store, emb, KING_Q, budget=4000, routing=False)
    assert len({p.doc_id for p in plain.passages}) > 1


def test_routed_context_gives_each_listed_document_its_share(samples_home):
    from retrieval.routed import routed_context

    store, emb = _store(samples_home)
    packed = routed_context(store, emb, LISTED_Q, budget=6000)
    assert packed.route.mode == "listed" and len(packed.route.doc_ids) == 3
    per_doc = {c.file[:6]: c.tokens for c in packed.coverage if c.tokens}
    assert set(per_doc) == {"KINGPH", "SUCAMP", "DYNAME"}
    assert min(per_doc.values()) >= 0.2 * packed.tokens  # nobody's share is squeezed out
    assert all(c.doc_id in packed.route.doc_ids for c in packed.coverage if c.tokens)


def test_a_question_naming_nothing_reads_the_library_and_says_from_where(samples_home):
    from retrieval.routed import routed_context

    store, emb = _store(samples_home)
    packed = routed_context(store, emb, "What is the date of the document?", budget=4000)
    rt = packed.route
    assert rt.mode == "library" and rt.deictic and rt.likely
    assert "names none" in rt.reason and "searched all 4 documents" in rt.reason and rt.likely[0].title in rt.reason


def test_cli_context_search_and_ask_show_the_route(samples_home):
    from app.faces.cli import cli
    from app.library import documents as library

    runner = CliRunner()
    home = str(samples_home.home)
    library.forget_stores()
    r = runner.invoke(cli, ["--home", home, "context", KING_Q, "--budget", "3000", "--json"], catch_exceptions=False)
    data = json.loads(r.stdout)
    assert data["route"]["mode"] == "named" and data["route"]["items"][0]["status"] == "matched"
    assert all(p["file"].startswith("KING") for p in data["passages"])
    r = runner.invoke(cli, ["--home", home, "search", KING_Q, "--k", "3"], catch_exceptions=False)
    assert "route: reading: Promotion Agreement" in r.stdout
    r = runner.invoke(cli, ["--home", home, "search", KING_Q, "--k", "5", "--no-route", "--json"], catch_exceptions=False)
    assert json.loads(r.stdout)["route"] is None
    r = runner.invoke(cli, ["--home", home, "ask", KING_Q, "--json"], catch_exceptions=False)
    ans = json.loads(r.stdout)
    assert ans["route"]["mode"] == "named" and {c["file"][:4] for c in ans["citations"]} == {"KING"}
    r = runner.invoke(cli, ["--home", home, "ask", LISTED_Q], catch_exceptions=False)
    assert "Route" in r.stdout and "reading (1) Promotion Agreement" in r.stdout
    for name in ("D1 · ", "D2 · ", "D3 · "):  # the extractive answer is labelled per document
        assert name in r.stdout


def test_docs_json_carries_profiles_and_filters(samples_home):
    from app.faces.cli import cli
    from app.library import documents as library

    runner = CliRunner()
    library.forget_stores()
    r = runner.invoke(cli, ["--home", str(samples_home.home), "docs", "--json"], catch_exceptions=False)
    rows = json.loads(r.stdout)
    king = next(d for d in rows if d["file"].startswith("KING"))
    assert king["title"] == "Promotion Agreement" and king["profile"]["parties"][:2] == [
        "Depomed, Inc.", "King Pharmaceuticals, Inc."]
    assert king["profile"]["dates"][0] == "2006-06-27" and king["chunk_header"].startswith("Promotion Agreement · ")
    r = runner.invoke(cli, ["--home", str(samples_home.home), "docs", "--filter", "herrmann", "--json"],
                      catch_exceptions=False)
    assert [d["file"][:6] for d in json.loads(r.stdout)] == ["scotus"]
    r = runner.invoke(cli, ["--home", str(samples_home.home), "docs", "--sort", "date", "--desc", "--json"],
                      catch_exceptions=False)
    assert [d["profile"]["dates"][0][:4] for d in json.loads(r.stdout)] == ["2015", "2013", "2006", "1995"]
    r = runner.invoke(cli, ["--home", str(samples_home.home), "docs", "--sort", "colour"])
    assert r.exit_code == 1 and "unknown sort" in r.output


def test_a_store_written_before_profiles_is_profiled_once_from_its_text(tmp_path, samples_home):
    """Rows without a profile (older stores) route after being profiled from their stored chunks; the profile
    is saved back, so the next process finds it in the registry."""
    import dataclasses

    from ingest.store import open_store
    from retrieval.routed import routed_context

    src, emb = _store(samples_home)
    old = open_store(tmp_path / "old")
    for d in src.documents():  # the same chunks and vectors, registered the way an older version did
        chunks = src.chunks(d.doc_id)
        got = src._chunks.get(ids=[c.chunk_id for c in chunks], include=["embeddings"])
        vecs = np.asarray(got["embeddings"], dtype=np.float32)
        order = {cid: i for i, cid in enumerate(got["ids"])}
        old.add_document(dataclasses.replace(d, profile=Profile(), chunk_header="", title="PROMOTION AGREEMENT"
                                             if d.file.startswith("KING") else d.title),
                         chunks, vecs[[order[c.chunk_id] for c in chunks]])
    old.refresh_bm25()
    assert not any(d.profile.present for d in old.documents())
    packed = routed_context(old, emb, KING_Q, budget=3000)
    assert packed.route.mode == "named" and all(p.file.startswith("KING") for p in packed.passages)
    again = open_store(tmp_path / "old")
    king = next(d for d in again.documents() if d.file.startswith("KING"))
    assert king.profile.present and king.title == "Promotion Agreement" and king.chunk_header == ""
    assert king.doc_id in again.profile_vectors([king.doc_id])
    assert again.check_consistency() == []


def test_profiles_are_searchable(samples_home):
    from app.faces.cli import cli
    from app.library import documents as library

    library.forget_stores()
    r = CliRunner().invoke(cli, ["--home", str(samples_home.home), "docs", "--search", "water compact Red River",
                                 "--json"], catch_exceptions=False)
    assert json.loads(r.stdout)[0]["file"].startswith("scotus")
    r = CliRunner().invoke(cli, ["--home", str(samples_home.home), "docs", "--search", "Japanese drug company alliance",
                                 "--json"], catch_exceptions=False)
    assert json.loads(r.stdout)[0]["file"].startswith("SUCAMPO")


def test_names_found_without_a_cue_read_that_document_first_and_hide_nothing(samples_home):
    from retrieval.routed import routed_context

    store, emb = _store(samples_home)
    q = "What did Tarrant argue about the Red River Compact and the Oklahoma water statutes?"
    small = routed_context(store, emb, q, budget=3000)
    assert small.route.mode == "named" and small.route.items[0].implicit
    assert small.route.reason.startswith("reading first: Tarrant Regional Water District v. Herrmann et al.")
    assert {c.file[:6] for c in small.coverage if c.tokens} == {"scotus"}
    large = routed_context(store, emb, q, budget=60000)
    read = {c.file[:6]: c for c in large.coverage if c.tokens}
    assert read["scotus"].whole and len(read) > 1  # the rest of the library fills the budget left

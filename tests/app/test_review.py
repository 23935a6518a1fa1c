"""Review (issue 23): documents × questions, one cited cell each — over a real Chroma store of data/samples,
with a loopback DeepSeek-protocol server for the model runs (it answers from the passages it was sent)."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import KING, env_for, generative
from fakeserver import FakeLLMServer, Scenario
from typer.testing import CliRunner

from app.answer.review import VERDICTS, cache_dir, export, review
from app.faces.cli import cli
from retrieval.evaluate import normalize

LAW = "Which law governs the agreement?"
TERM = "Can the agreement be terminated for convenience?"
ABSENT = "Does the agreement regulate the export of lunar regolith samples to Mars colonies?"


def copied_samples(samples_home, tmp_path_factory, name: str):
    """A copy of the samples library: review caches write into the copy, never into the shared fixture."""
    from app.library import documents as library

    dst = tmp_path_factory.mktemp(name) / "home"
    shutil.copytree(samples_home.home, dst)
    s = samples_home.replace(home=dst)
    yield s
    library.forget_stores(s)


@pytest.fixture(scope="module")
def home(samples_home, tmp_path_factory):
    yield from copied_samples(samples_home, tmp_path_factory, "review")


@pytest.fixture
def fresh(home):
    shutil.rmtree(cache_dir(home), ignore_errors=True)
    return home


def _doc_text(settings, doc_id: str) -> str:
    from app.library import documents as library

    return normalize(library.get_store(settings).document_text(doc_id))


def test_the_table_has_the_issue_shape_and_verbatim_evidence_with_pages(fresh):
    t = review(fresh, [LAW, TERM])
    data = json.loads(json.dumps(t.to_json()))
    assert data["questions"] == [LAW, TERM]
    assert len(data["rows"]) == 4  # every document of the library, in file order
    assert [r["doc"] for r in data["rows"]] == sorted((r["doc"] for r in data["rows"]), key=str.lower)
    for row in data["rows"]:
        assert set(row) >= {"doc", "doc_id", "cells"} and len(row["cells"]) == 2
        text = _doc_text(fresh, row["doc_id"])
        for q, cell in zip([LAW, TERM], row["cells"]):
            assert cell["question"] == q and cell["verdict"] in VERDICTS and isinstance(cell["answer"], str)
            assert 0.0 <= cell["confidence"] <= 1.0
            assert cell["evidence"], cell
            for ev in cell["evidence"]:
                assert isinstance(ev["page"], int) and ev["page"] >= 1
                assert normalize(ev["text"]) in text  # verbatim from that document
    king = next(r for r in data["rows"] if r["doc"] == KING.name)
    law = king["cells"][0]
    assert law["verdict"] == "yes", law
    assert any("governed by" in e["text"].lower() or "laws of" in e["text"].lower() for e in law["evidence"][:1])


def test_a_second_run_computes_nothing_and_a_new_question_only_its_column(fresh):
    first = review(fresh, [LAW])
    assert first.computed == 4 and first.cached == 0 and first.complete
    again = review(fresh, [LAW])
    assert again.computed == 0 and again.cached == 4
    assert [c.verdict for r in again.rows for c in r.cells] == [c.verdict for r in first.rows for c in r.cells]
    assert [c.evidence for r in again.rows for c in r.cells] == [c.evidence for r in first.rows for c in r.cells]
    stored = [json.loads(p.read_text()) for p in (cache_dir(fresh) / "cells").rglob("*.json")]
    assert len(stored) == 4 and all("text" not in e for c in stored for e in c["evidence"])  # read back from the store
    more = review(fresh, [LAW, TERM])
    assert more.computed == 4 and more.cached == 4  # the new column only
    one_doc = review(fresh, [LAW, TERM, ABSENT], [KING.name])
    assert one_doc.computed == 1 and one_doc.cached == 2 and len(one_doc.rows) == 1


def test_a_run_stopped_midway_resumes_with_only_the_missing_cells(fresh):
    part = review(fresh, [LAW, TERM], limit=3)
    assert part.computed == 3 and not part.complete
    rest = review(fresh, [LAW, TERM])
    assert rest.cached == 3 and rest.computed == 5 and rest.complete


def test_a_killed_cli_run_resumes_with_only_the_missing_cells(fresh):
    env = env_for(fresh)
    r = CliRunner().invoke(cli, ["review", LAW, "--question", TERM, "--limit", "5", "--json"], env=env)
    assert r.exit_code == 0, r.output
    part = json.loads(r.stdout)
    assert part["computed"] == 5 and part["complete"] is False
    r = CliRunner().invoke(cli, ["review", LAW, "--question", TERM, "--json"], env=env)
    data = json.loads(r.stdout)
    assert data["computed"] == 3 and data["cached"] == 5 and data["complete"] is True


def test_the_extractive_verdict_is_honest_about_what_retrieval_cannot_tell(fresh):
    t = review(fresh, [ABSENT])
    for row in t.rows:
        c = row.cells[0]
        assert c.verdict == "unclear", (row.doc, c)  # a best passage exists; the clause does not
        assert c.confidence < 0.6 and c.mode == "extractive" and c.cost_usd == 0.0
    # extractive never claims a confident "no": an absence cannot be read off a ranking
    t2 = review(fresh, [LAW, TERM])
    assert all(c.verdict in ("yes", "unclear") for r in t2.rows for c in r.cells)


def test_dry_run_counts_cells_and_costs_nothing_without_a_model(fresh):
    t = review(fresh, [LAW, TERM], dry_run=True)
    e = t.estimate
    assert e.documents == 4 and e.questions == 2 and e.cells == 8 and e.calls == 0 and e.cost_now_usd == 0.0
    assert t.computed == 0 and not any(cache_dir(fresh).rglob("*.json"))


# ---- with a model: a loopback server speaking DeepSeek's protocol, answering from the passages it was sent ----

class EvidenceServer(FakeLLMServer):
    """Answers each question of a review call with the first sentence of its first passage (verbatim), except
    questions containing "lunar", for which it invents a quote (which the review must catch)."""

    def _as_persona(self, sc, req, anthropic):
        sc = super()._as_persona(sc, req, anthropic)
        if sc.kind != "ok":
            return sc
        user = next((m["content"] for m in req.get("messages", []) if m["role"] == "user"), "")
        passages = {m.group(1): m.group(2) for m in
                    re.finditer(r"^\[P(\d+) [^\]]*\]\n(.*?)(?=\n\n\[P\d+ |\n\nQuestions:)", user, re.S | re.M)}
        answers = []
        for qn, q, use in re.findall(r"^Q(\d+)\. (.*) \(passages, best first: ([^)]*)\)$", user, re.M):
            nums = re.findall(r"P(\d+)", use)
            if "lunar" in q:
                answers.append({"q": int(qn), "verdict": "yes", "answer": "lunar export banned",
                                "quote": "Lunar regolith shall not be exported to Mars.", "passage": 1})
                continue
            first = passages.get(nums[0], "") if nums else ""
            sentence = next((x for x in re.split(r"(?<=[.;])\s", " ".join(first.split())) if len(x) >= 20), "")[:200]
            answers.append({"q": int(qn), "verdict": "yes" if sentence else "unclear", "answer": sentence[:40],
                            "quote": sentence, "passage": int(nums[0]) if nums else 0})
        return Scenario(content=[json.dumps({"answers": answers})], usage=sc.usage, reasoning=sc.reasoning,
                        reasoning_field=sc.reasoning_field)


@pytest.fixture(scope="module")
def deepseek():
    s = EvidenceServer(persona="deepseek").start()
    yield s
    s.stop()


def test_a_model_review_makes_one_json_call_per_document_and_verifies_every_quote(fresh, deepseek):
    deepseek.requests.clear()
    s = generative(fresh, deepseek)
    t = review(s, [LAW, ABSENT], concurrency=4)
    assert t.mode == "generative" and t.computed == 8
    calls = [r for r in deepseek.requests if r["path"].endswith("/chat/completions")]
    assert len(calls) == 4  # one per document, both questions in it
    body = calls[0]["json"]
    assert body["model"] == "deepseek-flash" and body["response_format"] == {"type": "json_object"}
    assert body["thinking"] == {"type": "disabled"}
    for row in t.rows:
        law, lunar = row.cells
        assert law.verdict == "yes" and law.quote_verified is True and law.quote_page is not None, (law.quote, [e["text"][:300] for e in law.evidence[:2]])
        assert normalize(law.quote) in normalize(law.evidence[0]["text"])  # the quoted passage comes first
        assert normalize(law.quote) in _doc_text(s, row.doc_id)
        assert lunar.quote_verified is False and lunar.confidence <= 0.3  # an invented quote is caught
        assert law.cost_usd is not None and law.cost_usd > 0 and law.usage["prompt_tokens"] > 0
    assert t.cost_usd > 0
    again = review(s, [LAW, ABSENT])
    assert again.computed == 0 and len([r for r in deepseek.requests if r["path"].endswith("/chat/completions")]) == 4
    extractive = review(fresh, [LAW])  # another model: its own cells
    assert extractive.computed == 4


def test_a_model_dry_run_prices_the_calls_now_and_at_the_other_rate(fresh, deepseek):
    deepseek.requests.clear()
    s = generative(fresh, deepseek)
    e = review(s, [LAW, TERM], dry_run=True).estimate
    assert e.calls == 4 and e.cells == 8 and e.prompt_tokens > 1000 and e.output_tokens > 0
    assert e.cost_now_usd > 0 and e.cost_other_usd > 0 and {e.price_window, e.other_window} == {"peak", "off-peak"}
    assert e.seconds_expected > 0
    assert not [r for r in deepseek.requests if r["path"].endswith("/chat/completions")]


def test_the_cli_prints_json_and_exports_every_format(fresh, tmp_path):
    env = env_for(fresh)
    for ext in ("xlsx", "csv", "md", "docx"):
        r = CliRunner().invoke(cli, ["review", LAW, "--docs", KING.name, "--json", "--export", str(tmp_path / f"r.{ext}")],
                               env=env)
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        assert data["rows"][0]["doc"] == KING.name and data["rows"][0]["cells"][0]["question"] == LAW
        assert (tmp_path / f"r.{ext}").stat().st_size > 0
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "r.xlsx")
    assert wb["review"]["B1"].value == LAW and wb["review"]["A2"].value == KING.name
    assert "(p." in wb["review"]["B2"].value
    r = CliRunner().invoke(cli, ["review", LAW, "--dry-run"], env=env)
    assert r.exit_code == 0 and "4 documents × 1 questions" in r.stdout


def test_export_refuses_an_unknown_format(fresh, tmp_path):
    from app.answer.review import ReviewError

    t = review(fresh, [LAW], [KING.name])
    with pytest.raises(ReviewError):
        export(t, tmp_path / "r.pptx")


def test_index_vectors_are_the_stored_vectors_aligned_with_the_index_and_kept_on_disk(home):
    import numpy as np

    from app.library import documents as library

    store = library.get_store(home)
    idx = store.bm25_index()
    mat = store.index_vectors()
    assert mat.shape[0] == len(idx.ids) and np.allclose(np.linalg.norm(mat, axis=1), 1.0, atol=1e-4)
    some = idx.ids[::50]
    got = store._chunks.get(ids=list(some), include=["embeddings"])
    for cid, e in zip(got["ids"], got["embeddings"]):
        v = np.asarray(e, dtype=np.float32)
        assert np.allclose(mat[idx.ids.index(cid)], v / np.linalg.norm(v), atol=1e-5)
    assert list(store._bm25_dir().rglob("vectors-*.npy"))
    library.forget_stores(home)
    again = library.get_store(home).index_vectors()  # a new process reads the file, not Chroma
    assert np.array_equal(again, mat)


def test_retrieval_for_every_document_matches_retrieval_for_one(home):
    from app.library import documents as library
    from retrieval.review import retrieve

    store, emb = library.get_store(home), library.get_embedder_for(home)
    every = retrieve(store, emb, LAW, None, k=3)
    for doc_id, ev in every.items():
        one = retrieve(store, emb, LAW, [doc_id], k=3)[doc_id]
        assert [p.chunk_ids for p in one.passages] == [p.chunk_ids for p in ev.passages]
        assert [p.rank for p in ev.passages] == list(range(len(ev.passages)))


class SlowServer(EvidenceServer):
    """The evidence server, one second a call: a review can be killed between two documents."""

    def _as_persona(self, sc, req, anthropic):
        import time

        time.sleep(1.0)
        return super()._as_persona(sc, req, anthropic)


def test_a_review_killed_with_sigkill_computes_only_the_missing_cells_when_started_again(fresh):
    import os
    import signal
    import subprocess
    import sys
    import time

    server = SlowServer(persona="deepseek").start()
    try:
        s = generative(fresh, server)
        env = {**os.environ, **env_for(s, server)}
        cells = cache_dir(s) / "cells"
        cmd = [sys.executable, "-c", "from app.faces.cli import main; main()", "review", LAW, "--question", TERM,
               "--concurrency", "1", "--json"]
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 240
        while time.time() < deadline and len(list(cells.rglob("*.json"))) < 2:
            time.sleep(0.05)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        done = len(list(cells.rglob("*.json")))
        assert 2 <= done < 8, done  # killed after its first document, before its last
        before = len([r for r in server.requests if r["path"].endswith("/chat/completions")])
        r = CliRunner().invoke(cli, ["review", LAW, "--question", TERM, "--json"], env=env_for(s, server))
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        assert data["cached"] == done and data["computed"] == 8 - done and data["complete"] is True
        calls = len([r for r in server.requests if r["path"].endswith("/chat/completions")]) - before
        assert calls == (8 - done) // 2  # one call per document still missing
    finally:
        server.stop()


def test_a_documents_call_reads_each_chunk_once_in_document_order(home):
    from app.answer.review import document_messages
    from app.library import documents as library
    from retrieval.review import retrieve

    store, emb = library.get_store(home), library.get_embedder_for(home)
    king = next(d for d in store.documents() if d.file == KING.name)
    items = [(q, retrieve(store, emb, q, [king.doc_id])[king.doc_id]) for q in (LAW, TERM, ABSENT)]
    union = {cid for _, ev in items for p in ev.passages for cid in p.chunk_ids}
    messages, passages = document_messages(king, items, store=store)
    ids = [cid for p in passages for cid in p.chunk_ids]
    assert len(ids) == len(set(ids)) <= len(union)  # each chunk once (within the call's budget)
    assert [p.char_start for p in passages] == sorted(p.char_start for p in passages)
    text = _doc_text(home, king.doc_id)
    assert all(normalize(p.text) in text for p in passages)  # verbatim, overlaps joined
    assert messages[1]["content"].count("(passages, best first: P") == 3

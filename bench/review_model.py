"""The model stage of a review, measured end to end against a loopback server: `python -m bench review_model
[--store HOME] [--set DIR] [--concurrency N]`.

A real HTTP server on 127.0.0.1 speaks DeepSeek's chat protocol (tests/model/fakeserver.py, persona "deepseek")
and answers every review call *from the passages it was sent*: for each question, the sentence of its passages
(best first) holding most of the question's content words is quoted verbatim; "yes" when it holds all of them,
"unclear" otherwise. Its usage figures are the real token counts of the request (DeepSeek V4 tokenizer; the
system prompt counted as a prefix-cache hit after the first call) and of the reply, so `eval review` prices them
at the catalog's deepseek-flash rates. This measures the pipeline — calls, concurrency, JSON parsing, quote
verification, tokens and cost per document, false positives of a reader that only sees the evidence — not a
model's judgement. Writes bench/results/review_model.json.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT.parent / "stores" / "cuad-review"
SET = ROOT.parent / "shared" / "eval" / "review-cuad"
RESULTS = ROOT / "bench" / "results" / "review_model.json"


def reader_server():
    sys.path.insert(0, str(ROOT / "tests" / "model"))
    from fakeserver import FakeLLMServer, Scenario

    from app.answer.review import SYSTEM
    from retrieval.review import _SENTENCE, coverage, key_terms
    from retrieval.tokens import count_tokens

    sys_tokens = count_tokens(SYSTEM) + 4

    class Reader(FakeLLMServer):
        def _as_persona(self, sc, req, anthropic):
            sc = super()._as_persona(sc, req, anthropic)
            if sc.kind != "ok":
                return sc
            msgs = req.get("messages", [])
            user = next((m["content"] for m in msgs if m["role"] == "user"), "")
            passages: dict[str, str] = {}
            for m in re.finditer(r"^\[P(\d+) [^\]]*\]\n(.*?)(?=\n\n\[P\d+ |\n\nQuestions:)", user, re.S | re.M):
                passages[m.group(1)] = m.group(2)
            answers = []
            for qn, q, use in re.findall(r"^Q(\d+)\. (.*) \(passages, best first: ([^)]*)\)$", user, re.M):
                terms = key_terms(q)
                best, score, pn = "", -1.0, 0
                for num in re.findall(r"P(\d+)", use):
                    for sent in _SENTENCE.split(passages.get(num, "")):
                        c = coverage(terms, sent)
                        if c > score and len(sent) > 20:
                            best, score, pn = " ".join(sent.split()), c, int(num)
                yes = score >= 1.0
                answers.append({"q": int(qn), "verdict": "yes" if yes else "unclear",
                                "answer": best[:60] if yes else "", "quote": best[:400] if yes else "", "passage": pn})
            reply = json.dumps({"answers": answers})
            prompt = sum(count_tokens(m["content"]) + 4 for m in msgs)
            out = count_tokens(reply)
            hit = min(sys_tokens, prompt)
            usage = {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out,
                     "prompt_cache_hit_tokens": hit, "prompt_cache_miss_tokens": prompt - hit,
                     "completion_tokens_details": {"reasoning_tokens": 0}}
            return Scenario(content=[reply], usage=usage, reasoning=[], reasoning_field=sc.reasoning_field)

    return Reader(persona="deepseek")


def run(argv: list[str]) -> dict:
    ap = argparse.ArgumentParser(prog="bench review_model")
    ap.add_argument("--store", type=Path, default=STORE)
    ap.add_argument("--set", dest="set_dir", type=Path, default=SET)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--limit", type=int, default=0)
    args, _ = ap.parse_known_args(argv)
    from app.answer.review_eval import run_review_eval
    from app.config import load_settings

    server = reader_server().start()
    try:
        s = load_settings(env={}, home=args.store.expanduser(), backend="deepseek", base_url=server.url,
                          api_key="sk-loopback", model="deepseek-flash", max_retries=0, timeout_s=60.0)
        t0 = time.perf_counter()
        rep = run_review_eval(s, args.set_dir, kinds=("cross-doc",), limit=args.limit, concurrency=args.concurrency,
                              progress=lambda m: print(" ", m, flush=True))
        rep["wall_s"] = round(time.perf_counter() - t0, 1)
        rep["calls"] = len([r for r in server.requests if r["path"].endswith("/chat/completions")])
    finally:
        server.stop()
    c = rep["cross_doc"]
    for r in c["rows"]:
        r.pop("question", None)
    print(f"recall {c['recall']}, yes {c['yes_cells']}, fp {c['false_positives']} ({c['fp_share_of_yes']:.1%} of yes), "
          f"{c['tokens_per_document']} tokens/document, ${c['cost_per_document_usd']}/document, "
          f"{rep['calls']} calls in {rep['wall_s']} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rep, indent=1) + "\n")
    return rep


if __name__ == "__main__":
    run(sys.argv[1:])

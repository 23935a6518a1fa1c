"""Loopback load on the HTTP API: `python -m bench serve [--askers 20] [--rounds 3] [--naive 3]`.

A real `longdoc serve` (own process group) over the samples in one matter; ≥ 20 concurrent askers each
ask `rounds` extractive questions over HTTP with a reader token. Reported: latency p50/p95, errors,
throughput — and, in the same run, the naive alternative a script would use without the API: one
`longdoc ask --json` process per question (each loads the embedder and opens the store again), and
the same questions asked one at a time over HTTP. Writes bench/results/serve.json.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "Which law governs these agreements?",
    "When does the Promotion Agreement expire?",
    "Is there a cap on liability?",
    "Can either party terminate for convenience, and with how much notice?",
    "What audit rights does each party have?",
    "Who are the parties to the Strategic Alliance Agreement?",
    "What did the Supreme Court hold about the Red River Compact?",
    "What are the payment terms?",
]


def _arg(argv: list[str], name: str, default: int) -> int:
    return int(argv[argv.index(name) + 1]) if name in argv else default


def _pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q * (len(v) - 1))))]


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
    env.update(PYTHONPATH=str(ROOT), LONGDOC_HOME=str(home), LONGDOC_BACKEND="none", HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false")
    return env


def run(argv: list[str]) -> dict:
    import httpx

    from app.config import load_settings
    from app.library import access, matters
    from app.library import documents as library
    from ingest.chroma_server import free_port

    askers, rounds, naive_n = _arg(argv, "--askers", 20), _arg(argv, "--rounds", 3), _arg(argv, "--naive", 3)
    home = ROOT / "bench" / ".cache" / "serve_home"
    s = load_settings(env={}, home=home, backend="none")
    if not matters.exists(s, "bench"):
        matters.create(s, "bench")
    m = matters.for_matter(s, "bench")
    if not library.list_documents(m):
        library.ingest(m, [ROOT / "data" / "samples"])
    library.forget_stores()
    info, token = access.create_token(s, "bench", "reader", "bench serve")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(home / "serve.log", "wb")
    cli = [sys.executable, "-c", "from app.faces.cli import main; main()"]
    proc = subprocess.Popen(cli + ["serve", "--port", str(port), "--no-mcp"], cwd=ROOT, env=_env(home),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        t0 = time.monotonic()
        while True:
            try:
                if httpx.get(url + "/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() - t0 > 120:
                raise RuntimeError("the server did not start")
            time.sleep(0.3)
        with httpx.Client(base_url=url, timeout=600, headers=headers) as c:
            c.post("/v1/matters/bench/ask", json={"question": "warm-up: what is the term?"}).raise_for_status()
            startup_s = time.monotonic() - t0
            # one asker at a time: the unloaded latency
            serial = []
            for q in QUESTIONS:
                t = time.monotonic()
                r = c.post("/v1/matters/bench/ask", json={"question": q})
                serial.append(time.monotonic() - t)
                r.raise_for_status()

        # the load: `askers` threads, each with its own connection, `rounds` questions each
        lat: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(askers)

        def asker(i: int) -> None:
            with httpx.Client(base_url=url, timeout=600, headers=headers) as c:
                start.wait()
                for k in range(rounds):
                    q = QUESTIONS[(i + k) % len(QUESTIONS)]
                    t = time.monotonic()
                    try:
                        r = c.post("/v1/matters/bench/ask", json={"question": q})
                        ok = r.status_code == 200 and r.json().get("citations") is not None
                        why = None if ok else f"{r.status_code}: {r.text[:120]}"
                    except httpx.HTTPError as e:
                        why = f"{type(e).__name__}: {e}"
                    with lock:
                        lat.append(time.monotonic() - t)
                        if why:
                            errors.append(why)

        threads = [threading.Thread(target=asker, args=(i,)) for i in range(askers)]
        t = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.monotonic() - t
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        log.close()
        access.revoke_token(s, info.id)

    # the naive alternative: a fresh CLI process per question
    naive = []
    for q in QUESTIONS[:naive_n]:
        t = time.monotonic()
        done = subprocess.run(cli + ["--matter", "bench", "ask", q, "--json"], cwd=ROOT, env=_env(home),
                              capture_output=True, text=True, timeout=600)
        naive.append(time.monotonic() - t)
        if done.returncode != 0:
            raise RuntimeError(f"naive ask failed: {done.stderr[-300:]}")

    n = len(lat)
    summary = {
        "askers": askers, "rounds": rounds, "requests": n, "errors": len(errors),
        "p50_s": round(_pct(lat, 0.5), 3), "p95_s": round(_pct(lat, 0.95), 3), "max_s": round(max(lat), 3),
        "throughput_rps": round(n / wall, 3), "wall_s": round(wall, 2),
        "serial_http_p50_s": round(statistics.median(serial), 3),
        "naive_cli_per_question_s": round(statistics.median(naive), 3),
        "startup_s": round(startup_s, 2),
        "machine": f"{os.cpu_count()} cores, {os.uname().machine} (shared with other work unless run quietly)",
    }
    summary["ratio_throughput_vs_naive_cli"] = round(summary["throughput_rps"] * summary["naive_cli_per_question_s"], 2)
    print(f"{'':34} {'value':>10}")
    for k in ("requests", "errors", "p50_s", "p95_s", "max_s", "throughput_rps", "serial_http_p50_s",
              "naive_cli_per_question_s", "ratio_throughput_vs_naive_cli", "startup_s"):
        print(f"{k:34} {summary[k]:>10}")
    if errors:
        print("errors:", *errors[:5], sep="\n  ")
    out = {"bench": "serve", "summary": summary, "latencies_s": [round(x, 3) for x in lat], "serial_s": serial,
           "naive_s": naive, "errors": errors}
    path = ROOT / "bench" / "results" / "serve.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    return out

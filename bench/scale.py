"""Scale-out benchmark: ingest pages/s with 1 and 2 `longdoc ingest` processes feeding one Chroma server.

`python -m bench scale [--limit N] [--corpus DIR]`. Starts its own `chroma run` on a free port (stopped
by PID), ingests the first N contracts of ../shared/corpus/cuad with one process, then into a fresh
collection with two processes splitting the files, and — as the baseline — with one process into
the embedded store. Each process gets one parser worker, so "2 processes" is what a second machine
(or a second container) adds. Prints a table and writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest.chroma_server import start_chroma_server, stop_process

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "cuad"
RESULTS = ROOT / "bench" / "results" / "scale.json"
BIN = Path(sys.executable).parent


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               TOKENIZERS_PARALLELISM="false", LONGDOC_WORKERS="1", **extra)
    return env


def _run_config(name: str, groups: list[list[Path]], work: Path, url: str | None) -> dict:
    """Ingest each group of files with its own `longdoc ingest` process, all at once; time the lot."""
    collection = "bench_" + name.replace(" ", "_")
    procs = []
    t0 = time.perf_counter()
    for k, files in enumerate(groups):
        folder = work / f"{collection}_in{k}"
        folder.mkdir()
        for f in files:
            os.symlink(f, folder / f.name)
        extra = {"LONGDOC_HOME": str(work / f"{collection}_home{k}"), "LONGDOC_COLLECTION": collection}
        if url:
            extra["LONGDOC_CHROMA_URL"] = url
        procs.append(subprocess.Popen([str(BIN / "longdoc"), "ingest", str(folder), "--json"], env=_env(**extra),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT)))
    results = []
    for p in procs:
        out, err = p.communicate()
        if p.returncode not in (0, 1):
            raise RuntimeError(f"longdoc ingest failed ({p.returncode}): {err[-500:]}")
        results.extend(json.loads(out[out.index("["):]))
    seconds = time.perf_counter() - t0
    pages = sum(r["pages"] for r in results if r["status"] in ("ingested", "replaced"))
    chunks = sum(r["chunks"] for r in results if r["status"] in ("ingested", "replaced"))
    return {"config": name, "processes": len(groups), "files": len(results), "pages": pages, "chunks": chunks,
            "seconds": round(seconds, 1), "pages_per_s": round(pages / seconds, 2) if seconds else 0.0,
            "pages_per_s_per_process": round(pages / seconds / len(groups), 2) if seconds else 0.0,
            "failed": [r["file"] for r in results if r["status"] not in ("ingested", "replaced", "unchanged")]}


def run(argv: list[str]) -> dict:
    ap = argparse.ArgumentParser(prog="bench scale")
    ap.add_argument("--limit", type=int, default=16, help="number of contracts (default 16)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args, _ = ap.parse_known_args(argv)
    files = sorted(p for p in args.corpus.iterdir() if p.suffix.lower() == ".pdf")[: args.limit]
    if not files:
        raise RuntimeError(f"no PDFs in {args.corpus}")
    with tempfile.TemporaryDirectory(prefix="longdoc-scale-") as tmp:
        work = Path(tmp)
        server, url = start_chroma_server(work / "chroma", work / "chroma.log", timeout_s=120)
        try:
            rows = [
                _run_config("embedded 1 process", [files], work, None),
                _run_config("server 1 process", [files], work, url),
                _run_config("server 2 processes", [files[0::2], files[1::2]], work, url),
            ]
        finally:
            stop_process(server)
    result = {"corpus": str(args.corpus), "files": len(files), "cpus": os.cpu_count(), "rows": rows,
              "speedup_2_vs_1": round(rows[2]["pages_per_s"] / rows[1]["pages_per_s"], 2) if rows[1]["pages_per_s"] else None}
    print(f"{'config':<22} {'procs':>5} {'files':>5} {'pages':>6} {'chunks':>7} {'sec':>7} {'pages/s':>8} {'p/s/proc':>9}")
    for r in rows:
        print(f"{r['config']:<22} {r['processes']:>5} {r['files']:>5} {r['pages']:>6} {r['chunks']:>7} "
              f"{r['seconds']:>7.1f} {r['pages_per_s']:>8.2f} {r['pages_per_s_per_process']:>9.2f}")
    print(f"2 processes vs 1 on the server: x{result['speedup_2_vs_1']} (on {os.cpu_count()} CPUs)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    run(sys.argv[1:])

"""Which job queue on Redis: Celery, RQ, Dramatiq or Huey, measured the same way on a real redis-server.

`python -m bench queues [--libs DIR] [--n 500] [--timeout 20] [--only celery,rq,dramatiq,huey]`. Only the
chosen library (Dramatiq) is a dependency; install the others into a folder to compare
(`pip install --target DIR celery rq huey dramatiq[redis]`) and pass it as `--libs`.

Per library, one worker process with one thread (the library's own worker command):
- **enqueue**: µs per message sent (500 no-op jobs, one by one, as `jobs.submit` sends them);
- **round trip**: jobs/s from the first send until the worker has run all 500 (queue overhead per job);
- **redelivery after SIGKILL**: a 30 s job starts, its worker's process group gets SIGKILL, a second
  worker starts; seconds until the job starts again there (capped at 150 s: "never" in that time);
- **long job, live worker**: a job (`--long`, 120 s) far longer than the library's timeout (visibility /
  heartbeat / maintenance, all set to `--timeout`, 20 s) on one of two live workers: is it run a second
  time while the first still runs it?
Prints a table and writes bench/results/queues.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "queues.json"

_COMMON = '''
import json, os, sys, time, redis
URL = os.environ["QB_URL"]; T = int(os.environ.get("QB_TIMEOUT", "20"))
r = redis.Redis.from_url(URL)
def noop(i):
    r.incr("qb:done")
def slow(s, tag):
    r.incr("qb:started:" + tag); time.sleep(s); r.incr("qb:slowdone:" + tag)
def main(argv):
    if argv[0] == "noop":
        n = int(argv[1]); t0 = time.perf_counter()
        for i in range(n):
            send_noop(i)
        print(json.dumps({"us_per_enqueue": (time.perf_counter() - t0) / n * 1e6}))
    else:
        send_slow(float(argv[1]), argv[2])
'''

APPS = {
    "celery": _COMMON + '''
from celery import Celery
app = Celery("qapp", broker=URL)
app.conf.update(task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
                broker_transport_options={"visibility_timeout": T}, task_ignore_result=True,
                broker_connection_retry_on_startup=True)
t_noop = app.task(name="noop")(noop)
t_slow = app.task(name="slow")(slow)
def send_noop(i): t_noop.delay(i)
def send_slow(s, tag): t_slow.delay(s, tag)
''',
    "rq": _COMMON + '''
from rq import Queue, Retry
q = Queue("qb", connection=r)
def send_noop(i): q.enqueue(noop, i)
def send_slow(s, tag): q.enqueue(slow, s, tag, retry=Retry(max=3), job_timeout=int(s) + T)
''',
    "dramatiq": _COMMON + '''
import dramatiq
from dramatiq.brokers.redis import RedisBroker
broker = RedisBroker(url=URL, heartbeat_timeout=T * 1000, maintenance_chance=50_000, middleware=[])
dramatiq.set_broker(broker)
a_noop = dramatiq.actor(noop, actor_name="noop", queue_name="qb")
a_slow = dramatiq.actor(slow, actor_name="slow", queue_name="qb")
def send_noop(i): a_noop.send(i)
def send_slow(s, tag): a_slow.send(s, tag)
''',
    "huey": _COMMON + '''
from huey import RedisHuey
huey = RedisHuey("qb", url=URL, results=False)
h_noop = huey.task(name="noop")(noop)
h_slow = huey.task(name="slow")(slow)
def send_noop(i): h_noop(i)
def send_slow(s, tag): h_slow(s, tag)
''',
}


def _worker_cmd(lib: str, url: str, timeout: int) -> list[str]:
    py = sys.executable
    if lib == "celery":
        return [py, "-m", "celery", "-A", "qapp", "worker", "--pool=solo", "-c", "1", "-l", "warning"]
    if lib == "rq":
        return [py, "-c", "from rq.cli import main; main()", "worker", "--url", url, "--maintenance-interval",
                str(timeout), "qb"]
    if lib == "dramatiq":
        return [py, "-m", "dramatiq", "qapp", "-p", "1", "-t", "1"]
    return [py, "-m", "huey.bin.huey_consumer", "qapp.huey", "-w", "1", "-k", "thread"]


def _tree(root: int) -> list[int]:
    """`root` and its descendants (RQ's work horse leaves the worker's process group, so a group kill
    would miss it; a machine that dies takes the whole tree)."""
    parents: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    parents[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    out, stack = [], [root]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(c for c, pp in parents.items() if pp == p)
    return out


def _count(r, key: str) -> int:
    return int(r.get(key) or 0)


def _until(pred, cap: float, step: float = 0.05) -> float | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < cap:
        if pred():
            return time.monotonic() - t0
        time.sleep(step)
    return None


def _measure(lib: str, url: str, folder: Path, env: dict, n: int, timeout: int, long_s: int) -> dict:
    import redis

    r = redis.Redis.from_url(url)
    r.flushall()
    (folder / "qapp.py").write_text(APPS[lib])
    logs = []

    def start(tag: str) -> subprocess.Popen:
        log = open(folder / f"{lib}-{tag}.log", "wb")
        logs.append(log)
        return subprocess.Popen(_worker_cmd(lib, url, timeout), cwd=folder, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def send(*args: str) -> dict:
        out = subprocess.run([sys.executable, "-c", "import qapp, sys; qapp.main(sys.argv[1:])", *args], cwd=folder,
                             env=env, capture_output=True, text=True, timeout=300)
        if out.returncode:
            raise RuntimeError(f"{lib} send failed: {out.stderr[-1500:]}")
        return json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else {}

    def stop(p: subprocess.Popen, sig=signal.SIGTERM) -> None:
        if sig == signal.SIGKILL:
            for pid in _tree(p.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
                p.wait(timeout=20)
            except ProcessLookupError:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=20)

    out: dict = {"library": lib}
    a = start("a")
    try:
        t0 = time.monotonic()
        send("noop", "1")
        first = _until(lambda: _count(r, "qb:done") >= 1, 120)
        out["first_job_s"] = round(time.monotonic() - t0, 2) if first is not None else None
        r.set("qb:done", 0)
        t0 = time.monotonic()
        out["us_per_enqueue"] = round(send("noop", str(n))["us_per_enqueue"], 1)
        drained = _until(lambda: _count(r, "qb:done") >= n, 300)
        out["round_trip_jobs_per_s"] = round(n / (time.monotonic() - t0), 1) if drained is not None else None
        # SIGKILL mid-job, a second worker takes over
        send("slow", "30", "kill")
        _until(lambda: _count(r, "qb:started:kill") >= 1, 60)
        stop(a, signal.SIGKILL)
        b = start("b")
        again = _until(lambda: _count(r, "qb:started:kill") >= 2, 150, step=0.2)
        out["redelivered_after_sigkill_s"] = round(again, 1) if again is not None else None
        stop(b, signal.SIGKILL)
        r.flushall()  # nothing of this phase (a redelivered or abandoned job) leaks into the next
        # a job longer than the timeout on one of two live workers
        a, b = start("c"), start("d")
        time.sleep(5)
        send("slow", str(long_s), "long")
        _until(lambda: _count(r, "qb:slowdone:long") >= 1, long_s + 60, step=0.2)
        time.sleep(3)
        out["long_job_runs"] = _count(r, "qb:started:long")
        stop(a, signal.SIGKILL)
        stop(b, signal.SIGKILL)
    finally:
        for p in (a,):
            stop(p, signal.SIGKILL)
        for log in logs:
            log.close()
    return out


def run(argv: list[str]) -> dict:
    ap = argparse.ArgumentParser(prog="bench queues")
    ap.add_argument("--libs", type=Path, default=None, help="folder holding the libraries not installed here")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--timeout", type=int, default=20, help="visibility / heartbeat / maintenance seconds, for all")
    ap.add_argument("--only", default="celery,rq,dramatiq,huey")
    ap.add_argument("--long", type=int, default=120, help="seconds of the long job (well past every timeout)")
    args, _ = ap.parse_known_args(argv)
    from app.library.redis_server import start_redis_server, stop_process

    rows = []
    with tempfile.TemporaryDirectory(prefix="longdoc-queues-") as tmp:
        folder = Path(tmp)
        proc, url = start_redis_server(folder / "redis")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LONGDOC_")}
        paths = [str(folder)] + ([str(args.libs)] if args.libs else []) + [os.environ.get("PYTHONPATH", "")]
        env.update(QB_URL=url, QB_TIMEOUT=str(args.timeout), PYTHONPATH=os.pathsep.join(p for p in paths if p))
        try:
            for lib in args.only.split(","):
                probe = subprocess.run([sys.executable, "-c", f"import {lib}; print({lib}.__version__)"], env=env,
                                       capture_output=True, text=True)
                if probe.returncode:
                    rows.append({"library": lib, "skipped": "not installed (see --libs)"})
                    continue
                print(f"  {lib} {probe.stdout.strip()} …", flush=True)
                row = _measure(lib, url, folder, env, args.n, args.timeout, args.long)
                row["version"] = probe.stdout.strip()
                rows.append(row)
        finally:
            stop_process(proc)
    result = {"n": args.n, "timeout_s": args.timeout, "long_job_s": args.long, "cpus": os.cpu_count(), "load_average_at_end": os.getloadavg(),
              "rows": rows}
    head = f"{'library':<10} {'version':<8} {'enqueue µs':>10} {'jobs/s':>8} {'1st job s':>9} {'redelivered s':>13} {'long job runs':>13}"
    print(head)
    for r in rows:
        if "skipped" in r:
            print(f"{r['library']:<10} {r['skipped']}")
            continue
        red = r["redelivered_after_sigkill_s"]
        print(f"{r['library']:<10} {r['version']:<8} {r['us_per_enqueue']:>10} {r['round_trip_jobs_per_s'] or '-':>8} "
              f"{r['first_job_s'] or '-':>9} {red if red is not None else 'never':>13} {r['long_job_runs']:>13}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    run(sys.argv[1:])

"""Benchmarks at network scale: `make bench` (or `.venv/bin/python bench/run.py --help`).

For each database (SQLite, PostgreSQL):
1. generate the data set (20,000 places, 50,000 people) or reuse it (`bench/generate.py`);
   and migrate it (a reused database gets the application's newer migrations);
2. server time and query counts in-process, with Django's test Client (`bench/inprocess.py`);
3. start gunicorn (DEBUG=false, 2 sync workers) on 127.0.0.1, warm it up, then load it with
   1 and 8 keep-alive clients (`bench/load.py`): latency percentiles and throughput;
4. read the resident memory (VmRSS) of the app workers after the load, then load the
   GeoJSON cold (a new cache key per request) and read it again.
Then query counts again on a small data set (1,000 places) to show they do not grow.

The application runs with its own settings (`tiers.settings`) in production mode; if
`collectstatic` fails, the benchmark stops: that is a bug of the application.
A table is printed and everything is written to `bench/results/` as JSON.
Every loop is bounded in requests and in seconds; servers listen on loopback only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import platform
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-not-for-production"  # noqa: S105

sys.path.insert(0, str(BENCH_DIR))
from load import run_load, wait_until_up  # noqa: E402

SETTINGS_MODULE = "tiers.settings"
GZIP = {"Accept-Encoding": "gzip"}

# Server-time targets (p95, in-process), in milliseconds.
TARGETS_MS = {
    "directory": 50.0,
    "directory_filtered": 50.0,
    "place": 50.0,
    "geojson_cold": 300.0,
    "geojson_cold_plain": 300.0,
    "geojson_warm": 300.0,
    "geojson_warm_plain": 300.0,
}
# What the HTTP load covers, by in-process target (whose path and headers it reuses); the
# in-process part covers a few more variants. The cold GeoJSON comes after, see http_bench.
HTTP_TARGETS = [
    "directory",
    "directory_filtered",
    "place",
    "api_list",
    "geojson_warm",
    "geojson_warm_plain",
]
# Scenarios with a smaller request budget (each request costs ~10 times more).
HEAVY = {"geojson_cold", "geojson_cold_plain"}


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of the machine's CPU time spent busy over `seconds` (all processes), in %."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields), idle

    total1, idle1 = sample()
    time.sleep(seconds)
    total2, idle2 = sample()
    total = total2 - total1
    return round(100.0 * (total - (idle2 - idle1)) / total, 1) if total else 0.0


def background(args: argparse.Namespace) -> float:
    """The CPU used by other processes while ours are idle; waits (bounded) for a quieter
    machine when --wait-idle is given, since other work on 2 cores distorts every figure."""
    deadline = time.perf_counter() + args.wait_idle
    busy = cpu_busy()
    while busy > args.idle_threshold and time.perf_counter() < deadline:
        busy = cpu_busy(2.0)
    return busy


def machine_ticks() -> tuple[int, int]:
    """(all CPU ticks, busy ticks) of the machine since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields), sum(fields) - idle


def process_ticks(pid: int) -> int:
    """User + system ticks of one process (all its threads); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def bench_pids(master: int | None) -> list[int]:
    """This process, the gunicorn master and workers, and PostgreSQL backends of a bench db."""
    pids = [os.getpid()]
    if master is not None:
        pids += [master, *worker_pids(master)]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres:") and b"bench" in title:
                pids.append(int(entry.name))
    return pids


class CpuMeter:
    """How much CPU *other* processes used while a scenario ran, in % of the machine: the
    machine's busy time minus that of the benchmark's own processes (this client, gunicorn,
    subprocesses, PostgreSQL backends of the bench database). Above ~10 %, the figures are
    disturbed. A thread samples the processes every 0.2 s, so that PostgreSQL backends that
    come and go during the measurement are counted as ours too."""

    def __init__(self, master: int | None) -> None:
        self.master = master
        self.children = self.children_ticks()
        self.start = {pid: process_ticks(pid) for pid in bench_pids(master)}
        self.last = dict(self.start)
        self.total, self.busy = machine_ticks()
        self.stopped = threading.Event()
        self.sampler = threading.Thread(target=self.sample_loop, daemon=True)
        self.sampler.start()

    def sample(self) -> None:
        for pid in bench_pids(self.master):
            ticks = process_ticks(pid)
            if ticks:
                self.last[pid] = max(ticks, self.last.get(pid, 0))

    def sample_loop(self) -> None:
        while not self.stopped.wait(0.2):
            self.sample()

    @staticmethod
    def children_ticks() -> int:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return round((usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK"))

    def others_pct(self) -> float:
        self.stopped.set()
        self.sampler.join()
        self.sample()
        total, busy = machine_ticks()
        ours = sum(ticks - self.start.get(pid, 0) for pid, ticks in self.last.items())
        ours += self.children_ticks() - self.children  # subprocesses that ended meanwhile
        elapsed = total - self.total
        if elapsed <= 0:
            return 0.0
        return round(max(0.0, 100.0 * (busy - self.busy - ours) / elapsed), 1)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_urls(args: argparse.Namespace) -> dict[str, str]:
    urls = {
        "sqlite": f"sqlite:///{RESULTS_DIR / f'tiers-bench-{args.places}.sqlite3'}",
        "postgres": args.postgres_url,
    }
    chosen = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    return {name: urls[name] for name in chosen}


def base_env(database_url: str, conn_max_age: int | None) -> dict[str, str]:
    """The servers' environment: the application's settings in production mode. Connection
    age and cache are the application's defaults (persistent connections; a local-memory
    cache per process, as without REDIS_URL) unless --conn-max-age is given."""
    dropped = ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DB_CONN_MAX_AGE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    if conn_max_age is not None:
        env["DB_CONN_MAX_AGE"] = str(conn_max_age)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": HOST,
            # TLS is the reverse proxy's business; here the client speaks plain HTTP.
            "SECURE_SSL_REDIRECT": "false",
            "TIERS_VAR_DIR": str(RESULTS_DIR / "var"),
            "LOG_LEVEL": "WARNING",
            # A developer's `.env` (REDIS_URL, DB_CONN_MAX_AGE...) must not change the figures.
            "TIERS_ENV_FILE": os.devnull,
        }
    )
    return env


def run_checked(
    cmd: list[str], env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, env=env, cwd=REPO_DIR, text=True, capture_output=True, timeout=timeout, check=False
    )


def collectstatic(url: str) -> None:
    """Collect static files as production does (`DEBUG=false`, the manifest storage). A
    failure is a bug of the application (every page would answer 500): stop here."""
    done = run_checked(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--clear", "-v", "0"],
        base_env(url, None),
        300,
    )
    if done.returncode != 0:
        raise SystemExit(
            "collectstatic failed with the application's settings (DEBUG=false): the "
            f"application cannot serve pages in production.\n{done.stderr[-3000:]}"
        )


def check_migrated(url: str, env: dict[str, str]) -> None:
    """generate.py migrates every database it writes or reuses; make sure none is left out
    (a database generated before a new index would measure the old schema)."""
    done = run_checked(
        [sys.executable, "manage.py", "migrate", "--check", "--noinput"],
        {**env, "DATABASE_URL": url},
        120,
    )
    if done.returncode != 0:
        raise SystemExit(f"{url} has unapplied migrations:\n{done.stdout}{done.stderr}")


def generate(url: str, *, places: int, people: int, seed: int, env: dict[str, str]) -> float:
    started = time.perf_counter()
    cmd = [
        sys.executable,
        str(BENCH_DIR / "generate.py"),
        "--places",
        str(places),
        "--people",
        str(people),
        "--seed",
        str(seed),
        "--recreate",
    ]
    proc = subprocess.run(
        cmd, env={**env, "DATABASE_URL": url}, cwd=REPO_DIR, timeout=900, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"generate.py failed for {url}")
    return time.perf_counter() - started


def inprocess(env: dict[str, str], out: Path, *, rounds: int, queries_only: bool) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(BENCH_DIR / "inprocess.py"),
        "--out",
        str(out),
        "--rounds",
        str(rounds),
    ]
    if queries_only:
        cmd.append("--queries-only")
    done = run_checked(cmd, env, 1800)
    if done.returncode != 0:
        raise SystemExit(f"inprocess.py failed:\n{done.stderr[-3000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def free_port(preferred: int) -> int:
    for port in [preferred, *range(8100, 8200)]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise SystemExit("No free port between 8100 and 8199")


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces: fields start after the last ")"
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == master:
            pids.append(int(entry.name))
    return sorted(pids)


def memory_kib(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


class Server:
    """gunicorn on loopback, started and stopped by this script only (by process id)."""

    def __init__(
        self, env: dict[str, str], port: int, workers: int, worker_class: str, log_path: Path
    ) -> None:
        self.port = port
        self.log_file = log_path.open("w")
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "tiers.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
        ]
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=REPO_DIR, stdout=self.log_file, stderr=subprocess.STDOUT
        )

    def workers(self) -> list[int]:
        return worker_pids(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            children = self.workers()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                for pid in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        self.log_file.close()


def http_scenarios(inproc: dict[str, Any], seed: int) -> dict[str, tuple[Any, dict[str, str]]]:
    """name -> (path for the request number, headers), for the warm part of the load."""
    slugs = list(inproc["slugs"])
    random.Random(seed).shuffle(slugs)
    scenarios: dict[str, tuple[Any, dict[str, str]]] = {}
    for name in HTTP_TARGETS:
        if name not in inproc["targets"]:
            continue
        headers = dict(inproc["targets"][name].get("headers") or {})
        if name == "place":
            scenarios[name] = (lambda i, s=slugs: f"/lieux/{s[i % len(s)]}/", headers)
        else:
            fixed = inproc["targets"][name]["path"]
            scenarios[name] = (lambda _i, p=fixed: p, headers)
    return scenarios


def cold_scenarios() -> dict[str, tuple[Any, dict[str, str]]]:
    """The GeoJSON of all places, each request with a query string never seen before: the
    application ignores the unknown parameter but keys its cache on the query string, so
    every request is a miss, as the first request after a change of the directory is (no
    write to the database needed). One counter for the whole server, so that neither a
    second client count nor a retry meets an entry filled earlier."""
    numbers = itertools.count()

    def path(_i: int) -> str:
        return f"/api/v1/places.geojson?bench_cold={next(numbers)}"

    return {"geojson_cold": (path, GZIP), "geojson_cold_plain": (path, {})}


def measure_scenario(
    args: argparse.Namespace,
    server: Server,
    path: Any,
    clients: int,
    budget: int,
    headers: dict[str, str],
) -> dict[str, Any]:
    """One load scenario; run again (up to --retries times) when other processes took more
    than --idle-threshold of the CPU meanwhile, keeping the least disturbed attempt."""
    best: dict[str, Any] | None = None
    for attempt in range(1, args.retries + 2):
        busy = background(args)
        meter = CpuMeter(server.proc.pid)
        run = run_load(
            host=HOST,
            port=server.port,
            path=path,
            clients=clients,
            max_requests=budget,
            max_seconds=args.seconds,
            headers=headers,
        )
        summary = {
            **run.as_dict(),
            "background_cpu_pct": busy,
            "others_cpu_pct": meter.others_pct(),
            "attempt": attempt,
        }
        if best is None or summary["others_cpu_pct"] < best["others_cpu_pct"]:
            best = summary
        if summary["others_cpu_pct"] <= args.idle_threshold:
            break
    assert best is not None
    return best


def http_bench(
    env: dict[str, str], inproc: dict[str, Any], args: argparse.Namespace, label: str
) -> dict[str, Any]:
    port = free_port(args.port)
    log_path = RESULTS_DIR / f"gunicorn-{label}.log"
    server = Server(env, port, args.workers, args.worker_class, log_path)
    results: dict[str, Any] = {
        "port": port,
        "workers": args.workers,
        "worker_class": args.worker_class,
        "load": {},
    }
    try:
        if not wait_until_up(HOST, port, seconds=60):
            raise SystemExit(f"gunicorn did not answer on {HOST}:{port}; see {log_path}")
        scenarios = http_scenarios(inproc, args.seed)
        for name, (path, headers) in scenarios.items():  # warm-up: every worker, every page
            warm = run_load(
                host=HOST,
                port=port,
                path=path,
                clients=args.workers,
                max_requests=args.workers * 4,
                max_seconds=60,
                headers=headers,
            )
            if warm.errors:
                raise SystemExit(f"warm-up of {name} failed: {warm.first_error}")
            expected = headers.get("Accept-Encoding", "identity")
            if set(warm.encodings) != {expected}:
                raise SystemExit(f"{name}: expected {expected} bodies, got {warm.encodings}")
        results["rss_after_warmup_kib"] = {pid: memory_kib(pid) for pid in server.workers()}

        def load(name: str, path: Any, headers: dict[str, str]) -> None:
            results["load"][name] = {}
            budget = max(20, args.requests // 8) if name in HEAVY else args.requests
            for clients in args.clients:
                summary = measure_scenario(args, server, path, clients, budget, headers)
                results["load"][name][str(clients)] = summary
                log(
                    f"  {label:8} {name:22} c={clients:<2} {summary['req_per_s']:7.1f} req/s  "
                    f"p50 {summary['p50_ms']:7.1f}  p95 {summary['p95_ms']:7.1f}  "
                    f"p99 {summary['p99_ms']:7.1f} ms  {summary['mean_bytes'] / 1024:6.0f} KiB  "
                    f"errors {summary['errors']}  (other processes: "
                    f"{summary['others_cpu_pct']:.0f}% of the CPU, attempt {summary['attempt']})"
                )

        for name, (path, headers) in scenarios.items():
            load(name, path, headers)
        results["rss_after_load_kib"] = {pid: memory_kib(pid) for pid in server.workers()}
        # Last, since each miss leaves one more document in the workers' cache.
        for name, (path, headers) in cold_scenarios().items():
            load(name, path, headers)
        results["rss_after_cold_kib"] = {pid: memory_kib(pid) for pid in server.workers()}
    finally:
        server.stop()
    return results


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem_kib = int(line.split()[1])
    import sqlite3

    import django
    import gunicorn

    head = run_checked(["git", "rev-parse", "--short", "HEAD"], dict(os.environ), 10).stdout.strip()
    dirty = run_checked(["git", "status", "--porcelain", "--", "src"], dict(os.environ), 10).stdout
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "sqlite": sqlite3.sqlite_version,
        "git_head": head,
        "app_tree_modified": bool(dirty.strip()),
        "app_tree_changes": dirty.splitlines()[:20],
    }


def postgres_version(url: str) -> str:
    try:
        import dj_database_url
        from generate import postgres_admin

        config = dj_database_url.parse(url)
        with postgres_admin(dict(config), autocommit=False) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except Exception as exc:  # report, do not fail the run on a version query
        return f"unknown ({exc.__class__.__name__})"


# --- report --------------------------------------------------------------------------------


def fmt(value: Any, width: int = 8, digits: int = 1) -> str:
    if isinstance(value, int | float):
        return f"{value:{width}.{digits}f}"
    return f"{value!s:>{width}}"


def report(results: dict[str, Any]) -> str:
    lines: list[str] = []
    dbs = results["databases"]
    lines.append("")
    lines.append(
        f"Tiers bench {results['started']} · {results['machine']['cores']} cores "
        f"({results['machine']['cpu']}) · {results['places']} places, {results['people']} people"
    )
    lines.append("")
    lines.append("Server time, in-process (Django test Client, no network), ms")
    lines.append(
        "  CPU of other processes during the measurement (for PostgreSQL, includes its server): "
        + ", ".join(f"{k} {v.get('inprocess_others_cpu_pct', 0):.0f}%" for k, v in dbs.items())
    )
    if dbs:
        first = next(iter(dbs.values()))["inprocess"]
        ages = ", ".join(f"{k} {v['inprocess'].get('conn_max_age')} s" for k, v in dbs.items())
        sizes = ", ".join(
            f"{name} {st['bytes'] / 1024:.0f}"
            for name, st in first["server_time"].items()
            if name.startswith("geojson")
        )
        lines.append(f"  CONN_MAX_AGE: {ages}; GeoJSON sizes as sent (KiB): {sizes}")
    header = f"{'target':22}"
    for db in dbs:
        header += f" | {db + ' p50':>12} {db + ' p95':>12}"
    header += " | target p95 | met"
    lines.append(header)
    names = list(next(iter(dbs.values()))["inprocess"]["server_time"]) if dbs else []
    for name in names:
        row = f"{name:22}"
        met = []
        for db in dbs.values():
            st = db["inprocess"]["server_time"].get(name, {})
            row += f" | {fmt(st.get('p50_ms', '-'), 12)} {fmt(st.get('p95_ms', '-'), 12)}"
            if name in TARGETS_MS and "p95_ms" in st:
                met.append(st["p95_ms"] < TARGETS_MS[name])
        goal = f"< {TARGETS_MS[name]:.0f}" if name in TARGETS_MS else "-"
        verdict = ("yes" if all(met) else "NO") if met else "-"
        lines.append(f"{row} | {goal:>10} | {verdict}")

    lines.append("")
    lines.append(
        "HTTP through gunicorn (DEBUG=false, sync workers), keep-alive client threads; "
        "others: CPU used by other processes during the scenario, % of the machine"
    )
    lines.append(
        f"{'database':9} {'target':22} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6} {'KiB':>7} {'others':>7}"
    )
    for db_name, db in dbs.items():
        for name, by_clients in db.get("http", {}).get("load", {}).items():
            for clients, s in by_clients.items():
                lines.append(
                    f"{db_name:9} {name:22} {clients:>7} {fmt(s['req_per_s'])} {fmt(s['p50_ms'])} "
                    f"{fmt(s['p95_ms'])} {fmt(s['p99_ms'])} {s['errors']:>6} "
                    f"{s['mean_bytes'] / 1024:7.0f} {s.get('others_cpu_pct', 0):6.0f}%"
                )

    lines.append("")
    lines.append("Queries per request (CaptureQueriesContext), by data size")
    sizes = results.get("query_sizes", {})
    columns = [(label, data) for label, data in sizes.items()]
    lines.append(
        f"{'target':22} " + " ".join(f"{label:>18}" for label, _ in columns) + "  constant"
    )
    names = list(columns[0][1]) if columns else []
    for name in names:
        counts = []
        cells = []
        for _label, data in columns:
            q = data.get(name, {})
            if "queries_max" in q:
                counts.append((q["queries_min"], q["queries_max"]))
                cell = (
                    str(q["queries_max"])
                    if q["queries_min"] == q["queries_max"]
                    else f"{q['queries_min']}-{q['queries_max']}"
                )
            else:
                cell = q.get("error", "-")
            cells.append(f"{cell:>18}")
        constant = "yes" if counts and len({c[1] for c in counts}) == 1 else "NO"
        lines.append(f"{name:22} " + " ".join(cells) + f"  {constant}")

    lines.append("")
    lines.append("Memory of the app workers (VmRSS / peak VmHWM), MiB")
    for moment in ("rss_after_load_kib", "rss_after_cold_kib"):
        for db_name, db in dbs.items():
            rss = db.get("http", {}).get(moment, {})
            workers = ", ".join(
                f"pid {pid}: {v.get('VmRSS', 0) / 1024:.0f} / {v.get('VmHWM', 0) / 1024:.0f}"
                for pid, v in rss.items()
            )
            when = "after the load" if moment == "rss_after_load_kib" else "after cold GeoJSON"
            lines.append(f"{db_name:9} {when:19} {workers}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Tiers benchmarks (see bench/README.md).")
    parser.add_argument("--db", choices=["all", "sqlite", "postgres"], default="all")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/tiers_bench"
        ),
    )
    parser.add_argument("--places", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--small-places", type=int, default=1_000, help="for query counts")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--rounds", type=int, default=60, help="in-process requests per URL")
    parser.add_argument("--clients", default="1,8", help="concurrent clients, comma-separated")
    parser.add_argument("--requests", type=int, default=400, help="max requests per scenario")
    parser.add_argument("--seconds", type=float, default=15.0, help="max seconds per scenario")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument(
        "--conn-max-age",
        type=int,
        help="set DB_CONN_MAX_AGE for the servers (default: the application's own default)",
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        help="before each measurement, wait up to this many seconds for a quiet machine",
    )
    parser.add_argument(
        "--idle-threshold", type=float, default=25.0, help="quiet: below this CPU %% busy"
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=0,
        help="measure again (at most this many times) what other processes disturbed",
    )
    parser.add_argument("--skip-http", action="store_true", help="in-process figures only")
    parser.add_argument(
        "--label", default="", help="name the results (bench-<time>-LABEL.json, latest-LABEL.json)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 2,000 places, 500 for the small size, short scenarios",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.places, args.people, args.small_places = 2_000, 5_000, 500
        args.rounds, args.requests, args.seconds = 15, 60, 3.0
    args.clients = [int(c) for c in str(args.clients).split(",") if c.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    urls = database_urls(args)
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "places": args.places,
        "people": args.people,
        "seed": args.seed,
        "label": args.label,
        "settings": {
            "workers": args.workers,
            "worker_class": args.worker_class,
            "clients": args.clients,
            "max_requests": args.requests,
            "max_seconds": args.seconds,
            "inprocess_rounds": args.rounds,
            "wait_idle_s": args.wait_idle,
            "idle_threshold_pct": args.idle_threshold,
            "retries": args.retries,
            "db_conn_max_age": args.conn_max_age,  # None: the application's default
        },
        "databases": {},
        "query_sizes": {},
    }
    if "postgres" in urls:
        results["machine"]["postgresql"] = postgres_version(urls["postgres"])

    results["settings_module"] = SETTINGS_MODULE
    collectstatic(next(iter(urls.values())))

    for label, url in urls.items():
        env = base_env(url, args.conn_max_age)
        log(f"{label}: data set ({args.places} places, {args.people} people)")
        seconds = generate(url, places=args.places, people=args.people, seed=args.seed, env=env)
        check_migrated(url, env)
        db: dict[str, Any] = {"url": url, "generate_or_reuse_s": round(seconds, 1)}
        log(f"{label}: server time and query counts, in-process")
        for attempt in range(1, args.retries + 2):
            db["inprocess_background_cpu_pct"] = background(args)
            meter = CpuMeter(None)
            measured = inprocess(
                env, RESULTS_DIR / f"inprocess-{label}.json", rounds=args.rounds, queries_only=False
            )
            others = meter.others_pct()
            if "inprocess" not in db or others < db["inprocess_others_cpu_pct"]:
                db["inprocess"], db["inprocess_others_cpu_pct"] = measured, others
                db["inprocess_attempt"] = attempt
            if others <= args.idle_threshold:
                break
            log(f"{label}: other processes took {others:.0f}% of the CPU, measuring again")
        results["query_sizes"][f"{label} {args.places}"] = db["inprocess"]["queries"]
        if not args.skip_http:
            log(f"{label}: gunicorn, {args.workers} {args.worker_class} workers, load")
            db["http"] = http_bench(env, db["inprocess"], args, label)
        results["databases"][label] = db

    small_url = f"sqlite:///{RESULTS_DIR / f'tiers-bench-{args.small_places}.sqlite3'}"
    env = base_env(small_url, args.conn_max_age)
    log(f"sqlite small: {args.small_places} places, query counts")
    generate(
        small_url,
        places=args.small_places,
        people=max(10, args.small_places * 5 // 2),
        seed=args.seed,
        env=env,
    )
    check_migrated(small_url, env)
    small = inprocess(env, RESULTS_DIR / "inprocess-small.json", rounds=5, queries_only=True)
    results["query_sizes"] = {
        f"sqlite {args.small_places}": small["queries"],
        **results["query_sizes"],
    }

    text = report(results)
    print(text)
    suffix = f"-{args.label}" if args.label else ""
    out = RESULTS_DIR / f"bench-{stamp}{suffix}.json"
    body = json.dumps(results, indent=2, ensure_ascii=False, default=str)
    out.write_text(body, encoding="utf-8")
    (RESULTS_DIR / f"latest{suffix}.json").write_text(body, encoding="utf-8")
    (RESULTS_DIR / f"bench-{stamp}{suffix}.txt").write_text(text + "\n", encoding="utf-8")
    log(f"results written to {out.relative_to(REPO_DIR)} (and latest{suffix}.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

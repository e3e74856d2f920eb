"""Anonymous page views of the commons through gunicorn: throughput and latency.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tiers_bench_commons \\
        .venv/bin/python bench/commons_load.py --clients 32 --out /tmp/commons-load.json

Runs on a database made by `commons_generate.py`. It draws `--sample` pages (seeded) and
renders their HTML first (`services.page_html`, what their first view does), starts gunicorn
(`tiers.wsgi:application`, the application's settings with DEBUG=false, as `run.py` does;
`--workers 4` sync workers by default, the command of docs/deploying.md) on a free loopback
port, warms every worker up, then runs each scenario for `--seconds` with `--clients`
threads, each with its own keep-alive `http.client` connection (`load.py`; a sync worker
closes the connection after each answer and the client reconnects, which is part of the
latency):

- **page**: `GET /communs/pages/<slug>/`, the sampled pages in a shuffled order (anonymous,
  the rendered HTML cached in the page's row);
- **search**: `GET /communs/recherche?q=...`, the French queries of `commons_run.py` in turn.

Requests/s, p50/p95/p99 latency, the errors (any answer but 200, any transport error) and
the CPU taken by other processes meanwhile (`--wait-idle`, `--retries` as in `run.py`). Any
error makes the run fail (exit code 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(BENCH_DIR))

from commons_run import QUERIES  # noqa: E402
from load import run_load, wait_until_up  # noqa: E402

HOST = "127.0.0.1"
MAX_REQUESTS = 1_000_000  # the scenarios are bounded by --seconds


def sample_pages(count: int, seed: int) -> tuple[list[str], float]:
    """`count` random pages, their HTML rendered (as after a first view); (slugs, seconds)."""
    from tiers.commons import services
    from tiers.commons.models import Page

    ids = list(Page.objects.order_by("pk").values_list("pk", flat=True))
    picked = random.Random(seed).sample(ids, min(count, len(ids)))
    started = time.perf_counter()
    slugs = []
    for chunk_start in range(0, len(picked), 500):
        chunk = picked[chunk_start : chunk_start + 500]
        for page in Page.objects.filter(pk__in=chunk):
            services.page_html(page)
            slugs.append(page.slug)
    random.Random(seed + 1).shuffle(slugs)
    return slugs, time.perf_counter() - started


def text_report(results: dict[str, Any]) -> str:
    threads = f" x {results['threads']} threads" if results["worker_class"] == "gthread" else ""
    lines = [
        f"gunicorn {results['workers']} {results['worker_class']} workers{threads}, "
        f"{results['clients']} clients, {results['pages']} pages in the database, "
        f"{results['sample_size']} pages viewed (HTML rendered beforehand in "
        f"{results['render_s']} s)",
        f"{'scenario':9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'requests':>8} {'errors':>6} {'KiB':>5} {'others CPU':>10}",
    ]
    for name, s in results["scenarios"].items():
        lines.append(
            f"{name:9} {s['req_per_s']:7.1f} {s['p50_ms']:7.1f} {s['p95_ms']:7.1f} "
            f"{s['p99_ms']:7.1f} {s['requests']:8} {s['errors']:6} "
            f"{s['mean_bytes'] / 1024:5.0f} {s['others_cpu_pct']:9.0f}%"
        )
    lines.append("OK" if results["ok"] else "FAILED: " + "; ".join(results["failures"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0, help="per scenario")
    parser.add_argument("--sample", type=int, default=2000, help="pages viewed")
    parser.add_argument("--scenarios", default="page,search")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=8, help="per worker (gthread)")
    parser.add_argument("--port", type=int, default=8180)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--wait-idle", type=float, default=0.0)
    parser.add_argument("--idle-threshold", type=float, default=25.0)
    parser.add_argument("--retries", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    from run import SECRET_KEY, Server, base_env, free_port, machine, measure_scenario, memory_kib

    url = os.environ.get("DATABASE_URL", "")
    if "bench" not in url:
        print("Set DATABASE_URL to a commons bench database (its name contains 'bench').")
        return 2
    env = base_env(url, None)
    if os.environ.get("SECRET_KEY") and os.environ["SECRET_KEY"] != SECRET_KEY:
        env["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if args.worker_class == "gthread":
        env["GUNICORN_CMD_ARGS"] = f"--threads {args.threads}"
    os.environ.update({k: v for k, v in env.items() if k != "GUNICORN_CMD_ARGS"})
    import django

    django.setup()
    from django.db import connections

    from tiers.commons.models import Page

    pages = Page.objects.count()
    slugs, render_s = sample_pages(args.sample, args.seed)
    connections.close_all()

    def page_path(i: int) -> str:
        return f"/communs/pages/{slugs[i % len(slugs)]}/"

    def search_path(i: int) -> str:
        return "/communs/recherche?" + urlencode({"q": QUERIES[i % len(QUERIES)]})

    paths = {"page": page_path, "search": search_path}
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in paths]
    if unknown:
        parser.error(f"unknown scenarios {unknown}: {list(paths)}")

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port(args.port)
    log_path = RESULTS_DIR / "gunicorn-commons.log"
    server = Server(env, port, args.workers, args.worker_class, log_path)
    in_flight = args.workers * (args.threads if args.worker_class == "gthread" else 1)
    scenarios: dict[str, Any] = {}
    failures: list[str] = []
    rss: dict[int, Any] = {}
    try:
        if not wait_until_up(HOST, port, seconds=60):
            raise SystemExit(f"gunicorn did not answer on {HOST}:{port}; see {log_path}")
        for name in chosen:  # every worker: imports, templates, connections
            warm = run_load(
                host=HOST, port=port, path=paths[name], clients=in_flight,
                max_requests=8 * in_flight, max_seconds=120,
            )  # fmt: skip
            if warm.errors:
                raise SystemExit(f"warm-up of {name} failed: {warm.first_error}")
        for name in chosen:
            summary = measure_scenario(args, server, paths[name], args.clients, MAX_REQUESTS, {})
            scenarios[name] = summary
            print(
                f"  {name:8} c={args.clients} {summary['req_per_s']:7.1f} req/s  "
                f"p50 {summary['p50_ms']:7.1f}  p95 {summary['p95_ms']:7.1f}  "
                f"p99 {summary['p99_ms']:7.1f} ms  errors {summary['errors']}  (other "
                f"processes: {summary['others_cpu_pct']:.0f}% of the CPU, attempt "
                f"{summary['attempt']})",
                flush=True,
            )
            if summary["errors"]:
                failures.append(f"{name}: {summary['errors']} errors, {summary['first_error']}")
        rss = {pid: memory_kib(pid) for pid in server.workers()}
    finally:
        server.stop()

    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "database": connections["default"].vendor,
        "pages": pages,
        "sample_size": len(slugs),
        "sample": slugs[:20] + (["..."] if len(slugs) > 20 else []),
        "render_s": round(render_s, 1),
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.threads if args.worker_class == "gthread" else 1,
        "scenarios": scenarios,
        "rss_after_kib": rss,
        "failures": failures,
        "ok": not failures and bool(scenarios),
    }
    results["text"] = text_report(results)
    print(results["text"])
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str), "utf-8")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""Events benchmarks (issue 4): `.venv/bin/python bench/events_run.py --help`.

For each database (SQLite, PostgreSQL) and each size (5,000 and 20,000 events in the same
festival of 3,000 places, see `events_generate.py`):
1. generate the network, its festival and its events, or reuse them;
2. server time and query counts, in-process (Django's test client, no network, no web
   server), for an anonymous visitor: the festival's programme page (first page, and
   filtered by kind and audience), its iCalendar feed (and RSS/Atom), the event list API by
   festival and by a window of dates, an event page (random ones), the public event list.
   The query count of each is recorded at both sizes: it must not grow with the events.
Then, at the largest size, on PostgreSQL (and SQLite with `--load-on postgres,sqlite`), the
HTTP load of `events_load.py`: registrations by 50 clients through gunicorn on one popular
event, and the check that no seat was given twice.

The application runs with its own settings in production mode (DEBUG=false), as in `run.py`,
whose helpers (server environment, collectstatic, CPU meter) are reused. Results go to
`bench/results/events-<time>.json` and `.txt`; the PostgreSQL database `tiers_bench_ev` is
dropped at the end unless `--keep-db`.

`--measure` is the in-process part alone, against DATABASE_URL (run with run.py's
environment; see bench/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import gc
import json
import os
import pstats
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(BENCH_DIR))

from events_generate import FESTIVAL_SLUG, LOAD_PREFIX, next_monday  # noqa: E402
from inprocess import percentile, summary  # noqa: E402

HOST = "127.0.0.1"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/tiers_bench_ev"
TARGET_P95_MS = 100.0
# The festival programme filtered by kind and audience (the festival page's own filters).
FESTIVAL_FILTER = "kind=atelier&audience=familles"
TARGETED = {
    "festival_page",
    "festival_page_cold",
    "festival_filtered",
    "festival_ics",
    "festival_ics_cold",
    "api_events_festival",
    "api_events_window",
    "event_page",
}


@dataclass
class Target:
    """One URL; `path` is called with the request number (random event pages)."""

    name: str
    what: str
    path: Callable[[int], str]
    client: Any = None
    expected: int = 200
    rounds: int = 0  # 0: --rounds
    varying: bool = False  # count queries over several paths (min-max)
    info: dict[str, Any] = field(default_factory=dict)
    # run before each request, outside the timing (clearing the cache for a cold target)
    prepare: Callable[[], None] | None = None

    def run(self, i: int = 0, *, prepared: bool = False) -> tuple[int, int]:
        if self.prepare is not None and not prepared:
            self.prepare()
        response = self.client.get(self.path(i))
        return response.status_code, len(response.content)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiers.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tiers.events.models import Event, Festival, Registration
    from tiers.places.models import Place

    # What an earlier load test added (its events and their registrations): not the data set.
    Event.objects.filter(slug__startswith=LOAD_PREFIX).delete()
    festival = Festival.objects.get(slug=FESTIVAL_SLUG)
    events = Event.objects.filter(festival=festival)
    listed = events.listed().filter(festival_state=Event.FestivalState.ACCEPTED)
    published = list(
        events.filter(status=Event.Status.PUBLISHED).order_by("pk").values_list("slug", flat=True)
    )
    slugs = random.Random(args.seed).sample(published, min(200, len(published)))
    tz = dt.timezone(dt.timedelta(hours=1))
    day = festival.start_date + dt.timedelta(days=2)
    window_start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    window_end = window_start + dt.timedelta(days=1)
    in_window = events.listed().filter(start__gte=window_start, start__lt=window_end).count()

    def iso(moment: dt.datetime) -> str:
        return quote(moment.isoformat(), safe="")

    # A 500 is recorded as an error of the target, not raised.
    client = Client(HTTP_HOST=HOST, raise_request_exception=False)
    # As `tiers/wsgi.py` does in each server process.
    gc.collect()
    gc.freeze()

    def fixed(path: str) -> Callable[[int], str]:
        return lambda _i: path

    festival_url = reverse("events:festival", args=[festival.slug])
    ics_url = reverse("events:festival_ics", args=[festival.slug])
    api = "/api/v1/events"
    found = [
        Target("festival_page", "festival programme page, first page", fixed(festival_url)),
        Target(
            "festival_page_cold",
            "festival programme page, first page, empty cache",
            fixed(festival_url),
            prepare=cache.clear,
        ),
        Target(
            "festival_filtered",
            f"festival programme page, ?{FESTIVAL_FILTER}",
            fixed(f"{festival_url}?{FESTIVAL_FILTER}"),
        ),
        Target("festival_ics", "festival iCalendar feed (cached)", fixed(ics_url)),
        Target(
            "festival_ics_cold",
            "festival iCalendar feed, empty cache",
            fixed(ics_url),
            prepare=cache.clear,
        ),
        Target(
            "festival_rss",
            "festival RSS feed",
            fixed(reverse("events:festival_rss", args=[festival.slug])),
        ),
        Target(
            "festival_atom",
            "festival Atom feed",
            fixed(reverse("events:festival_atom", args=[festival.slug])),
        ),
        Target(
            "api_events_festival",
            "API event list, ?festival=",
            fixed(f"{api}?festival={festival.slug}"),
        ),
        Target(
            "api_events_window",
            "API event list, ?start=&end= (one day)",
            fixed(f"{api}?start={iso(window_start)}&end={iso(window_end)}"),
            info={"events_in_window": in_window},
        ),
        Target(
            "event_page",
            "event page, random",
            lambda i: reverse("events:detail", args=[slugs[i % len(slugs)]]),
            varying=True,
        ),
        Target("events_list", "public event list, first page", fixed(reverse("events:list"))),
    ]
    for target in found:
        target.client = client

    if args.profile:
        chosen = [t for t in found if t.name == args.profile]
        if not chosen:
            raise SystemExit(f"Unknown target {args.profile!r}: {[t.name for t in found]}")
        for i in range(3):
            chosen[0].run(i)
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(max(5, args.rounds // 2)):
            chosen[0].run(i)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs().sort_stats("cumulative")
        stats.print_stats(30)
        return {}

    results: dict[str, Any] = {
        "code_digest": code_digest(),
        "database": connection.vendor,
        "debug": settings.DEBUG,
        "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
        "places": Place.objects.count(),
        "festival": {
            "slug": festival.slug,
            "start": festival.start_date.isoformat(),
            "end": festival.end_date.isoformat(),
            "events": events.count(),
            "listed_accepted": listed.count(),
            "places_with_events": listed.values("place").distinct().count(),
        },
        "events_total": Event.objects.count(),
        "registrations_total": Registration.objects.count(),
        "targets": {},
    }
    for target in found:
        entry: dict[str, Any] = {"what": target.what, "path": target.path(0), **target.info}
        results["targets"][target.name] = entry
        status, _size = target.run()  # warm: imports, templates
        if status != target.expected:
            entry["error"] = f"HTTP {status}"
            print(f"{target.name}: HTTP {status}, not measured", file=sys.stderr)
            continue
        counts = []
        for i in range(10 if target.varying else 3):
            with CaptureQueriesContext(connection) as ctx:
                target.run(i)
            counts.append(len(ctx.captured_queries))
        entry["queries"] = max(counts)
        entry["queries_min"] = min(counts)
        for i in range(3):
            target.run(i)
        samples, cpu, sizes, statuses = [], [], [], set()
        for i in range(target.rounds or args.rounds):
            if target.prepare is not None:
                target.prepare()
            started, started_cpu = time.perf_counter(), time.process_time()
            status, size = target.run(i, prepared=True)
            close_old_connections()  # the end of a request, as the server handles it
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            sizes.append(size)
            statuses.add(status)
        entry.update(summary(samples))
        entry["cpu_p50_ms"] = round(percentile(cpu, 50), 2)
        entry["bytes"] = sorted(sizes)[len(sizes) // 2]
        entry["statuses"] = sorted(statuses)
        print(
            f"  {target.name:22} {entry['p50_ms']:7.2f} {entry['p95_ms']:7.2f} "
            f"{entry['p99_ms']:7.2f} ms  {entry['queries_min']}-{entry['queries']} queries  "
            f"{entry['bytes']:8} bytes",
            file=sys.stderr,
        )
    return results


def code_digest() -> str:
    """A short SHA-256 of the code measured (the events app, its templates, its API)."""
    import hashlib

    src = REPO_DIR / "src" / "tiers"
    app = sorted([*(src / "events").rglob("*.py"), *(src / "events").rglob("*.html")])
    digest = hashlib.sha256()
    for path in [*app, src / "api" / "events.py"]:
        if path.is_file() and "migrations" not in path.parts:
            digest.update(str(path.relative_to(src)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# --- orchestration -------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url(db: str, size: int, args: argparse.Namespace) -> str:
    if db == "sqlite":
        return f"sqlite:///{RESULTS_DIR / f'tiers-bench-events-{size}.sqlite3'}"
    return str(args.postgres_url)


def generate(size: int, args: argparse.Namespace, env: dict[str, str]) -> float:
    started = time.perf_counter()
    cmd = [
        sys.executable, str(BENCH_DIR / "events_generate.py"), "--events", str(size),
        "--places", str(args.places), "--seed", str(args.seed), "--anchor", args.anchor,
        "--recreate",
    ]  # fmt: skip
    done = subprocess.run(cmd, env=env, cwd=REPO_DIR, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"events_generate.py failed for {env['DATABASE_URL']}")
    return time.perf_counter() - started


def measure_subprocess(
    env: dict[str, str], out: Path, args: argparse.Namespace
) -> tuple[dict[str, Any], float]:
    """The in-process part in a fresh process; (results, CPU % of other processes)."""
    from run import CpuMeter, background

    best: tuple[dict[str, Any], float] | None = None
    for attempt in range(args.retries + 1):
        background(args)
        meter = CpuMeter(None)
        cmd = [sys.executable, __file__, "--measure", "--out", str(out)]
        cmd += ["--rounds", str(args.rounds), "--seed", str(args.seed)]
        done = subprocess.run(cmd, env=env, cwd=REPO_DIR, timeout=3600, check=False)
        others = meter.others_pct()
        if done.returncode != 0:
            raise SystemExit("the in-process measurement failed")
        measured = json.loads(out.read_text(encoding="utf-8"))
        if best is None or others < best[1]:
            best = (measured, others)
        if others <= args.idle_threshold:
            break
        if attempt < args.retries:
            log(f"other processes took {others:.0f}% of the CPU, measuring again")
        else:
            log(f"other processes took {others:.0f}% of the CPU: figures disturbed")
    assert best is not None
    return best


def fmt(value: Any, width: int = 8) -> str:
    return f"{value:{width}.2f}" if isinstance(value, int | float) else f"{value!s:>{width}}"


def report(results: dict[str, Any]) -> str:
    digests = sorted(
        {m.get("code_digest", "?") for by in results["inprocess"].values() for m in by.values()}
    )
    lines = [
        "",
        f"Tiers events bench {results['started']} · {results['machine']['cores']} cores "
        f"({results['machine']['cpu']}), commit {results['machine']['git_head']}, code "
        + ", ".join(digests),
        "",
        f"Server time, in-process (ms; p95 target < {TARGET_P95_MS:.0f} ms)",
        f"{'database':9} {'events':>6} {'target':22} {'p50':>8} {'p95':>8} {'p99':>8} "
        f"{'queries':>7} {'bytes':>9} {'met':>4} {'others':>6}",
    ]
    for db, by_size in results["inprocess"].items():
        for size, measured in by_size.items():
            for name, st in measured["targets"].items():
                if "error" in st:
                    lines.append(f"{db:9} {size:>6} {name:22} {st['error']}")
                    continue
                met = ("yes" if st["p95_ms"] < TARGET_P95_MS else "NO") if name in TARGETED else ""
                queries = (
                    f"{st['queries_min']}-{st['queries']}"
                    if st["queries_min"] != st["queries"]
                    else str(st["queries"])
                )
                lines.append(
                    f"{db:9} {size:>6} {name:22} {fmt(st['p50_ms'])} {fmt(st['p95_ms'])} "
                    f"{fmt(st['p99_ms'])} {queries:>7} {st['bytes']:9} {met:>4} "
                    f"{measured.get('others_cpu_pct', 0):5.0f}%"
                )
    lines += ["", "Query counts against the size (must not grow)"]
    for db, by_size in results["inprocess"].items():
        sizes = list(by_size)
        names = list(next(iter(by_size.values()))["targets"]) if by_size else []
        for name in names:
            counts = [str(by_size[s]["targets"].get(name, {}).get("queries", "-")) for s in sizes]
            lines.append(f"{db:9} {name:22} " + " → ".join(counts) + f"  ({' → '.join(sizes)})")
        for size in sizes:
            fest = by_size[size]["festival"]
            lines.append(
                f"{db:9} {size:>6} events: {fest['listed_accepted']} in the programme, "
                f"{fest['places_with_events']} places"
            )
    for db, load in results.get("load", {}).items():
        lines += ["", f"Registrations through gunicorn ({db})"]
        lines.append(load.get("text", json.dumps(load)[:2000]))
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Events benchmarks (see bench/README.md).")
    parser.add_argument("--measure", action="store_true", help="in-process part only (internal)")
    parser.add_argument("--out", type=Path, help="--measure: write the JSON here")
    parser.add_argument("--profile", metavar="TARGET", help="--measure: cProfile one target")
    parser.add_argument("--db", choices=["all", "sqlite", "postgres"], default="all")
    parser.add_argument("--postgres-url", default=DEFAULT_PG_URL)
    parser.add_argument("--sizes", default="5000,20000", help="events in the festival")
    parser.add_argument("--places", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--anchor", help="festival's first day (default: the next Monday)")
    parser.add_argument("--rounds", type=int, default=100, help="requests per target")
    parser.add_argument(
        "--load-on", default="postgres", help="databases to load through gunicorn: postgres,sqlite"
    )
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--users", type=int, default=1500, help="load: people registering")
    parser.add_argument("--capacity", type=int, default=600, help="load: the popular event")
    parser.add_argument("--seconds", type=float, default=60.0, help="load: at most, per scenario")
    parser.add_argument("--burst-rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8, help="gunicorn gthread threads")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the PostgreSQL db")
    parser.add_argument("--wait-idle", type=float, default=0.0)
    parser.add_argument("--idle-threshold", type=float, default=25.0)
    parser.add_argument("--retries", type=int, default=0)
    parser.add_argument("--label", default="")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.measure:
        # With the default settings, e-mails built in a request are written to stdout.
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            measured = measure(args)
        if args.profile:
            return 0
        text = json.dumps(measured, indent=2, ensure_ascii=False)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        else:
            print(text)
        return 0

    from bookings_run import drop_postgres
    from run import background, base_env, check_migrated, collectstatic, machine

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    args.anchor = args.anchor or next_monday().isoformat()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    dbs = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    load_on = {d.strip() for d in args.load_on.split(",") if d.strip()}
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "sizes": sizes,
        "places": args.places,
        "seed": args.seed,
        "anchor": args.anchor,
        "rounds": args.rounds,
        "inprocess": {},
        "load": {},
    }
    collectstatic(database_url(dbs[0], sizes[-1], args))
    try:
        for db in dbs:
            results["inprocess"][db] = {}
            for size in sizes:  # the largest last: the load test runs on it
                url = database_url(db, size, args)
                env = base_env(url, None)
                log(f"{db}: {size} events, data set")
                seconds = generate(size, args, env)
                check_migrated(url, env)
                log(f"{db}: {size} events, server time and query counts, in-process")
                measured, others = measure_subprocess(
                    env, RESULTS_DIR / f"events-inprocess-{db}-{size}.json", args
                )
                measured["others_cpu_pct"] = others
                measured["generate_or_reuse_s"] = round(seconds, 1)
                results["inprocess"][db][str(size)] = measured
            if db in load_on and not args.skip_load:
                url = database_url(db, sizes[-1], args)
                out = RESULTS_DIR / f"events-load-{db}.json"
                background(args)
                log(f"{db}: registrations through gunicorn, {args.clients} clients")
                cmd = [
                    sys.executable, str(BENCH_DIR / "events_load.py"), "--out", str(out),
                    "--clients", str(args.clients), "--users", str(args.users),
                    "--capacity", str(args.capacity), "--seconds", str(args.seconds),
                    "--burst-rounds", str(args.burst_rounds), "--workers", str(args.workers),
                    "--threads", str(args.threads),
                ]  # fmt: skip
                done = subprocess.run(
                    cmd, env=base_env(url, None), cwd=REPO_DIR, timeout=3600, check=False
                )
                if out.exists():
                    results["load"][db] = json.loads(out.read_text(encoding="utf-8"))
                    results["load"][db]["exit_code"] = done.returncode
                else:
                    results["load"][db] = {"ok": False, "exit_code": done.returncode}
    finally:
        if "postgres" in dbs and not args.keep_db:
            drop_postgres(str(args.postgres_url))
            log("dropped the PostgreSQL database (--keep-db keeps it)")

    text = report(results)
    print(text)
    suffix = f"-{args.label}" if args.label else ""
    out = RESULTS_DIR / f"events-{stamp}{suffix}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str), "utf-8")
    (RESULTS_DIR / f"events-{stamp}{suffix}.txt").write_text(text + "\n", encoding="utf-8")
    log(f"results written to {out.relative_to(REPO_DIR)}")
    failed = [db for db, load in results["load"].items() if not load.get("ok")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

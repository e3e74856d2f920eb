"""Server time and query counts, measured inside one process with Django's test `Client`.

No network and no web server: the time is what Django spends from the request to the full
response body (middleware, view, queries, template, JSON). `bench/run.py` runs this script
once per database with the environment of the server it benchmarks; it can also be run alone:

    DATABASE_URL=sqlite:///bench/results/tiers-bench-20000.sqlite3 DEBUG=false \\
        SECRET_KEY=bench SECURE_SSL_REDIRECT=false TIERS_VAR_DIR=bench/results/var \\
        .venv/bin/python bench/inprocess.py --out /tmp/inprocess.json

The GeoJSON is measured cold (the application's cache is cleared before each request, as
after any change of the directory) and warm (a cache hit), compressed (`Accept-Encoding:
gzip`, what browsers send) and not, and revalidated (`If-None-Match`, answered 304).

`--profile NAME` runs one URL under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILTER_QUERY = "kind=fablab&q=lyon"
HOST = "127.0.0.1"
GEOJSON = "/api/v1/places.geojson"
GZIP = {"Accept-Encoding": "gzip"}


def clear_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@dataclass
class Target:
    """One URL to measure; `path` is called with the iteration number (random place pages).

    `prepare` runs before each request, outside the timing (e.g. clearing the cache for a
    cold GeoJSON); `headers` are sent with each request."""

    name: str
    path: Callable[[int], str]
    rounds: int
    what: str
    headers: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[], None] | None = None

    def get(self, client: Any, i: int) -> Any:
        if self.prepare is not None:
            self.prepare()
        return client.get(self.path(i), headers=self.headers)


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default method)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(samples_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "p50_ms": round(percentile(samples_ms, 50), 2),
        "p95_ms": round(percentile(samples_ms, 95), 2),
        "p99_ms": round(percentile(samples_ms, 99), 2),
        "mean_ms": round(statistics.fmean(samples_ms), 2) if samples_ms else float("nan"),
        "max_ms": round(max(samples_ms), 2) if samples_ms else float("nan"),
    }


def targets(slugs: list[str], *, api_list: bool, rounds: int, etag: str) -> list[Target]:
    heavy = max(5, rounds // 4)

    def fixed(path: str) -> Callable[[int], str]:
        return lambda _i: path

    found = [
        Target("directory", fixed("/"), rounds, "directory, first page"),
        Target("directory_filtered", fixed(f"/?{FILTER_QUERY}"), rounds, "directory, kind + q"),
        Target(
            "directory_near", fixed("/?town=Lyon&radius_km=20"), rounds, "directory, near a town"
        ),
        Target("directory_open_now", fixed("/?open_now=1"), rounds, "directory, open now"),
        Target("directory_deep", fixed("/?page=300"), rounds, "directory, page 300 (offset)"),
        Target("place", lambda i: f"/lieux/{slugs[i % len(slugs)]}/", rounds, "place page, random"),
    ]
    if api_list:
        found += [
            Target("api_list", fixed("/api/v1/places"), rounds, "API list, first page"),
            Target(
                "api_list_filtered",
                fixed(f"/api/v1/places?{FILTER_QUERY}"),
                rounds,
                "API list, kind + q",
            ),
        ]
    every, fablabs = fixed(GEOJSON), fixed(f"{GEOJSON}?kind=fablab")
    found += [
        Target("geojson_cold", every, heavy, "GeoJSON, all, cold, gzip", GZIP, clear_cache),
        Target("geojson_cold_plain", every, heavy, "GeoJSON, all, cold", {}, clear_cache),
        Target("geojson_warm", every, rounds, "GeoJSON, all, cached, gzip", GZIP),
        Target("geojson_warm_plain", every, rounds, "GeoJSON, all, cached"),
        Target(
            "geojson_revalidate",
            every,
            rounds,
            "GeoJSON, If-None-Match (304)",
            {"If-None-Match": etag},
        ),
        Target(
            "geojson_filtered_cold", fablabs, heavy, "GeoJSON, kind, cold, gzip", GZIP, clear_cache
        ),
        Target("geojson_filtered_warm", fablabs, rounds, "GeoJSON, kind, cached, gzip", GZIP),
    ]
    return found


def geojson_etag(client: Any) -> str:
    response = client.get(GEOJSON, headers=GZIP)
    if response.status_code != 200 or response.get("Content-Encoding") != "gzip":
        raise SystemExit(
            f"{GEOJSON} with Accept-Encoding: gzip answered {response.status_code} "
            f"({response.get('Content-Encoding')!r} encoding)"
        )
    return str(response["ETag"])


def sample_slugs(seed: int, count: int) -> list[str]:
    from tiers.places.models import Place

    slugs = list(Place.objects.order_by("pk").values_list("slug", flat=True))
    return random.Random(seed).sample(slugs, min(count, len(slugs)))


def api_list_present(client: Any) -> bool:
    response = client.get("/api/v1/places")
    return response.status_code == 200 and response["Content-Type"].startswith("application/json")


def time_target(client: Any, target: Target, *, keep_connection: bool) -> dict[str, Any]:
    """Wall and CPU time of each request. Unless `keep_connection`, the end of each request
    is handled as the server handles it (`close_old_connections`, with the configured
    CONN_MAX_AGE: a persistent connection is kept and health-checked at its next use, a
    connection past its age is closed and the next request reconnects)."""
    from django.db import close_old_connections

    def one(i: int) -> Any:
        if target.prepare is not None:  # outside the timing
            target.prepare()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(target.path(i), headers=target.headers)
        body = response.content
        if not keep_connection:
            close_old_connections()
        wall = (time.perf_counter() - started) * 1000
        return response, body, wall, (time.process_time() - started_cpu) * 1000

    for i in range(3):  # warm-up: imports, template loading, caches
        one(i)
    samples, cpu, statuses, sizes, encodings = [], [], set(), [], set()
    for i in range(target.rounds):
        response, body, wall, cpu_ms = one(i)
        samples.append(wall)
        cpu.append(cpu_ms)
        statuses.add(response.status_code)
        sizes.append(len(body))
        encodings.add(response.get("Content-Encoding") or "identity")
    return {
        **summary(samples),
        "cpu_p50_ms": round(percentile(cpu, 50), 2),
        "statuses": sorted(statuses),
        "bytes": int(statistics.median(sizes)),
        "encodings": sorted(encodings),
    }


def count_queries(client: Any, target: Target, samples: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts, db_ms = [], []
    slowest: list[tuple[float, str]] = []
    target.get(client, 0)  # the steady state: a warm cache is filled, lazy loads done
    for i in range(samples):
        if target.prepare is not None:
            target.prepare()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(target.path(i), headers=target.headers)
        if response.status_code not in (200, 304):
            return {"error": f"HTTP {response.status_code}"}
        counts.append(len(ctx.captured_queries))
        times = [(float(q["time"]) * 1000, q["sql"]) for q in ctx.captured_queries]
        db_ms.append(sum(t for t, _ in times))
        slowest.extend(times)
    slowest.sort(key=lambda item: -item[0])
    return {
        "queries_min": min(counts),
        "queries_max": max(counts),
        "db_ms_median": round(statistics.median(db_ms), 2),
        "slowest": [{"ms": round(ms, 2), "sql": sql[:400]} for ms, sql in slowest[:3]],
    }


def explain(client: Any, target: Target) -> None:
    """Each query of one request, its time, and the database's plan for it.

    PostgreSQL: EXPLAIN (ANALYZE, BUFFERS), which runs the query again; SQLite: EXPLAIN QUERY
    PLAN (SQLite has no ANALYZE variant of EXPLAIN).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    target.get(client, 0)
    if target.prepare is not None:
        target.prepare()
    with CaptureQueriesContext(connection) as ctx:
        client.get(target.path(0), headers=target.headers)
    for number, query in enumerate(ctx.captured_queries, 1):
        sql = query["sql"]
        print(f"--- query {number}: {float(query['time']) * 1000:.1f} ms")
        print(sql)
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        prefix = (
            "EXPLAIN (ANALYZE, BUFFERS) "
            if connection.vendor == "postgresql"
            else "EXPLAIN QUERY PLAN "
        )
        with connection.cursor() as cursor:
            # The captured SQL has its parameters inlined, as the database received them.
            cursor.execute(prefix + sql)
            for row in cursor.fetchall():
                print("    " + " | ".join(str(col) for col in row))


def profile(client: Any, target: Target, rounds: int) -> None:
    for i in range(3):
        target.get(client, i)
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(rounds):
        target.get(client, i)  # a cold target's cache clearing is profiled too (it is small)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
    print(f"--- cProfile of {target.name} ({rounds} requests), by cumulative time ---")
    stats.print_stats(30)
    print("--- by own time ---")
    stats.sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Server time and query counts (in-process).")
    parser.add_argument("--out", type=Path, help="write the JSON results here")
    parser.add_argument("--rounds", type=int, default=60, help="requests per URL (GeoJSON: /4)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--slugs", type=int, default=200, help="random place pages to draw")
    parser.add_argument("--queries-only", action="store_true")
    parser.add_argument("--profile", metavar="NAME", help="cProfile one target, e.g. directory")
    parser.add_argument(
        "--explain", metavar="NAME", help="print each query of one target with its plan"
    )
    parser.add_argument(
        "--keep-connection",
        action="store_true",
        help="never close the database connection between requests, whatever its age",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiers.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from tiers.places.models import Place

    client = Client(HTTP_HOST=HOST)
    slugs = sample_slugs(args.seed, args.slugs)
    has_api_list = api_list_present(client)
    found = targets(slugs, api_list=has_api_list, rounds=args.rounds, etag=geojson_etag(client))

    if args.explain:
        chosen = [t for t in found if t.name == args.explain]
        if not chosen:
            print(f"Unknown target {args.explain!r}: {[t.name for t in found]}", file=sys.stderr)
            return 2
        explain(client, chosen[0])
        return 0
    if args.profile:
        chosen = [t for t in found if t.name == args.profile]
        if not chosen:
            print(f"Unknown target {args.profile!r}: {[t.name for t in found]}", file=sys.stderr)
            return 2
        profile(client, chosen[0], max(5, args.rounds // 2))
        return 0

    results: dict[str, Any] = {
        "database": connection.vendor,
        "places": Place.objects.count(),
        "debug": settings.DEBUG,
        "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
        "conn_health_checks": settings.DATABASES["default"]["CONN_HEALTH_CHECKS"],
        "cache_backend": settings.CACHES["default"]["BACKEND"],
        "api_list_present": has_api_list,
        "slugs": slugs,
        "targets": {
            t.name: {"path": t.path(0), "what": t.what, "headers": t.headers} for t in found
        },
        "queries": {},
        "server_time": {},
    }
    for target in found:
        samples = 10 if target.name == "place" else 2
        results["queries"][target.name] = count_queries(client, target, samples)
    if not args.queries_only:
        for target in found:
            results["server_time"][target.name] = time_target(
                client, target, keep_connection=args.keep_connection
            )
    text = json.dumps(results, indent=2, ensure_ascii=False)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

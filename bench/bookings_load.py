"""Booking creation through gunicorn: throughput, latency, and "never booked twice" after.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tiers_bench_bookings \\
        .venv/bin/python bench/bookings_load.py --clients 32 --seconds 20 --out /tmp/load.json

Runs on a database made by `bookings_generate.py` (the place and its 200,000 bookings stay
in the table: the index and the exclusion constraint are those of a busy place). It adds to
that place, afresh at each run, resources named `load-...` and `clients` members, each with
their own API token (`ApiToken.issue`), starts gunicorn (`tiers.wsgi:application`, the
application's settings with DEBUG=false, as `run.py` does; `gthread` workers, so that
workers x threads requests are in the application at once) on a free loopback port, and
runs two scenarios, each for `--seconds`:

- **contention**: rounds in which every client sends its `POST /api/v1/bookings` at the same
  moment (a barrier), half of them at a 5-seat pool, the other half at 4 desks (4 clients per
  desk), each asking one of four overlapping ranges that share a common half hour. Exactly
  the capacity must win in every round: 5 on the pool, 1 per desk; the others get 409.
- **throughput**: every client books the next free (desk, day, hour) of 16 other desks: all
  distinct, so every answer should be 201; bookings/s and latency.

Afterwards, with SQL over the whole booking table: no two active bookings of an exclusive
resource overlap, no resource is above its capacity at any instant, each contention round has
exactly its capacity of winners, the rows written are exactly the 201 answers (each with
its history entry). Any 5xx, any answer other than 201/409, or any of these checks failing
makes the run fail (exit code 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(BENCH_DIR))

from bookings_generate import (  # noqa: E402
    EMAIL_DOMAIN,
    LOAD_PREFIX,
    PARIS,
    PLACE_SLUG,
    place_closed,
)
from inprocess import percentile  # noqa: E402

HOST = "127.0.0.1"
POOL_SEATS = 5
CONTENTION_DESKS = 4
THROUGHPUT_DESKS = 16
LOAD_EMAIL = "load.{}@" + EMAIL_DOMAIN
# Four ranges (minutes from the round's start) that all contain [30, 60): any two overlap.
OVERLAPPING = [(0, 60), (30, 90), (0, 120), (30, 60)]
ROUND_HOURS = [8, 10, 12, 14, 16, 18]  # a contention round lasts at most 2 h


# --- set-up and checks (Django, in this process) -------------------------------------------


@dataclass
class Setup:
    pool: int
    contention_desks: list[int]
    throughput_desks: list[int]
    tokens: list[str]
    users: list[int]


def setup(clients: int) -> Setup:
    """Fresh load resources and members (those of an earlier run are deleted first)."""
    from django.db import transaction

    from tiers.accounts.models import ApiToken, User
    from tiers.bookings.models import Resource
    from tiers.places.models import Membership, Place

    place = Place.objects.get(slug=PLACE_SLUG)
    with transaction.atomic():
        Resource.objects.filter(place=place, slug__startswith=LOAD_PREFIX).delete()
        User.objects.filter(email__startswith="load.", email__endswith=f"@{EMAIL_DOMAIN}").delete()

        def resource(slug: str, name: str, capacity: int, kind: str) -> int:
            return Resource.objects.create(
                place=place, slug=slug, name=name, capacity=capacity, kind=kind,
                granularity_minutes=30, min_duration_minutes=30, max_days_ahead=3 * 366,
            ).pk  # fmt: skip

        pool = resource(f"{LOAD_PREFIX}pool", "Load pool", POOL_SEATS, "desk_pool")
        contention = [
            resource(f"{LOAD_PREFIX}desk-{i}", f"Load desk {i}", 1, "desk")
            for i in range(1, CONTENTION_DESKS + 1)
        ]
        throughput = [
            resource(f"{LOAD_PREFIX}free-{i:02d}", f"Load free desk {i:02d}", 1, "desk")
            for i in range(1, THROUGHPUT_DESKS + 1)
        ]
        users, tokens = [], []
        for i in range(clients):
            user = User.objects.create_user(
                email=LOAD_EMAIL.format(i), password=None, display_name=f"Load client {i}"
            )
            Membership.objects.create(
                place=place, user=user, status=Membership.Status.RESIDENT,
                state=Membership.State.ACTIVE,
            )  # fmt: skip
            _token, raw = ApiToken.issue(user=user, name="bench load")
            users.append(user.pk)
            tokens.append(raw)
    return Setup(pool, contention, throughput, tokens, users)


def open_days(first: dt.date) -> Iterator[dt.date]:
    """Days the place is open (weekdays, not a holiday), from `first` on."""
    for offset in itertools.count():
        day = first + dt.timedelta(days=offset)
        if not place_closed(day):
            yield day


def at(day: dt.date, hour: int, minutes: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS) + dt.timedelta(minutes=minutes)


SWEEP_SQL = """
WITH active AS (
    SELECT resource_id, start, "end", units FROM bookings_booking
    WHERE status IN ('pending', 'confirmed')
), events AS (
    SELECT resource_id, start AS moment, units AS delta FROM active
    UNION ALL
    SELECT resource_id, "end" AS moment, -units AS delta FROM active
), running AS (
    SELECT resource_id, moment,
           SUM(delta) OVER (PARTITION BY resource_id ORDER BY moment, delta
                            ROWS UNBOUNDED PRECEDING) AS used
    FROM events
)
SELECT r.id, r.capacity, MAX(running.used)
FROM running JOIN bookings_resource r ON r.id = running.resource_id
GROUP BY r.id, r.capacity
HAVING MAX(running.used) > r.capacity
"""
# For each active booking of an exclusive resource, the latest end among the earlier ones:
# beyond its start, the two overlap.
OVERLAP_SQL = """
SELECT COUNT(*) FROM (
    SELECT b.start,
           MAX(b."end") OVER (PARTITION BY b.resource_id ORDER BY b.start, b.id
                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_end
    FROM bookings_booking b JOIN bookings_resource r ON r.id = b.resource_id
    WHERE r.capacity = 1 AND b.status IN ('pending', 'confirmed')
) AS ordered
WHERE before_end > start
"""


def check(prepared: Setup, runs: dict[str, ScenarioResult]) -> dict[str, Any]:
    """After the load, from the rows: nothing booked twice, exactly the winners written."""
    from django.db import connection
    from django.db.models import Count

    from tiers.bookings.models import Booking, BookingLog

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(OVERLAP_SQL)
        row = cursor.fetchone()
        overlaps = int(row[0]) if row else 0
        cursor.execute(SWEEP_SQL)
        over_capacity = [list(r) for r in cursor.fetchall()]
    sql_ms = round((time.perf_counter() - started) * 1000)
    load_ids = [prepared.pool, *prepared.contention_desks, *prepared.throughput_desks]
    written = Booking.objects.filter(resource_id__in=load_ids)
    created = sum(run.statuses.get(201, 0) for run in runs.values())
    logged = BookingLog.objects.filter(booking__in=written).count()
    rows = written.count()
    inactive = written.exclude(status__in=Booking.ACTIVE).count()

    contention = runs.get("contention")
    wrong_rounds: list[dict[str, Any]] = []
    if contention is not None:
        winners: dict[tuple[int, dt.datetime], int] = {}
        per_round = (
            written.filter(resource_id__in=[prepared.pool, *prepared.contention_desks])
            .values("resource_id", "start")
            .annotate(n=Count("id"))
        )
        for entry in per_round:
            winners[(entry["resource_id"], entry["start"])] = entry["n"]
        round_wins: dict[tuple[int, dt.datetime], int] = {}
        for resource_id, round_start in contention.rounds_fired:
            # a booking of the round starts at the round's start or 30 minutes after
            n = sum(
                winners.get((resource_id, round_start + dt.timedelta(minutes=m)), 0)
                for m in (0, 30)
            )
            round_wins[(resource_id, round_start)] = n
        for (resource_id, round_start), n in round_wins.items():
            expected = POOL_SEATS if resource_id == prepared.pool else 1
            if n != expected:
                wrong_rounds.append(
                    {"resource": resource_id, "start": round_start.isoformat(), "winners": n}
                )
    failures = []
    if overlaps:
        failures.append(f"{overlaps} active bookings overlap another on an exclusive resource")
    if over_capacity:
        failures.append(f"resources above their capacity: {over_capacity[:5]}")
    if rows != created:
        failures.append(f"{rows} bookings written for {created} answers 201")
    if inactive:
        failures.append(f"{inactive} written bookings are not active")
    if logged != rows:
        failures.append(f"{logged} history entries for {rows} bookings")
    if wrong_rounds:
        failures.append(f"{len(wrong_rounds)} contention rounds without exactly the capacity won")
    return {
        "exclusive_overlaps": overlaps,
        "resources_over_capacity": over_capacity,
        "rows_written": rows,
        "answers_201": created,
        "history_entries": logged,
        "contention_rounds_checked": len(contention.rounds_fired) if contention else 0,
        "contention_rounds_wrong": wrong_rounds[:10],
        "bookings_in_table": Booking.objects.count(),
        "check_sql_ms": sql_ms,
        "failures": failures,
    }


# --- the load (standard library only) ------------------------------------------------------


@dataclass
class ScenarioResult:
    name: str
    clients: int
    latencies_ms: dict[int, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rounds: int = 0
    rounds_fired: list[tuple[int, dt.datetime]] = field(default_factory=list)

    def record(self, status: int, ms: float, code: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies_ms.setdefault(status, []).append(ms)
        if code:
            self.codes[code] = self.codes.get(code, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        every = [ms for values in self.latencies_ms.values() for ms in values]
        created = self.statuses.get(201, 0)
        out: dict[str, Any] = {
            "clients": self.clients,
            "requests": len(every),
            "seconds": round(self.seconds, 2),
            "bookings_per_s": round(created / self.seconds, 1) if self.seconds else 0.0,
            "requests_per_s": round(len(every) / self.seconds, 1) if self.seconds else 0.0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "codes_409": dict(sorted(self.codes.items())),
            "transport_errors": len(self.errors),
            "first_errors": self.errors[:5],
        }
        for label, values in [("all", every), *[(str(s), v) for s, v in self.latencies_ms.items()]]:
            out[f"latency_{label}"] = {
                "p50_ms": round(percentile(values, 50), 1),
                "p95_ms": round(percentile(values, 95), 1),
                "p99_ms": round(percentile(values, 99), 1),
                "max_ms": round(max(values), 1) if values else float("nan"),
            }
        if self.rounds:
            out["rounds"] = self.rounds
        return out


def post(
    conn: http.client.HTTPConnection, token: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    conn.request(
        "POST",
        "/api/v1/bookings",
        body=json.dumps(body),
        headers={
            "Host": HOST,
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept-Language": "en",
        },
    )
    response = conn.getresponse()
    raw = response.read()
    if response.will_close:
        conn.close()  # the next request() reconnects
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {"unparsed": raw[:200].decode("utf-8", "replace")}
    return response.status, data if isinstance(data, dict) else {}


def run_clients(
    port: int,
    tokens: list[str],
    result: ScenarioResult,
    next_request: Callable[[int], dict[str, Any] | None],
    *,
    barrier: threading.Barrier | None = None,
    stop: Callable[[], bool],
    timeout: float = 60.0,
) -> None:
    """One thread per client, each with its own keep-alive connection and token.
    `next_request(client)` gives the body to send, or None to stop."""
    lock = threading.Lock()
    started = time.perf_counter()
    last_done = [started]

    def client(number: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        try:
            while True:
                if barrier is not None:
                    try:
                        barrier.wait()
                    except threading.BrokenBarrierError:
                        return
                if stop():
                    return
                body = next_request(number)
                if body is None:
                    return
                sent = time.perf_counter()
                try:
                    status, data = post(conn, tokens[number], body)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    with lock:
                        result.errors.append(repr(exc))
                    if barrier is not None:
                        barrier.abort()
                    return
                done = time.perf_counter()
                with lock:
                    code = str(data.get("code", "")) if status != 201 else ""
                    result.record(status, (done - sent) * 1000, code)
                    if status >= 500 or status not in (201, 409):
                        result.errors.append(f"HTTP {status}: {json.dumps(data)[:300]}")
                    last_done[0] = max(last_done[0], done)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = last_done[0] - started


def contention(
    port: int, prepared: Setup, days: Iterator[dt.date], seconds: float, max_rounds: int
) -> ScenarioResult:
    clients = len(prepared.tokens)
    result = ScenarioResult("contention", clients)
    slots = ((day, hour) for day in days for hour in ROUND_HOURS)
    state: dict[str, Any] = {"stop": False, "slot": None}
    deadline = time.perf_counter() + seconds

    def next_round() -> None:  # run by one thread when all have arrived at the barrier
        if time.perf_counter() > deadline or result.rounds >= max_rounds:
            state["stop"] = True
            return
        state["slot"] = next(slots)
        day, hour = state["slot"]
        result.rounds += 1
        start = at(day, hour)
        result.rounds_fired.append((prepared.pool, start.astimezone(dt.UTC)))
        result.rounds_fired.extend(
            (desk, start.astimezone(dt.UTC)) for desk in prepared.contention_desks
        )

    barrier = threading.Barrier(clients, action=next_round, timeout=120)

    def body(number: int) -> dict[str, Any]:
        day, hour = state["slot"]
        # the first half at the pool, the others spread over the desks
        half = clients // 2
        if number < half:
            resource = prepared.pool
        else:
            desks = prepared.contention_desks
            resource = desks[(number - half) % len(desks)]
        # each resource's clients ask different ones of the overlapping ranges
        share = number if number < half else (number - half) // len(prepared.contention_desks)
        begin, end = OVERLAPPING[share % len(OVERLAPPING)]
        return {
            "resource": resource,
            "start": at(day, hour, begin).isoformat(),
            "end": at(day, hour, end).isoformat(),
            "units": 1,
        }

    run_clients(port, prepared.tokens, result, body, barrier=barrier, stop=lambda: state["stop"])
    return result


def throughput(
    port: int, prepared: Setup, days: Iterator[dt.date], seconds: float
) -> ScenarioResult:
    """Distinct (desk, day, hour) for every request: all should be 201."""
    result = ScenarioResult("throughput", len(prepared.tokens))
    desks = prepared.throughput_desks
    lock = threading.Lock()
    plan = ((day, hour, desk) for day in days for hour in range(8, 20) for desk in desks)
    deadline = time.perf_counter() + seconds

    def body(_number: int) -> dict[str, Any] | None:
        with lock:
            day, hour, desk = next(plan)
        return {
            "resource": desk,
            "start": at(day, hour).isoformat(),
            "end": at(day, hour + 1).isoformat(),
            "units": 1,
        }

    run_clients(port, prepared.tokens, result, body, stop=lambda: time.perf_counter() > deadline)
    return result


def warm_up(port: int, prepared: Setup, requests: int) -> None:
    """Load the application in every worker thread (imports, connections, parsed hours)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        for i in range(requests):
            resource = prepared.throughput_desks[i % len(prepared.throughput_desks)]
            conn.request(
                "GET",
                f"/api/v1/resources/{resource}/availability",
                headers={"Host": HOST, "Authorization": f"Bearer {prepared.tokens[0]}"},
            )
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"warm-up: HTTP {response.status}")
            if response.will_close:
                conn.close()
    finally:
        conn.close()


def text_report(results: dict[str, Any]) -> str:
    lines = [
        f"gunicorn {results['workers']} x {results['threads']} threads "
        f"({results['worker_class']}), TASKS_BACKEND {results['tasks_backend']}, "
        f"{results['clients']} clients, "
        f"{results['bookings_before']} bookings in the table before",
        f"{'scenario':11} {'bookings/s':>10} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'201':>6} {'409':>6} {'other':>5} {'others CPU':>10}",
    ]
    for name, s in results["scenarios"].items():
        other = sum(v for k, v in s["statuses"].items() if k not in ("201", "409"))
        lat = s["latency_all"]
        lines.append(
            f"{name:11} {s['bookings_per_s']:10.1f} {s['requests_per_s']:7.1f} "
            f"{lat['p50_ms']:7.1f} {lat['p95_ms']:7.1f} {lat['p99_ms']:7.1f} "
            f"{s['statuses'].get('201', 0):6} {s['statuses'].get('409', 0):6} {other:5} "
            f"{s.get('others_cpu_pct', 0):9.0f}%"
        )
    c = results["check"]
    lines.append(
        f"after: {c['exclusive_overlaps']} overlaps on exclusive resources, "
        f"{len(c['resources_over_capacity'])} resources over capacity, "
        f"{c['contention_rounds_checked']} contention (resource, round) pairs checked, "
        f"{len(c['contention_rounds_wrong'])} wrong; {c['rows_written']} rows for "
        f"{c['answers_201']} answers 201, {c['history_entries']} history entries "
        f"({c['bookings_in_table']} bookings in the table; check SQL {c['check_sql_ms']} ms)"
    )
    lines.append("OK" if results["ok"] else "FAILED: " + "; ".join(results["failures"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0, help="per scenario")
    parser.add_argument("--max-rounds", type=int, default=2000, help="contention rounds at most")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8, help="per worker (gthread)")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--port", type=int, default=8160)
    parser.add_argument(
        "--tasks-backend",
        choices=["immediate", "database"],
        help="the servers' TASKS_BACKEND (default: the application's, immediate: each "
        "confirmation e-mail is built and sent inside the request, after the commit)",
    )
    parser.add_argument("--scenarios", default="contention,throughput")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.clients // 2 <= POOL_SEATS or args.clients - args.clients // 2 < 2 * CONTENTION_DESKS:
        parser.error("--clients: more than the pool's seats at the pool, 2 per desk: at least 15")

    from run import SECRET_KEY, CpuMeter, Server, base_env, free_port, machine

    url = os.environ.get("DATABASE_URL", "")
    if "bench" not in url:
        print("Set DATABASE_URL to a bookings bench database (its name contains 'bench').")
        return 2
    env = base_env(url, None)
    if os.environ.get("SECRET_KEY") and os.environ["SECRET_KEY"] != SECRET_KEY:
        env["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if args.tasks_backend:
        env["TASKS_BACKEND"] = args.tasks_backend
    if args.worker_class == "gthread":
        env["GUNICORN_CMD_ARGS"] = f"--threads {args.threads}"
    os.environ.update({k: v for k, v in env.items() if k != "GUNICORN_CMD_ARGS"})
    import django

    django.setup()
    from django.db import connections

    from tiers.bookings.models import Booking

    prepared = setup(args.clients)
    bookings_before = Booking.objects.count()
    connections.close_all()

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port(args.port)
    log_path = RESULTS_DIR / "gunicorn-bookings.log"
    server = Server(env, port, args.workers, args.worker_class, log_path)
    from load import wait_until_up

    # slots from tomorrow on (the place's clock): never in the past, never a closed day
    tomorrow = dt.datetime.now(PARIS).date() + dt.timedelta(days=1)
    days = open_days(tomorrow)
    runs: dict[str, ScenarioResult] = {}
    others: dict[str, float] = {}
    try:
        if not wait_until_up(HOST, port, seconds=60):
            raise SystemExit(f"gunicorn did not answer on {HOST}:{port}; see {log_path}")
        warm_up(port, prepared, 4 * args.workers * max(1, args.threads))
        for name in [s.strip() for s in args.scenarios.split(",") if s.strip()]:
            meter = CpuMeter(server.proc.pid)
            if name == "contention":
                runs[name] = contention(port, prepared, days, args.seconds, args.max_rounds)
            elif name == "throughput":
                runs[name] = throughput(port, prepared, days, args.seconds)
            else:
                raise SystemExit(f"unknown scenario {name!r}")
            others[name] = meter.others_pct()
    finally:
        server.stop()

    checked = check(prepared, runs)
    failures = list(checked["failures"])
    scenarios = {}
    for name, run in runs.items():
        scenarios[name] = {**run.as_dict(), "others_cpu_pct": others[name]}
        if run.errors:
            failures.append(f"{name}: {len(run.errors)} errors, first: {run.errors[0]}")
        if name == "throughput" and run.statuses.get(409):
            failures.append(f"throughput: {run.statuses[409]} answers 409 on distinct slots")
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "database": connections["default"].vendor,
        "clients": args.clients,
        "workers": args.workers,
        "threads": args.threads if args.worker_class == "gthread" else 1,
        "worker_class": args.worker_class,
        "tasks_backend": env.get("TASKS_BACKEND", "immediate (default)"),
        "bookings_before": bookings_before,
        "scenarios": scenarios,
        "check": checked,
        "failures": failures,
        "ok": not failures,
    }
    results["text"] = text_report(results)
    print(results["text"])
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str), "utf-8")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

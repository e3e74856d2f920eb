"""Registrations through gunicorn: throughput, latency, and "no seat given twice" after.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tiers_bench_ev \\
        .venv/bin/python bench/events_load.py --clients 50 --out /tmp/events-load.json

Runs on a database made by `events_generate.py` (its 20,000 events and their registrations
stay in the tables). It adds, afresh at each run, events named `bench-load-...` at a place of
the festival and `--users` people, each with their own API token (`ApiToken.issue`'s format),
starts gunicorn (`tiers.wsgi:application`, the application's settings with DEBUG=false, as
`run.py` does; `gthread` workers, so that workers x threads requests are in the application
at once) on a free loopback port, and runs two scenarios, each client a thread with its own
keep-alive connection, every request `POST /api/v1/events/{id}/registrations` with a Bearer
token (a registration with the account: `confirmed`, or `waitlisted` when full):

- **popular**: one event with `--capacity` seats; the clients register the `--users` people
  one after the other as fast as they are answered (every request on the same event row,
  whose lock serialises the seats), until all are registered or `--seconds` have passed.
  Registrations/s and latency.
- **burst**: rounds in which every client sends its registration at the same moment (a
  barrier) for a fresh 10-seat event, as the test of the issue does: exactly 10 confirmed,
  the others waitlisted, in every round.

Afterwards, from the rows: on each load event, the confirmed seats are exactly its capacity
(or every registration, when fewer came), all the others are waitlisted, the rows written are
exactly the 201 answers, each answer's status is the row's. Any 5xx, any answer other than
201, or any failed check makes the run fail (exit code 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
sys.path.insert(0, str(BENCH_DIR))

from events_generate import EMAIL_DOMAIN, FESTIVAL_SLUG, LOAD_PREFIX  # noqa: E402
from inprocess import percentile  # noqa: E402

HOST = "127.0.0.1"
BURST_CAPACITY = 10
LOAD_EMAIL = "load.ev.{}@" + EMAIL_DOMAIN


# --- set-up and checks (Django, in this process) -------------------------------------------


@dataclass
class Setup:
    popular: int
    capacity: int
    bursts: list[int]
    tokens: list[str]
    users: list[int]


def make_event(place: Any, title: str, start: dt.datetime, capacity: int) -> int:
    from tiers.events.models import Event

    return Event.objects.create(
        place=place, title=title, slug=LOAD_PREFIX + title.lower().replace(" ", "-"),
        kind=Event.Kind.FORUM, start=start, end=start + dt.timedelta(hours=3),
        time_zone=place.time_zone, status=Event.Status.PUBLISHED, registration_open=True,
        capacity=capacity, max_seats_per_registration=1, waitlist_enabled=True,
    ).pk  # fmt: skip


def setup(users: int, capacity: int, bursts: int) -> Setup:
    """Fresh load events and people (those of an earlier run are deleted first)."""
    from django.db import transaction

    from tiers.accounts.models import ApiToken, User, hash_token
    from tiers.events.models import Event, Festival

    festival = Festival.objects.select_related("network").get(slug=FESTIVAL_SLUG)
    place = festival.network.places.order_by("pk").first()
    assert place is not None
    # in the festival's middle, and always in the future
    start = max(
        dt.datetime.combine(festival.start_date + dt.timedelta(days=3), dt.time(18), tzinfo=dt.UTC),
        dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
    )
    with transaction.atomic():
        Event.objects.filter(slug__startswith=LOAD_PREFIX).delete()
        User.objects.filter(
            email__startswith="load.ev.", email__endswith=f"@{EMAIL_DOMAIN}"
        ).delete()
        popular = make_event(place, "Popular event", start, capacity)
        burst_ids = [
            make_event(place, f"Burst {n}", start + dt.timedelta(hours=n + 4), BURST_CAPACITY)
            for n in range(bursts)
        ]
        people = User.objects.bulk_create(
            [
                User(email=LOAD_EMAIL.format(i), display_name=f"Load client {i}")
                for i in range(users)
            ],
            batch_size=2000,
        )
        raws = [ApiToken.PREFIX + secrets.token_urlsafe(32) for _ in people]
        ApiToken.objects.bulk_create(
            [
                ApiToken(
                    user=user,
                    name="bench load",
                    token_hash=hash_token(raw),
                    hint=raw[: len(ApiToken.PREFIX) + 4],
                )
                for user, raw in zip(people, raws, strict=True)
            ],
            batch_size=2000,
        )
    return Setup(popular, capacity, burst_ids, raws, [u.pk for u in people])


def check(prepared: Setup, runs: dict[str, ScenarioResult]) -> dict[str, Any]:
    """After the load, from the rows: seats never over-given, exactly the answers written."""
    from django.db.models import Count, Sum

    from tiers.events.models import Event, Registration

    failures: list[str] = []
    events: dict[str, Any] = {}
    answered: dict[int, int] = {}
    statuses_answered: dict[int, dict[str, int]] = {}
    for run in runs.values():
        for event_id, by_status in run.answers.items():
            for status, n in by_status.items():
                answered[event_id] = answered.get(event_id, 0) + n
                per = statuses_answered.setdefault(event_id, {})
                per[status] = per.get(status, 0) + n
    for event in Event.objects.filter(slug__startswith=LOAD_PREFIX).order_by("pk"):
        rows = Registration.objects.filter(event=event)
        by_status = {
            r["status"]: (r["n"], r["seats"])
            for r in rows.values("status").annotate(n=Count("id"), seats=Sum("seats"))
        }
        total = rows.count()
        confirmed_seats = by_status.get("confirmed", (0, 0))[1]
        waitlisted = by_status.get("waitlisted", (0, 0))[0]
        expected_confirmed = min(event.capacity or 0, total)
        entry = {
            "capacity": event.capacity,
            "rows": total,
            "answers_201": answered.get(event.pk, 0),
            "confirmed_seats": confirmed_seats,
            "waitlisted": waitlisted,
            "other": {
                k: v[0] for k, v in by_status.items() if k not in ("confirmed", "waitlisted")
            },
            "answered_statuses": statuses_answered.get(event.pk, {}),
        }
        events[event.slug] = entry
        if total and confirmed_seats != expected_confirmed:
            failures.append(
                f"{event.slug}: {confirmed_seats} seats confirmed for {event.capacity} seats "
                f"and {total} registrations"
            )
        if confirmed_seats > (event.capacity or 0):
            failures.append(f"{event.slug}: seats over-given")
        if total - by_status.get("confirmed", (0, 0))[0] != waitlisted:
            failures.append(f"{event.slug}: registrations neither confirmed nor waitlisted")
        if total != entry["answers_201"]:
            failures.append(f"{event.slug}: {total} rows for {entry['answers_201']} answers 201")
        rows_confirmed = by_status.get("confirmed", (0, 0))[0]
        if entry["answered_statuses"].get("confirmed", 0) != rows_confirmed:
            failures.append(f"{event.slug}: answers 'confirmed' differ from the rows")
    return {"events": events, "failures": failures}


# --- the load (standard library only) ------------------------------------------------------


@dataclass
class ScenarioResult:
    name: str
    clients: int
    latencies_ms: dict[int, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    answers: dict[int, dict[str, int]] = field(default_factory=dict)  # event -> status -> n
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rounds: int = 0

    def record(self, status: int, ms: float, event_id: int, data: dict[str, Any]) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies_ms.setdefault(status, []).append(ms)
        if status == 201:
            per = self.answers.setdefault(event_id, {})
            key = str(data.get("status", "?"))
            per[key] = per.get(key, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        every = [ms for values in self.latencies_ms.values() for ms in values]
        created = self.statuses.get(201, 0)
        out: dict[str, Any] = {
            "clients": self.clients,
            "requests": len(every),
            "seconds": round(self.seconds, 2),
            "registrations_per_s": round(created / self.seconds, 1) if self.seconds else 0.0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "answers": {str(k): dict(sorted(v.items())) for k, v in sorted(self.answers.items())},
            "transport_errors": len([e for e in self.errors if not e.startswith("HTTP")]),
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


def post(conn: http.client.HTTPConnection, token: str, event_id: int) -> tuple[int, dict[str, Any]]:
    conn.request(
        "POST",
        f"/api/v1/events/{event_id}/registrations",
        body=json.dumps({"seats": 1}),
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
    clients: int,
    result: ScenarioResult,
    next_request: Callable[[int], tuple[str, int] | None],
    *,
    barrier: threading.Barrier | None = None,
    stop: Callable[[], bool],
    timeout: float = 120.0,
) -> None:
    """One thread per client with its own keep-alive connection; `next_request(client)`
    gives (token, event id) or None to stop."""
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
                request = next_request(number)
                if request is None:
                    return
                token, event_id = request
                sent = time.perf_counter()
                try:
                    status, data = post(conn, token, event_id)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    with lock:
                        result.errors.append(repr(exc))
                    if barrier is not None:
                        barrier.abort()
                    return
                done = time.perf_counter()
                with lock:
                    result.record(status, (done - sent) * 1000, event_id, data)
                    if status != 201:
                        result.errors.append(f"HTTP {status}: {json.dumps(data)[:300]}")
                    last_done[0] = max(last_done[0], done)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = last_done[0] - started


def popular(port: int, prepared: Setup, clients: int, seconds: float) -> ScenarioResult:
    """Every person once, on the same event, as fast as the server answers."""
    result = ScenarioResult("popular", clients)
    lock = threading.Lock()
    people = iter(prepared.tokens)
    deadline = time.perf_counter() + seconds

    def body(_number: int) -> tuple[str, int] | None:
        with lock:
            token = next(people, None)
        return None if token is None else (token, prepared.popular)

    run_clients(port, clients, result, body, stop=lambda: time.perf_counter() > deadline)
    return result


def burst(port: int, prepared: Setup, clients: int) -> ScenarioResult:
    """Rounds of `clients` simultaneous registrations on a fresh 10-seat event."""
    result = ScenarioResult("burst", clients)
    state: dict[str, Any] = {"stop": False, "event": None}
    events = iter(prepared.bursts)

    def next_round() -> None:  # run by one thread when all have arrived at the barrier
        state["event"] = next(events, None)
        if state["event"] is None:
            state["stop"] = True
            return
        result.rounds += 1

    barrier = threading.Barrier(clients, action=next_round, timeout=120)

    def body(number: int) -> tuple[str, int]:
        return prepared.tokens[number], state["event"]

    run_clients(port, clients, result, body, barrier=barrier, stop=lambda: state["stop"])
    return result


def warm_up(port: int, prepared: Setup, requests: int) -> None:
    """Load the application in every worker thread (imports, connections)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        for _ in range(requests):
            conn.request(
                "GET",
                f"/api/v1/events/{prepared.popular}",
                headers={"Host": HOST, "Authorization": f"Bearer {prepared.tokens[-1]}"},
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
        f"{results['clients']} clients, {results['registrations_before']} registrations and "
        f"{results['events_before']} events in the tables before",
        f"{'scenario':9} {'regs/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'201':>6} {'confirmed':>9} {'waitlisted':>10} {'other':>5} {'others CPU':>10}",
    ]
    for name, s in results["scenarios"].items():
        other = sum(v for k, v in s["statuses"].items() if k != "201")
        lat = s["latency_all"]
        confirmed = sum(a.get("confirmed", 0) for a in s["answers"].values())
        waitlisted = sum(a.get("waitlisted", 0) for a in s["answers"].values())
        lines.append(
            f"{name:9} {s['registrations_per_s']:7.1f} {lat['p50_ms']:7.1f} {lat['p95_ms']:7.1f} "
            f"{lat['p99_ms']:7.1f} {s['statuses'].get('201', 0):6} {confirmed:9} {waitlisted:10} "
            f"{other:5} {s.get('others_cpu_pct', 0):9.0f}%"
        )
    popular_check = next(
        (e for s, e in results["check"]["events"].items() if s.endswith("popular-event")), None
    )
    if popular_check:
        lines.append(
            f"after, popular event: capacity {popular_check['capacity']}, "
            f"{popular_check['confirmed_seats']} seats confirmed, "
            f"{popular_check['waitlisted']} waitlisted, {popular_check['rows']} rows for "
            f"{popular_check['answers_201']} answers 201"
        )
    bursts = [e for s, e in results["check"]["events"].items() if "burst" in s and e["rows"]]
    if bursts:
        exact = sum(
            1
            for e in bursts
            if e["confirmed_seats"] == e["capacity"]
            and e["waitlisted"] == e["rows"] - e["capacity"]
        )
        lines.append(
            f"after, burst rounds: {exact} of {len(bursts)} with exactly {BURST_CAPACITY} "
            f"confirmed and the others waitlisted"
        )
    lines.append("OK" if results["ok"] else "FAILED: " + "; ".join(results["failures"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--users", type=int, default=1500, help="people registering")
    parser.add_argument("--capacity", type=int, default=600, help="seats of the popular event")
    parser.add_argument("--seconds", type=float, default=60.0, help="popular scenario, at most")
    parser.add_argument("--burst-rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8, help="per worker (gthread)")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--port", type=int, default=8170)
    parser.add_argument("--tasks-backend", choices=["immediate", "database"])
    parser.add_argument("--scenarios", default="burst,popular")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.users < args.clients:
        parser.error("--users must be at least --clients")

    from run import SECRET_KEY, CpuMeter, Server, base_env, free_port, machine

    url = os.environ.get("DATABASE_URL", "")
    if "bench" not in url:
        print("Set DATABASE_URL to an events bench database (its name contains 'bench').")
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

    from tiers.events.models import Event, Registration

    prepared = setup(args.users, args.capacity, args.burst_rounds)
    registrations_before = Registration.objects.exclude(event__slug__startswith=LOAD_PREFIX).count()
    events_before = Event.objects.exclude(slug__startswith=LOAD_PREFIX).count()
    connections.close_all()

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port(args.port)
    log_path = RESULTS_DIR / "gunicorn-events.log"
    server = Server(env, port, args.workers, args.worker_class, log_path)
    from load import wait_until_up

    runs: dict[str, ScenarioResult] = {}
    others: dict[str, float] = {}
    try:
        if not wait_until_up(HOST, port, seconds=60):
            raise SystemExit(f"gunicorn did not answer on {HOST}:{port}; see {log_path}")
        warm_up(port, prepared, 4 * args.workers * max(1, args.threads))
        for name in [s.strip() for s in args.scenarios.split(",") if s.strip()]:
            meter = CpuMeter(server.proc.pid)
            if name == "popular":
                runs[name] = popular(port, prepared, args.clients, args.seconds)
            elif name == "burst":
                runs[name] = burst(port, prepared, args.clients)
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
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "database": connections["default"].vendor,
        "clients": args.clients,
        "users": args.users,
        "capacity": args.capacity,
        "workers": args.workers,
        "threads": args.threads if args.worker_class == "gthread" else 1,
        "worker_class": args.worker_class,
        "tasks_backend": env.get("TASKS_BACKEND", "immediate (default)"),
        "registrations_before": registrations_before,
        "events_before": events_before,
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

"""A small HTTP load client: N threads, one keep-alive connection each, bounded in requests
and in time. Standard library only (`http.client`).

Each thread sends one request, reads the whole body, records the latency, and goes on until
the shared request budget is spent or the deadline passes. A server that closes the
connection after each response (gunicorn's sync workers do) is simply reconnected to, and
that reconnection is part of the measured latency, as it would be for a browser.
"""

from __future__ import annotations

import http.client
import itertools
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LoadResult:
    clients: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    encodings: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    seconds: float = 0.0
    first_error: str = ""

    def percentile(self, pct: float) -> float:
        values = sorted(self.latencies_ms)
        if not values:
            return float("nan")
        rank = (len(values) - 1) * pct / 100
        low = int(rank)
        high = min(low + 1, len(values) - 1)
        return values[low] + (values[high] - values[low]) * (rank - low)

    def as_dict(self) -> dict[str, Any]:
        n = len(self.latencies_ms)
        return {
            "clients": self.clients,
            "requests": n,
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "encodings": dict(sorted(self.encodings.items())),
            "seconds": round(self.seconds, 2),
            "req_per_s": round(n / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1),
            "p99_ms": round(self.percentile(99), 1),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if n else float("nan"),
            "mean_bytes": round(self.bytes / n) if n else 0,
            "first_error": self.first_error,
        }


def fetch(
    conn: http.client.HTTPConnection,
    path: str,
    host: str,
    headers: dict[str, str] | None = None,
) -> tuple[int, int, str]:
    """One GET on a kept-alive connection; returns (status, body length as sent, its
    Content-Encoding). A compressed body is counted as sent, not decompressed."""
    conn.request("GET", path, headers={"Host": host, "Accept-Language": "fr", **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    encoding = response.getheader("Content-Encoding") or "identity"
    if response.will_close:
        conn.close()  # the next request() opens a new connection
    return response.status, len(body), encoding


def run_load(
    *,
    host: str,
    port: int,
    path: Callable[[int], str],
    clients: int,
    max_requests: int,
    max_seconds: float,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> LoadResult:
    """Send at most `max_requests` GETs with `clients` threads, for at most `max_seconds`."""
    result = LoadResult(clients=clients)
    budget = itertools.count()
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + max_seconds
    last_done = [started]

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            while time.perf_counter() < deadline:
                with lock:
                    number = next(budget)
                if number >= max_requests:
                    return
                target = path(number)
                sent = time.perf_counter()
                try:
                    status, size, encoding = fetch(conn, target, host, headers)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    with lock:
                        result.errors += 1
                        result.first_error = result.first_error or f"{target}: {exc!r}"
                    continue
                done = time.perf_counter()
                with lock:
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    result.encodings[encoding] = result.encodings.get(encoding, 0) + 1
                    if status == 200:
                        result.latencies_ms.append((done - sent) * 1000)
                        result.bytes += size
                    else:
                        result.errors += 1
                        result.first_error = result.first_error or f"{target}: HTTP {status}"
                    last_done[0] = max(last_done[0], done)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + timeout + 5)
    result.seconds = last_done[0] - started
    return result


def wait_until_up(host: str, port: int, path: str = "/healthz", seconds: float = 30.0) -> bool:
    """Poll the server until it answers 200 (bounded)."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        conn = http.client.HTTPConnection(host, port, timeout=2)
        try:
            status, _size, _encoding = fetch(conn, path, host)
            if status == 200:
                return True
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    return False

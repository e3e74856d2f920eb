"""Real concurrent connections for the concurrency tests: each job runs in its own thread (so
with its own database connection), all released at once by a barrier."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from django.db import connection

from tiers.core.errors import DomainError


def race(jobs: list[Callable[[], str]]) -> Counter[str]:
    """Run the jobs at the same instant; count their outcomes: what a job returns, the `code`
    of a domain error it raises, or the type and text of any other failure."""
    barrier = threading.Barrier(len(jobs))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(job: Callable[[], str]) -> None:
        try:
            barrier.wait()
            try:
                outcome = job()
            except DomainError as exc:
                outcome = exc.code
            except Exception as exc:  # any other failure must show in the counts
                outcome = f"{type(exc).__name__}: {exc}"
            with lock:
                outcomes[outcome] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes

"""Periodic jobs (reminders, expiring offers): each app registers its own in `ready()`, and
`tiers run-periodic` runs them all, once or in a loop. `tiers serve` runs that loop in a
thread, so that one machine needs nothing else; in production run it from cron, a systemd
timer, or as its own process with `--loop`."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

jobs: dict[str, Callable[[], int]] = {}


def register(name: str, job: Callable[[], int]) -> None:
    """`job` does what is due and returns how many things it handled; it must be safe to run
    twice at once (claim rows with a conditional UPDATE)."""
    jobs[name] = job


def run_all() -> dict[str, int]:
    done: dict[str, int] = {}
    for name, job in jobs.items():
        try:
            done[name] = job()
        except Exception:
            # one failing job must not stop the others, nor the loop
            logger.exception("periodic job %s failed", name)
            done[name] = -1
    return done

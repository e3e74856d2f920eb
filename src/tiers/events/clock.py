"""The current time for the events app: one function, so that tests can set the clock."""

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()

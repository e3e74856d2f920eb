"""A small rate limiter on Django's cache: N attempts per window of W seconds, per identifier.

    limit = RateLimit("login-email", limit=5, window=300)
    attempt = limit.hit(email)          # counts one attempt, atomically
    if not attempt.allowed:
        ...                             # refuse (HTTP 429), `attempt.retry_after` seconds

The window is fixed and starts at the first attempt. Counting uses the cache's atomic `add` and
`incr`, so concurrent requests on several app servers are counted exactly with Redis, and
within one process with the local-memory cache (one process only: use Redis as soon as there
are several app servers). Identifiers are hashed before they become cache keys, so no e-mail
address or IP address is stored in clear in the cache.

When the cache itself fails (Redis down), the limiter lets the request through and logs a
warning: it is a protection, not the source of truth, and must not make the site fail.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tiers.core.errors import DomainError

logger = logging.getLogger(__name__)

KEY_PREFIX = "ratelimit"


class RateLimitExceeded(DomainError):
    """Too many attempts; shown as HTTP 429 (with a Retry-After header) at the edge."""

    status = 429
    code = "rate-limited"

    def __init__(self, message: str | Promise | None = None, *, retry_after: int) -> None:
        super().__init__(
            message or _("Too many attempts. Please wait a few minutes and try again.")
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    allowed: bool
    count: int
    retry_after: int
    """Seconds until the window ends (0 when the attempt is allowed)."""


@dataclass(frozen=True)
class RateLimit:
    scope: str
    limit: int
    window: int
    cache_alias: str = "default"

    @property
    def cache(self) -> BaseCache:
        return caches[self.cache_alias]

    def _key(self, ident: str) -> str:
        digest = hashlib.sha256(f"{self.scope}\x00{ident}".encode()).hexdigest()[:32]
        return f"{KEY_PREFIX}:{self.scope}:{digest}"

    def hit(self, ident: str) -> Attempt:
        """Count one attempt for `ident` and say whether it is within the limit."""
        key = self._key(ident)
        try:
            count = self._increment(key)
            if count <= self.limit:
                return Attempt(True, count, 0)
            return Attempt(False, count, self._retry_after(key))
        except Exception:  # the cache is down: let the request through (see the module doc)
            logger.warning("rate limit %s: the cache is unavailable", self.scope, exc_info=True)
            return Attempt(True, 0, 0)

    def check(self, ident: str) -> None:
        """Count one attempt; raise `RateLimitExceeded` when over the limit."""
        attempt = self.hit(ident)
        if not attempt.allowed:
            raise RateLimitExceeded(retry_after=attempt.retry_after)

    def count(self, ident: str) -> int:
        """Attempts counted in the current window (without counting one more)."""
        try:
            return int(self.cache.get(self._key(ident)) or 0)
        except Exception:
            logger.warning("rate limit %s: the cache is unavailable", self.scope, exc_info=True)
            return 0

    def undo(self, ident: str) -> None:
        """Give back one attempt (e.g. it succeeded and only failures should count)."""
        try:
            self.cache.decr(self._key(ident))
        except ValueError:  # the window ended meanwhile: nothing to give back
            pass
        except Exception:
            logger.warning("rate limit %s: the cache is unavailable", self.scope, exc_info=True)

    def reset(self, ident: str) -> None:
        key = self._key(ident)
        try:
            self.cache.delete_many([key, f"{key}:end"])
        except Exception:
            logger.warning("rate limit %s: the cache is unavailable", self.scope, exc_info=True)

    def _increment(self, key: str) -> int:
        cache = self.cache
        for _attempt in range(3):
            if cache.add(key, 1, timeout=self.window):
                # The first attempt of a window: remember when the window ends, for Retry-After.
                cache.set(f"{key}:end", time.time() + self.window, timeout=self.window)
                return 1
            try:
                return int(cache.incr(key))
            except ValueError:  # the key expired between add() and incr(): start a new window
                continue
        return 1

    def _retry_after(self, key: str) -> int:
        end = self.cache.get(f"{key}:end")
        if end is None:
            return self.window
        return max(1, min(self.window, math.ceil(float(end) - time.time())))


def client_ip(request: HttpRequest) -> str:
    """The client's address, for rate limiting.

    Behind reverse proxies (nginx, a load balancer), set `RATE_LIMIT_TRUSTED_PROXIES` to their
    number: the address is then taken from `X-Forwarded-For`, that many hops from the right
    (the entries further left are written by the client and cannot be trusted). An IPv6
    address counts as its /64 network, which one machine commonly holds whole.
    """
    proxies = settings.RATE_LIMIT_TRUSTED_PROXIES
    address = request.META.get("REMOTE_ADDR", "") or ""
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)

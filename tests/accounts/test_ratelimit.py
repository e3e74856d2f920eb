"""The generic rate limiter (tiers.core.ratelimit), on the local-memory cache and on Redis."""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.test import RequestFactory

from tiers.core.ratelimit import RateLimit, RateLimitExceeded, client_ip


@pytest.fixture(params=["locmem", "redis"])
def cache_alias(request, settings) -> str:
    """A cache alias of each kind the platform supports, empty at the start of the test."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    else:
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl"}
    settings.CACHES = {**settings.CACHES, "limits": backend}
    from django.core.cache import caches

    caches["limits"].clear()
    return "limits"


def test_allows_the_limit_then_refuses(cache_alias):
    limit = RateLimit("test", limit=3, window=60, cache_alias=cache_alias)
    results = [limit.hit("alice@example.org") for _ in range(5)]
    assert [r.allowed for r in results] == [True, True, True, False, False]
    assert [r.count for r in results] == [1, 2, 3, 4, 5]
    assert 0 < results[-1].retry_after <= 60


def test_identifiers_are_counted_apart(cache_alias):
    limit = RateLimit("test", limit=1, window=60, cache_alias=cache_alias)
    assert limit.hit("a").allowed
    assert not limit.hit("a").allowed
    assert limit.hit("b").allowed
    other_scope = RateLimit("other", limit=1, window=60, cache_alias=cache_alias)
    assert other_scope.hit("a").allowed


def test_identifiers_are_not_stored_in_clear(cache_alias, settings):
    from django.core.cache import caches

    limit = RateLimit("test", limit=3, window=60, cache_alias=cache_alias)
    limit.hit("alice@example.org")
    cache = caches[cache_alias]
    if hasattr(cache, "_cache") and isinstance(cache._cache, dict):  # locmem
        keys = list(cache._cache)
    else:
        keys = [k.decode() for k in cache._cache.get_client().keys("*")]
    assert keys
    assert not any("alice" in key for key in keys)


def test_undo_and_reset(cache_alias):
    limit = RateLimit("test", limit=2, window=60, cache_alias=cache_alias)
    limit.hit("a")
    limit.hit("a")
    limit.undo("a")
    assert limit.count("a") == 1
    assert limit.hit("a").allowed
    assert not limit.hit("a").allowed
    limit.reset("a")
    assert limit.count("a") == 0
    assert limit.hit("a").allowed


def test_check_raises_a_429_domain_error(cache_alias):
    limit = RateLimit("test", limit=1, window=120, cache_alias=cache_alias)
    limit.check("a")
    with pytest.raises(RateLimitExceeded) as caught:
        limit.check("a")
    assert caught.value.status == 429
    assert 0 < caught.value.retry_after <= 120
    assert "Too many attempts" in str(caught.value.message)


def test_the_window_ends_on_locmem(settings):
    limit = RateLimit("test", limit=1, window=60)
    assert limit.hit("a").allowed
    assert not limit.hit("a").allowed
    with mock.patch("time.time", return_value=time.time() + 30):
        assert not limit.hit("a").allowed
    with mock.patch("time.time", return_value=time.time() + 61):
        assert limit.hit("a").allowed


def test_the_window_ends_on_redis(settings, redis_url):
    settings.CACHES = {
        **settings.CACHES,
        "limits": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url},
    }
    limit = RateLimit("window-test", limit=1, window=1, cache_alias="limits")
    limit.reset("a")
    assert limit.hit("a").allowed
    assert not limit.hit("a").allowed
    time.sleep(1.3)  # Redis expires keys by its own clock
    assert limit.hit("a").allowed


def test_concurrent_attempts_are_counted_exactly(cache_alias):
    """Many simultaneous attempts: exactly `limit` of them get through."""
    limit = RateLimit("test", limit=10, window=60, cache_alias=cache_alias)
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(40)

    def attempt() -> None:
        start.wait()
        result = limit.hit("target").allowed
        with lock:
            allowed.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 10
    assert limit.count("target") == 40


def test_a_broken_cache_lets_requests_through(settings):
    settings.CACHES = {
        **settings.CACHES,
        "broken": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        },
    }
    limit = RateLimit("test", limit=1, window=60, cache_alias="broken")
    assert limit.hit("a").allowed
    assert limit.hit("a").allowed
    assert limit.count("a") == 0
    limit.undo("a")
    limit.reset("a")


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_client_ip_without_proxy_ignores_forwarded_for(settings):
    settings.RATE_LIMIT_TRUSTED_PROXIES = 0
    assert client_ip(_request("192.0.2.10", "198.51.100.1")) == "192.0.2.10"


def test_client_ip_behind_proxies_takes_the_right_hop(settings):
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    # The client wrote the first entry itself; nginx appended the real address.
    assert client_ip(_request("127.0.0.1", "203.0.113.9, 198.51.100.1")) == "198.51.100.1"
    settings.RATE_LIMIT_TRUSTED_PROXIES = 2
    assert client_ip(_request("127.0.0.1", "203.0.113.9, 198.51.100.1, 10.0.0.2")) == (
        "198.51.100.1"
    )


def test_client_ip_groups_ipv6_by_network(settings):
    settings.RATE_LIMIT_TRUSTED_PROXIES = 0
    one = client_ip(_request("2001:db8:1:2::1"))
    other = client_ip(_request("2001:db8:1:2:ffff::9"))
    elsewhere = client_ip(_request("2001:db8:1:3::1"))
    assert one == other == "2001:db8:1:2::/64"
    assert elsewhere != one
    assert client_ip(_request("::ffff:192.0.2.7")) == "192.0.2.7"

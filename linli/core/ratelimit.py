"""A small fixed-window rate limit on Django's cache, for public forms (volunteer sign-up).

With the per-process memory cache in settings each server process counts on its own, so the
real limit is the setting times the number of gunicorn workers; a shared cache would fix that."""

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    """The client's address; behind LINLI_PROXY_COUNT proxies, from X-Forwarded-For."""
    proxies = getattr(settings, "LINLI_PROXY_COUNT", 0)
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def over_limit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one more hit on `key`; True once there have been more than `limit` in the window."""
    cache_key = f"linli:rl:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return limit < 1
    try:
        return cache.incr(cache_key) > limit
    except ValueError:  # expired between add and incr: a new window
        cache.set(cache_key, 1, timeout=window_seconds)
        return limit < 1

"""(being written)"""

from typing import Any

from django.http import HttpRequest, HttpResponse


def recent(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def recent_rss(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def recent_atom(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def wanted(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def watchlist(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def watchlist_feed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def contributions(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def history(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def page_atom(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def revision(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def revert(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def hide(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def diff(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def rollback(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def backlinks(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")

"""(being written)"""

from typing import Any

from django.http import HttpRequest, HttpResponse


def index(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def create(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def tag(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def edit(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def protect(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def watch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def discussion(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def attachments(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def attachment(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def attachment_delete(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def use(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def place_tree(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")


def network_tree(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")

"""(being written)"""

from typing import Any

from django.http import HttpRequest, HttpResponse


def search(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("")

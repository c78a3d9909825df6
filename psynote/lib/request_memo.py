"""Facts about the signed-in user that many parts of one request ask for (the clients of
their open emergency grants, whom they supervise, how they are supervised): read once per
request instead of once per question. A note page asks them in the access check, in every
audit event and in the page's banners; each answer used to be its own query.

Only inside a request is anything kept (the middleware below opens and drops the memo), so
a command, a test calling functions directly, or the next request always reads afresh. An
action that changes such a fact calls `forget()`, so the rest of its request sees the
change.
"""

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("request_memo", default=None)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, once per request for each `key`; outside a request, every time."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def forget() -> None:
    """Drop what this request remembered: a fact it holds has just changed."""
    memo = _memo.get()
    if memo is not None:
        memo.clear()


class RequestMemoMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)

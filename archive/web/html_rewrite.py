"""An ASGI `send` that holds an HTML response whole and sends it rewritten, for the plugin's
middlewares that mend Datasette's pages from outside (archive/web/paths.py, sorted_pages.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Headers = list[tuple[bytes, bytes]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def html_rewriting_sender(send: Send, rewrite: Callable[[bytes], bytes], *,
                          headers: Callable[[Headers], Headers] = list,
                          types: tuple[bytes, ...] = (b"text/html",)) -> Send:
    """`send` giving every response's start `headers(its headers)`, and an HTML page's body (or
    one of the content `types`) as `rewrite(body)` with its Content-Length (the page is held
    until its last part); anything else passes as it is."""
    start: dict[str, Any] | None = None
    body: list[bytes] = []

    async def sender(message: dict[str, Any]) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            message = dict(message, headers=headers(list(message.get("headers") or [])))
            if dict(message["headers"]).get(b"content-type", b"").startswith(types):
                start = message
                return
        elif message["type"] == "http.response.body" and start is not None:
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = rewrite(b"".join(body))
            kept = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            await send({**start, "headers": [*kept, (b"content-length", str(len(page)).encode())]})
            await send({"type": "http.response.body", "body": page})
            return
        await send(message)

    return sender

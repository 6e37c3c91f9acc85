"""Page structure for screen-reader and keyboard users on every page the archive serves.

Datasette's base.html writes a bare `<html>` (no language), no skip link and no `<main>`, and
a custom template cannot change them: `<html>`, `<body>` and the `<section class="content">`
around each page's content are outside every block a template may override, and copying
base.html would freeze Datasette's markup at one version. So this ASGI middleware (the
asgi_wrapper hook) edits the finished HTML of each page instead, at markers base.html has
carried for years; a page lacking a marker is sent unchanged (never broken):

- `<html>` gets `lang="en"`: the UI's labels are English (the article page marks the post's
  own language on its `<article>`);
- `<section class="content">` (the page's content) goes inside `<main id="main">`, and the
  body begins with a "Skip to content" link to it (then, on a table page, "Skip to the rows"),
  hidden until focused by wixarchive.css: so
  only on pages linking that stylesheet (Datasette renders its error pages without plugins'
  CSS: they get the language and the main landmark only);
- Datasette's pages go from their h1 straight to an h3 ("Custom SQL query" on the database and
  query pages, "26 rows" on a table page): those h3s become h2s styled as Datasette's h3
  (its `header3` class), so the outline no longer skips a level.

Pages of a database that is not an archive are left as Datasette writes them.
"""

from __future__ import annotations

import re
from typing import Any

from archive.web.paths import page_path

_HTML = re.compile(r"<html(?![^>]*\slang=)(?=[\s>])", re.IGNORECASE)
_BODY = re.compile(r"<body\b[^>]*>")
_CONTENT_START = '<section class="content">'
# base.html closes the content section, then its wrapper div, then the footer starts.
_CONTENT_END = re.compile(r'</section>(\s*</div>\s*<footer class="ft">)')
SKIP_LINK = '<a class="wxa-skip" href="#main">Skip to content</a>'
# A table page's rows come after the search form, the filters and some forty facet links.
ROWS_ID = 'id="wxa-rows"'  # templates/wixarchive_rows.html
SKIP_TO_ROWS = '<a class="wxa-skip" href="#wxa-rows">Skip to the rows</a>'
_SKIPPED_HEADINGS = (
    re.compile(r"<h3>(Custom SQL query.*?)</h3>", re.DOTALL),  # database and query pages
    re.compile(r"<h3>(\s*[\d,]+ rows?\b.*?)</h3>", re.DOTALL),  # table page: "26 rows"
)


def structured(html: str, *, datasette_page: bool, stylesheet: str) -> str:
    """The page with its language, skip link, main landmark and (on Datasette's own pages,
    which hold no archived HTML) its headings' levels fixed."""
    html = _HTML.sub('<html lang="en"', html, count=1)
    start = html.find(_CONTENT_START)
    ends = list(_CONTENT_END.finditer(html))
    body = _BODY.search(html)
    if start != -1 and ends and body and body.end() <= start < ends[-1].start():
        end = ends[-1]
        skip = ""
        if f'href="{stylesheet}"' in html[:body.start()]:
            rows = datasette_page and ROWS_ID in html[start:]
            skip = "\n" + SKIP_LINK + ("\n" + SKIP_TO_ROWS if rows else "")
        html = (html[:body.end()] + skip + html[body.end():start]
                + '<main id="main" tabindex="-1">' + html[start:end.start()] + "</section></main>"
                + end.group(1) + html[end.end():])
    if datasette_page:
        for heading in _SKIPPED_HEADINGS:
            html = heading.sub(r'<h2 class="header3">\1</h2>', html, count=1)
    return html


class PageStructure:
    """ASGI middleware applying `structured` to the HTML pages of archives, of this plugin and
    of the instance (home page, /-/ pages)."""

    def __init__(self, app: Any, datasette: Any, stylesheet: str) -> None:
        self.app = app
        self.datasette = datasette
        self.stylesheet = stylesheet  # its URL path, as the pages link it

    def _kind(self, path: str) -> str | None:
        """'plugin' for this plugin's pages, 'datasette' for Datasette's pages of an archive or
        of the instance, None for another database's pages."""
        page = page_path(self.datasette, path)
        if page.plugin_page:
            return "plugin"
        # An archive's page, the instance's, or a 404 page.
        return None if page.owner == "database" else "datasette"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = self._kind(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def send_structured(message: dict[str, Any]) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                content_type = next((v for k, v in message.get("headers", [])
                                     if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    start = message  # held until the whole page is read
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                page = b"".join(chunks).decode("utf-8", "surrogateescape")
                headers = [(k, v) for k, v in start.get("headers", [])
                           if k.lower() != b"content-length"]
                if scope.get("method") == "HEAD" and not page:
                    # Datasette answers HEAD with no body and no length: the page's length is
                    # unknown here, so none is given (not 0, which says the page is empty).
                    await send({**start, "headers": headers})
                    await send({"type": "http.response.body", "body": b""})
                    return
                body = structured(page, datasette_page=kind == "datasette",
                                  stylesheet=self.stylesheet).encode(
                    "utf-8", "surrogateescape")
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body",
                            "body": b"" if scope.get("method") == "HEAD" else body})
                return
            await send(message)

        await self.app(scope, receive, send_structured)

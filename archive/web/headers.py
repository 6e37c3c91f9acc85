"""Security headers for every page of an archive: a Content-Security-Policy, nosniff, no referrer.

Archived posts are hostile input. The pages sanitize what they show; the policy makes sure that
whatever slipped through still cannot run: no script runs but the page's own (allowed by hash),
no plugin object, no <base> rewrite, no form posting elsewhere, no framing by another site.

- The ranked search and article pages (this plugin's) allow only the inline scripts Datasette's
  base template carries, by their SHA-256: `script-src` has no 'self', no 'unsafe-inline'.
- Datasette's own pages of an archive (tables, rows, queries) also load Datasette's static
  scripts ('self'); their inline scripts are allowed by hash as well. JSON and CSV from the same
  origin cannot be loaded as script: `nosniff` makes Chromium and Firefox refuse a non-JavaScript
  MIME type.
- Images: only from the archive itself ('self': the media route) and data: URIs (Datasette's
  CSS icons). Images not archived are links on the article page, and Datasette's pages show
  image URLs as text, so nothing on a page needs another host: a reader's browser never asks
  the site (or anyone a hostile post names) for anything.
- Archived files (the media route, `/<db>/-/media/<digest>`) carry a policy of their own, by
  content type (media_policy), which this middleware keeps: sandboxed, no script, no form,
  nothing loaded but the file itself. A video or audio file opened on its own plays in the
  browser's player, which fetches the file again: `media-src 'self'` allows that
  (default-src 'none' blocked it), and `sandbox allow-same-origin`, as a plain `sandbox`'s
  opaque origin made that fetch cross-origin and refused. Every other file (an image, an SVG
  that could carry script; a PDF, which Chromium's viewer still opens) gets a plain `sandbox`.
- Styles: 'unsafe-inline', because the templates carry <style> blocks and Datasette's table page
  builds one per table; archived HTML never reaches a page with a style (nh3 drops them), and CSS
  cannot run script in current browsers.

Databases that are not archives keep Datasette's behaviour: the headers go only on paths of an
archive database and on this plugin's routes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

from archive.web.paths import page_path

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# The one variable an inline script of Datasette's templates holds, and the values it takes.
_TEMPLATE_VARIABLES = {"{{ datasette_allow_facet }}": ("true", "false")}

_COMMON = ("default-src 'none'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

# style-src: an SVG's own style attributes and <style> (no script runs, sandboxed or not).
_MEDIA = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; "
          "base-uri 'none'; frame-ancestors 'none'")
PLAYED_TYPES = ("video/", "audio/")


def media_policy(content_type: str) -> str:
    """The Content-Security-Policy of an archived file served as `content_type`."""
    if content_type.startswith(PLAYED_TYPES):
        # The player of a file opened on its own loads it again, as a CORS request from the
        # document: a plain `sandbox` (an opaque origin) makes it cross-origin and refused.
        # allow-same-origin keeps the origin, and the rest of the sandbox (no script, form,
        # popup or refresh).
        return f"sandbox allow-same-origin; {_MEDIA}; media-src 'self'"
    return f"sandbox; {_MEDIA}"


@cache
def datasette_script_hashes() -> tuple[str, ...]:
    """CSP sources ('sha256-…') of the inline scripts in Datasette's own templates."""
    import datasette

    hashes: set[str] = set()
    for template in sorted((Path(datasette.__file__).parent / "templates").glob("*.html")):
        for script in _INLINE_SCRIPT.findall(template.read_text(encoding="utf-8")):
            variants = [script]
            for variable, values in _TEMPLATE_VARIABLES.items():
                if variable in script:
                    variants = [script.replace(variable, value) for value in values]
            for text in variants:
                if "{{" in text or "{%" in text:
                    continue  # rendered per request: cannot be allowed by a fixed hash
                digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest())
                hashes.add(f"'sha256-{digest.decode()}'")
    return tuple(sorted(hashes))


def content_security_policy(*, plugin_page: bool) -> str:
    scripts = " ".join(datasette_script_hashes())
    own = "" if plugin_page else "'self' "
    return f"{_COMMON}; script-src {own}{scripts}"


def security_headers(*, plugin_page: bool) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", content_security_policy(plugin_page=plugin_page).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
    ]


_OURS = {name for name, _ in security_headers(plugin_page=True)}
_CSP = b"content-security-policy"


class SecurityHeaders:
    """ASGI middleware (Datasette's asgi_wrapper hook) adding the headers to archive pages."""

    def __init__(self, app: Any, datasette: Any) -> None:
        self.app = app
        self.datasette = datasette

    def _kind(self, path: str) -> str | None:
        """'plugin' for this plugin's pages, 'media' for its archived files, 'archive' for
        Datasette's pages of an archive."""
        page = page_path(self.datasette, path)
        if page.plugin_page:
            return "plugin"
        if page.media_file:
            return "media"
        return "archive" if page.owner == "archive" else None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = self._kind(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        added = security_headers(plugin_page=kind != "archive")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                # An archived file keeps the policy the media route chose for its type; its
                # errors (404, 410) get the plugin pages' own.
                replaced = _OURS
                if kind == "media" and any(k.lower() == _CSP for k, _ in headers):
                    replaced = _OURS - {_CSP}
                kept = [(k, v) for k, v in headers if k.lower() not in replaced]
                message = {**message, "headers": kept + [(k, v) for k, v in added
                                                         if k in replaced]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""A URL for people and for programs: a non-Latin slug (`/post/先週-東京`) is shown decoded, as
an IRI (RFC 3987), and given to programs and HTTP percent-encoded, as a URI (RFC 3986).

`display_url` is what every human output prints (text output, link text, Markdown front
matter); `uri` is what is fetched and what JSON and CSV give (docs/fields.md, "URLs"). Neither
changes what is stored, nor a link's href. Standard library only: the search and extract
commands import this.
"""

from __future__ import annotations

import re
from typing import Any

_AUTHORITY = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# What a URI cannot hold as it is: anything not printable ASCII (spaces and controls too).
_NOT_URI = re.compile(r"[^\x21-\x7e]+")
# The URL fields of the records JSON and CSV give (posts, hits, sites, runs, extracted pages).
URL_FIELDS = ("url", "canonical_url", "cover_image", "site")


def _map_host(url: str, label_map: Any) -> str:
    """`url` with each label of its host (not user info, not port) passed through label_map."""
    found = _AUTHORITY.match(url)
    if not found:
        return url
    scheme, authority = found.groups()
    user, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):  # an IPv6 literal: nothing to map
        return url
    host, colon, port = hostport.partition(":")
    mapped = ".".join(label_map(label) for label in host.split("."))
    return scheme + user + at + mapped + colon + port + url[found.end():]


def _unicode_label(label: str) -> str:
    if not label.lower().startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        return label  # not valid punycode: shown as it is


def _ascii_label(label: str) -> str:
    if label.isascii():
        return label
    try:
        return label.encode("idna").decode("ascii")
    except UnicodeError:
        return label  # no IDNA form (too long, forbidden characters): left for urllib to refuse


def _decode_escapes(match: re.Match[str]) -> str:
    """A run of %XX escapes with those of readable non-ASCII characters decoded; an escaped
    ASCII character (%2F, %20, %25 ...), an invisible one (a direction mark) or bytes that are
    no UTF-8 stay escaped, so the text still names the same URL."""
    escaped = match.group()
    raw = bytes.fromhex(escaped.replace("%", ""))
    out, position = [], 0
    for char in raw.decode("utf-8", errors="surrogateescape"):
        size = 3 * len(char.encode("utf-8", errors="surrogateescape"))
        kept = escaped[position:position + size]
        position += size
        readable = not char.isascii() and char.isprintable() and not 0xDC80 <= ord(char) <= 0xDCFF
        out.append(char if readable else kept)
    return "".join(out)


def display_url(url: str) -> str:
    """The URL as a person reads it: percent-encoded UTF-8 letters decoded, an IDNA host
    (xn--...) in its own script. An ASCII URL without escapes comes back unchanged."""
    if "%" in url:
        url = _ESCAPES.sub(_decode_escapes, url)
    return _map_host(url, _unicode_label) if "xn--" in url.lower() else url


def uri(url: str) -> str:
    """The URL as HTTP sends it: a non-ASCII host in IDNA, and every other character that is
    not printable ASCII percent-encoded as UTF-8. Existing escapes are kept, so a URI comes back
    unchanged."""
    if not _NOT_URI.search(url):
        return url
    url = _map_host(url, _ascii_label)
    return _NOT_URI.sub(lambda m: "".join(f"%{byte:02X}" for byte in m.group().encode(
        "utf-8", errors="surrogatepass")), url)


def uri_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its URL fields (URL_FIELDS and the `images` list) as URIs: the one form
    JSON and CSV outputs give every URL in."""
    out = dict(record)
    for key in URL_FIELDS:
        if isinstance(out.get(key), str):
            out[key] = uri(out[key])
    if isinstance(out.get("images"), list):
        out["images"] = [uri(u) if isinstance(u, str) else u for u in out["images"]]
    return out

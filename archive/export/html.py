"""One HTML file of the posts: opens in any web browser with no network and no program but the
browser, can be emailed, printed or kept on a USB stick, and is searched with the browser's
Find. A title, a list of the posts linking to each, then each post: its title, author, dates,
tags and categories, its address on the site, and its body (sanitized, as every export is;
its links to another exported post point at that post in the page),
its archived images inside the file as data: URLs and any other image a link to its URL, as
the article page of `serve` shows them. A Content-Security-Policy lets the file load nothing
(no script, no image from the web), so opening it never contacts the site.

The list of posts comes first but is known only once every post is written: the posts are
written to a spooled temporary file (memory up to SPOOL_BYTES, then disk) and copied after it.
A post's HTML names its images by a placeholder, each replaced by the image's data: URL as the
page is copied out, read again and encoded a chunk at a time: memory stays flat in the number
of posts and the size of their images (a post of 40 photos of 5 MB held them all, base64, three
times).

An image is inside the file once, however many times it is shown (a cover also in the body,
one photo in several posts: the same bytes, at one address or several). Shown once, it is the
<img>'s src; shown more, a rule of the page's <style> gives it, `content: url(data:...)`, to
each <img> that names it (`data-wxa-image`): a CSS image, which the policy's img-src allows,
shown in the <img>'s place (CSS Content 3's element replacement; tests/test_export_html.py
checks it in Chromium). Keeping every use a src would need a script or a fetch the policy
refuses; a reader that ignores the page's style shows such an image's alt text.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple, TextIO

from archive.export import safe_post
from archive.export.markdown import link_key, moved_key
from archive.image_alts import archived_images_only
from archive.iri import display_url
from archive.sanitize import safe_url

SPOOL_BYTES = 16 * 1024 * 1024
# The image types a browser shows from a data: URL in <img>; any other archived file (an SVG,
# which may hold a script, though an <img> never runs it) stays a link.
SHOWN_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/bmp"}
# An archived image's place in a post's HTML until it is written: a token of the export's
# own, so that no archived text can name an image (or a number past the post's images).
_SLOT = "\x00{token}-{number}\x00"
# An image's placeholder as the src of an <img>: where it goes when its image is shown more
# than once (replaced by the attribute naming its rule).
_SRC = 'src="{slot}"'
# Bytes of an image encoded at a time (a multiple of 3: base64 pieces that join).
_CHUNK = 3 * 256 * 1024
POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body { font: 17px/1.6 Georgia, 'Times New Roman', serif; color: #222; background: #fff;
       max-width: 44em; margin: 0 auto; padding: 1em 1.2em 4em; }
h1, h2, h3, h4, nav, .meta, .terms, .top { font-family: system-ui, -apple-system, 'Segoe UI',
       Helvetica, Arial, sans-serif; }
h1 { font-size: 1.8em; margin-bottom: .2em; }
article { border-top: 2px solid #ccc; margin-top: 3em; padding-top: 1em; }
article h2 { font-size: 1.6em; line-height: 1.25; margin: 0 0 .3em; }
.meta, .terms, .intro { color: #555; font-size: .85em; margin: 0 0 .4em; }
.deleted { color: #a00; font-weight: bold; }
nav ol { padding-left: 1.6em; font-size: .95em; }
nav li { margin: .2em 0; }
nav .meta { display: inline; }
img { max-width: 100%; height: auto; }
article { overflow-wrap: anywhere; }
table, pre { display: block; max-width: 100%; overflow-x: auto; }
blockquote { border-left: 3px solid #ccc; margin-left: 0; padding-left: 1em; color: #444; }
pre { white-space: pre-wrap; }
.wxa-unarchived { font-style: italic; color: #666; }
.top { font-size: .8em; }
@media print { article { page-break-before: always; } .top { display: none; } }
"""


class Written(NamedTuple):
    """What `write` wrote: posts, and the archived images inside the file."""

    posts: int
    images: int


class _Entry(NamedTuple):
    anchor: str
    title: str
    date: str
    author: str
    deleted: bool


def _date(value: str | None) -> str:
    return (value or "")[:10]


def _shown_type(archived: tuple[bytes, str | None] | None) -> str | None:
    """An archived image's type, None when it is not archived or not of a type SHOWN_TYPES
    names."""
    if archived is None:
        return None
    kind = (archived[1] or "").split(";")[0].strip().lower()
    return kind if kind in SHOWN_TYPES else None


def _write_data_url(out: TextIO, kind: str,
                    archived: tuple[bytes, str | None] | None) -> None:
    """The image as a data: URL, encoded a chunk at a time (empty if it can no longer be
    read)."""
    out.write(f"data:{kind};base64,")
    data = archived[0] if archived is not None else b""
    for start in range(0, len(data), _CHUNK):
        out.write(base64.b64encode(data[start:start + _CHUNK]).decode("ascii"))


class _Images:
    """The archived images of the export, each once by its bytes: a number per image, its
    placeholder in the posts' HTML, and how many times the posts show it."""

    def __init__(self, image: Callable[[str], tuple[bytes, str | None] | None]) -> None:
        self.image = image
        self.token = secrets.token_hex(8)
        self.slots = re.compile(_SLOT.format(token=self.token, number="([0-9]+)"))
        # Within one <img>: `src="SLOT"`, where a repeated image's attribute goes instead.
        self.sources = re.compile(_SRC.format(slot=self.slots.pattern))
        self.shown: list[tuple[str, str]] = []  # (a URL of it, its type), by number
        self.uses: list[int] = []
        self._numbers: dict[bytes, int] = {}  # its bytes' SHA-256 -> its number

    def slot(self, url: str) -> str | None:
        """The placeholder of the image archived at `url`, None when it is no image shown."""
        archived = self.image(url)
        if not (kind := _shown_type(archived)):
            return None
        assert archived is not None  # a type shown is an image read
        digest = hashlib.sha256(archived[0]).digest()
        if (number := self._numbers.get(digest)) is None:
            number = self._numbers[digest] = len(self.shown)
            self.shown.append((url, kind))
            self.uses.append(0)
        return _SLOT.format(token=self.token, number=number)

    def count(self, article: str) -> None:
        for number in self.slots.findall(article):
            self.uses[int(number)] += 1

    def write_rules(self, out: TextIO) -> None:
        """The <style> rules of the images shown more than once, each with its data: URL."""
        repeated = [number for number, uses in enumerate(self.uses) if uses > 1]
        if not repeated:
            return
        out.write("<style>\n")
        for number in repeated:
            url, kind = self.shown[number]
            out.write(f'img[data-wxa-image="{number}"] {{ content: url("')
            _write_data_url(out, kind, self.image(url))
            out.write('"); }\n')
        out.write("</style>\n")

    def copy(self, spooled: TextIO, out: TextIO) -> None:
        """The posts' HTML with each placeholder written as its image's data: URL, or, for an
        image shown more than once, its src as the attribute its rule names."""
        for line in spooled:  # a placeholder and its src="" never hold a line break
            for number, piece in enumerate(self.slots.split(self.sources.sub(
                    self._named_if_repeated, line))):
                if number % 2 == 0:
                    out.write(piece)
                else:
                    url, kind = self.shown[int(piece)]
                    _write_data_url(out, kind, self.image(url))

    def _named_if_repeated(self, match: re.Match[str]) -> str:
        number = int(match.group(1))
        return f'data-wxa-image="{number}"' if self.uses[number] > 1 else match.group(0)


def _body(post: dict[str, Any], local: dict[str, str]) -> str:
    """The post's sanitized HTML body with its images inside (archived_images_only), else its
    text as paragraphs."""
    if (post.get("body_html") or "").strip():
        return archived_images_only(post["body_html"], local, post.get("url") or "")
    paragraphs = [p.strip() for p in (post.get("body") or "").split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)


_HREF = re.compile(r'href="([^"]*)"')


def anchors(names: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Each exported post's address (its URL and canonical URL, as link_key and moved_key read
    them) -> its anchor in the page, from source.post_names (the posts a filter left out have
    none: "", so that a link to one stays its URL rather than lead to another post whose old
    blog key agrees, /post/calm to /post/Calm)."""
    found: dict[str, str] = {}
    for name in names:
        if name.get("chosen", True):
            for url in (name["url"], name.get("canonical_url")):
                for key in (url and link_key(url), url and moved_key(url)):
                    if key:
                        found.setdefault(key, f"post-{name['id']}")
        elif key := link_key(name["url"]):
            found.setdefault(key, "")
    return found


def _link_posts(body: str, found: dict[str, str]) -> str:
    """The body with each link to another exported post pointing at its place in the page:
    the blog it points at may be gone."""
    def relink(match: re.Match[str]) -> str:
        url = html.unescape(match.group(1))
        # The exact address first, then an old blog URL (or another case) of the post.
        key = link_key(url) or ""
        anchor = found[key] if key in found else found.get(moved_key(url) or "")
        return f'href="#{anchor}"' if anchor else match.group()

    return _HREF.sub(relink, body)


def _title(post: dict[str, Any]) -> str:
    """The post's title, or for an untitled post its address as read (a Hebrew slug in Hebrew,
    not %D7%91...)."""
    return post.get("title") or display_url(post.get("url") or "") or "Untitled"


def _article(post: dict[str, Any], anchor: str, local: dict[str, str]) -> str:
    title = _title(post)
    meta = []
    if post.get("author"):
        meta.append(f"By {html.escape(post['author'])}")
    if post.get("published"):
        meta.append(f"published {html.escape(_date(post['published']))}")
    if post.get("modified") and _date(post["modified"]) != _date(post.get("published")):
        meta.append(f"updated {html.escape(_date(post['modified']))}")
    if post.get("reading_minutes"):
        meta.append(f"{html.escape(str(post['reading_minutes']))} min read")
    address = safe_url(post.get("url"))
    if address:
        # Read as the site showed it (a Hebrew slug in Hebrew), linked as it is.
        meta.append(f'was at <a href="{html.escape(address)}">'
                    f"{html.escape(display_url(address))}</a>")
    if (recovered := post.get("recovered")) and (capture := safe_url(recovered["capture_url"])):
        # Where the text came from: the web archive's capture `wixarchive recover` fetched.
        meta.append(f'text recovered from <a href="{html.escape(capture)}">'
                    f"{html.escape(display_url(capture))}</a>")
    parts = [f'<article id="{anchor}"'
             + (f' lang="{html.escape(post["language"])}"' if post.get("language") else "")
             # A title takes its own text's direction: a Hebrew one reads right to left.
             + f'>\n<h2 dir="auto">{html.escape(title)}</h2>\n'
             f'<p class="meta">{" · ".join(meta)}</p>\n']
    if post.get("deleted_at"):
        parts.append(f'<p class="deleted">Deleted from the site (found gone on '
                     f"{html.escape(_date(post['deleted_at']))}); kept in the archive.</p>\n")
    terms = [f"{label}: {html.escape(', '.join(post[key]))}"
             for key, label in (("categories", "Categories"), ("tags", "Tags")) if post.get(key)]
    if terms:
        parts.append(f'<p class="terms">{" · ".join(terms)}</p>\n')
    cover = post.get("cover_image")
    if cover and cover in local and cover not in (post.get("body_html") or ""):
        parts.append(f'<p><img src="{local[cover]}" alt=""></p>\n')
    parts.append(_body(post, local))
    parts.append('\n<p class="top"><a href="#contents">Back to the list of posts</a></p>\n'
                 "</article>\n")
    return "".join(parts)


def write(posts: Iterable[dict[str, Any]], out: TextIO,
          image: Callable[[str], tuple[bytes, str | None] | None],
          names: Iterable[dict[str, Any]] = ()) -> Written:
    """Write the posts as one HTML page to `out`; `image` gives an archived image's bytes and
    Content-Type (None when not archived); `names` (source.post_names) the posts exported, so
    that a link to one points within the page. The page is named after the posts' sites (not
    the sites asked for: an archive keeps the sites of crawls that found nothing too)."""
    found = anchors(names)
    entries: list[_Entry] = []
    sites: dict[str, str] = {}  # site URL -> its name, as the posts give them
    images = 0
    archived = _Images(image)
    with tempfile.SpooledTemporaryFile(SPOOL_BYTES, mode="w+", encoding="utf-8") as body:
        for raw in posts:
            post = safe_post(raw)
            if post.get("body_html") and found:
                post["body_html"] = _link_posts(post["body_html"], found)
            # Read here for their type and bytes, and again as they are written.
            local: dict[str, str] = {}
            for url in dict.fromkeys([*(post.get("images") or []), post.get("cover_image")]):
                if url and (slot := archived.slot(url)):
                    local[url] = slot
            images += len(local)
            if post.get("site"):
                sites.setdefault(post["site"], post.get("site_name") or post["site"])
            anchor = f"post-{post['id']}"
            article = _article(post, anchor, local)
            archived.count(article)
            body.write(article)
            entries.append(_Entry(anchor, _title(post),
                                  _date(post.get("published")), post.get("author") or "",
                                  bool(post.get("deleted_at"))))
        heading = ", ".join(dict.fromkeys(sites.values())) or "Archived blog"
        out.write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
                  '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                  f"<title>{html.escape(heading)}</title>\n<style>{STYLE}</style>\n")
        archived.write_rules(out)
        out.write(f"</head>\n<body>\n<header>\n<h1>{html.escape(heading)}</h1>\n")
        where = ", ".join(html.escape(site) for site in sites)
        made = datetime.now(UTC).strftime("%Y-%m-%d")
        out.write(f'<p class="intro">{len(entries)} post{"s" if len(entries) != 1 else ""} '
                  f"archived from {where or 'no site'}, exported by wixarchive on {made}. "
                  "Search them with your browser's Find (Ctrl+F, or ⌘F on a Mac).</p>\n"
                  '</header>\n<nav id="contents">\n<h2>Posts</h2>\n<ol>\n')
        for entry in entries:
            details = html.escape(" · ".join(filter(None, [entry.date, entry.author])))
            out.write(f'<li><a href="#{entry.anchor}" dir="auto">{html.escape(entry.title)}</a>'
                      + (f' <span class="meta">{details}</span>' if details else "")
                      + (' <span class="deleted">deleted from the site</span>'
                         if entry.deleted else "") + "</li>\n")
        out.write("</ol>\n</nav>\n<main>\n")
        body.seek(0)
        archived.copy(body, out)
        out.write("</main>\n</body>\n</html>\n")
    return Written(len(entries), images)

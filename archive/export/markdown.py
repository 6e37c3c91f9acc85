"""Markdown files with YAML front matter, one per post, for static-site generators.

By default each post is a Hugo leaf page bundle: OUT/<site>/<YYYY-MM-DD>-<slug>/index.md, its
archived images and files in images/ and files/ beside it. Its relative links then work both
from disk (GitHub, Obsidian, a file viewer) and once Hugo (or Jekyll, building it as a page)
publishes the post at its folder's URL. `flat=True` writes the earlier layout,
OUT/<site>/<YYYY-MM-DD>-<slug>.md (Jekyll's `_posts` naming) beside one images/ and files/
folder per site, whose links work from disk and with Hugo's `uglyURLs` only
(docs/datasette-and-exports.md, "Markdown"). Links to another exported post of the same site
point at its file. Names are made safe and unique by `archive.export.filenames`, bodies and URLs
safe by `archive.export.safe_post` and `archive.sanitize.sanitize_markdown`; the folder's
manifest (`archive.export.manifest`) says what a re-export changed and removed.
Front matter values are written as JSON scalars and flow lists, which are valid YAML, so no
YAML library is needed to write them and any YAML parser reads them back.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from archive.export import full_size, safe_post
from archive.export.filenames import Folder, safe_name
from archive.export.safe_copies import safe_copy
from archive.iri import display_url
from archive.sanitize import safe_url, sanitize_markdown, sanitize_markdown_value
from archive.search.languages import looks_like_code
from crawler.discover.urls import blog_move_key

IMAGES = "images"  # the folder beside a post (flat: a site's posts) holding archived images
FILES = "files"  # the same for the videos and documents fetched on request
_LINK_TEXT_MARKS = re.compile(r"[][\\`*_<>]")  # what a file name must escape in link text
PAGE = "index.md"  # a bundle's page: Hugo's leaf bundle, Jekyll's folder index
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
# Where a right-to-left block's <div> lines would end the list, quote or table they are in.
_NO_DIRECTION_IN = frozenset({"li", "ul", "ol", "blockquote", "table", "td", "th"})


def _escape_char(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def yaml_value(value: Any) -> str:
    """A YAML scalar or flow list; characters YAML forbids unescaped become \\u escapes."""
    text = json.dumps(value, ensure_ascii=False)
    if text.isprintable():  # the common case: no control, format or unassigned character
        return text
    return "".join(_escape_char(ch) if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co",
                                                                    "Cn", "Zl", "Zp")
                   else ch for ch in text)


def slug(url: str) -> str:
    """The post's slug: the last segment of its URL path, decoded."""
    path = urlsplit(url).path.rstrip("/")
    return unquote(path.rsplit("/", 1)[-1]) or "post"


# What a URL path reads as the start of its query or fragment, or an escape.
_URL_MARKS = re.compile(r"[?#%]+")


def page_slug(url: str) -> str:
    """The slug a static-site generator publishes the post at (front matter's `slug`): the
    URL's last segment decoded, made one plain name (safe_name: no "/" or "..", and "?", "#"
    and "%" made "-"). It is the site's text: Hugo given `../../index` published the post
    over the built site's home page, `a/b` inside another folder, `..` nowhere; and Hugo
    publishes a slug `index` as the folder's own page, over the list of the site's posts."""
    name = safe_name(_URL_MARKS.sub("-", slug(url)), "post")
    return f"{name}-post" if name.split(".", 1)[0].lower() == "index" else name


def site_folder(site_url: str) -> str:
    parts = urlsplit(site_url)
    return safe_name((parts.netloc + parts.path.rstrip("/")).replace("/", "-"), "site")


def file_stem(post: dict[str, Any]) -> str:
    """<date>-<slug> (or <slug> for an undated post), without the extension; a post dated by
    its month or year alone by that one's first day, as its front matter `date` (Jekyll takes
    a file of `_posts` only as <YYYY-MM-DD>-<slug>: `june.md` was no post)."""
    base = safe_name(slug(post["url"]), "post")
    date = _file_date(post)
    return f"{date}-{base}" if date else base


def _file_date(post: dict[str, Any]) -> str | None:
    """The <YYYY-MM-DD> a post's file is named by; None for an undated post."""
    date = (_generator_date(post.get("published")) or "")[:10]
    return date if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else None


def body(post: dict[str, Any]) -> str:
    """The stored Markdown; converted from the HTML (markdownify) only when it is missing."""
    text = post.get("body_markdown") or ""
    if not text.strip() and (post.get("body_html") or "").strip():
        text = _from_html(post["body_html"])
    if not text.strip():
        text = post.get("body") or ""
    # Last, on whichever text was chosen: markdownify's output or plain text can hold "<".
    return sanitize_markdown(full_size(text.strip()))


def _from_html(html_text: str) -> str:
    """Markdown of a body stored as HTML only, written as the extractor writes it: code fenced
    longer than any backtick run in it, <u>/<sup>/<sub> kept as tags (crawler.extract.body)."""
    from markdownify import MarkdownConverter

    from crawler.extract.body import MD_DIRECTION_CLOSE, MD_DIRECTION_OPEN, md_fence

    def directed(el: Any, markdown: str, parent_tags: set[str], items: bool = False) -> str:
        """A right-to-left block (dir="rtl" or "auto", on a list or one of its items) in the
        <div> lines the extractor writes for one: markdownify drops `dir`, and Hebrew or
        Arabic then reads left to right. Not inside a list, quote or table, which it would
        end."""
        marked = [el, *(el.find_all("li", recursive=False) if items else [])]
        if parent_tags & _NO_DIRECTION_IN or not markdown.strip() or \
                not any((node.get("dir") or "").lower() in ("rtl", "auto") for node in marked):
            return markdown
        inner = markdown.strip("\n")
        return f"\n\n{MD_DIRECTION_OPEN}\n\n{inner}\n\n{MD_DIRECTION_CLOSE}\n\n"

    class Converter(MarkdownConverter):  # type: ignore[misc]
        def convert_p(self, el: Any, text: str, parent_tags: set[str]) -> str:
            return directed(el, super().convert_p(el, text, parent_tags), parent_tags)

        def convert_hN(self, n: int, el: Any, text: str, parent_tags: set[str]) -> str:
            return directed(el, super().convert_hN(n, el, text, parent_tags), parent_tags)

        def convert_blockquote(self, el: Any, text: str, parent_tags: set[str]) -> str:
            return directed(el, super().convert_blockquote(el, text, parent_tags), parent_tags)

        def convert_list(self, el: Any, text: str, parent_tags: set[str]) -> str:
            return directed(el, super().convert_list(el, text, parent_tags), parent_tags,
                            items=True)

        convert_ul = convert_ol = convert_list

        def convert_pre(self, el: Any, text: str, parent_tags: set[str]) -> str:
            return f"\n\n{md_fence(text.strip(chr(10)))}\n\n" if text else ""

        def convert_u(self, el: Any, text: str, parent_tags: set[str]) -> str:
            return f"<u>{text}</u>" if text.strip() else text

        def escape(self, text: str, parent_tags: set[str]) -> str:
            # Words that look like a tag stay words beside the tags kept (sanitize_markdown).
            return _TAG_START.sub("&lt;", super().escape(text, parent_tags))

    return Converter(heading_style="ATX", sup_symbol="<sup>", sub_symbol="<sub>") \
        .convert(html_text).strip()


def _inline(text: str | None) -> str | None:
    """A text field as front matter holds it: `pandoc -s` reads each value as Markdown and
    Jekyll themes print `{{ page.title }}` raw, so a tag or a javascript: link in a title
    would run there, while Hugo's `{{ .Title }}` prints the value as text."""
    return sanitize_markdown_value(text) if text else text


def _language(value: str | None) -> str | None:
    """The post's language code when it reads as one (en, pt-BR), else None (left out; the
    JSON lines export keeps it as archived): it is the page's `lang` attribute, any text,
    and a Jekyll theme prints `<html lang="{{ page.language }}">` raw, where
    `en" onmouseover="…` would set an attribute; a code holds no character that could."""
    return value.strip() if value and looks_like_code(value) else None


# A month or a year alone, as a page may give its date (kept so: docs/fields.md).
_PARTIAL_DATE = re.compile(r"\d{4}(-\d{2})?")
_PRECISION = {4: "year", 7: "month"}


def _generator_date(value: str | None) -> str | None:
    """A date as Jekyll and Hugo read one: a month or a year alone from its first day (as the
    WordPress export dates it), where `2024-06` stopped Jekyll's build ("Invalid date") and
    Hugo read it as no date (0001-01-01); anything else as archived."""
    if value and _PARTIAL_DATE.fullmatch(value):
        return value + "-01" * ((10 - len(value)) // 3)
    return value


def front_matter(post: dict[str, Any], given_slug: str | None = None) -> dict[str, Any]:
    """`given_slug`: the slug `Pages` gave the post, unique in its site's folder (else the
    URL's, made safe: `page_slug`)."""
    fields: dict[str, Any] = {
        "title": _inline(post.get("title")) or "",
        "date": _generator_date(post.get("published")),
        # How much of `date` the page gave, when not a day: "month" (2024-06) or "year".
        "date_precision": _PRECISION[len(published)] if (
            published := post.get("published")) and _PARTIAL_DATE.fullmatch(published) else None,
        "lastmod": _generator_date(post.get("modified")),
        "author": _inline(post.get("author")),
        "description": _inline(post.get("description")),
        "slug": given_slug or page_slug(post["url"]),
        "tags": [_inline(tag) for tag in post.get("tags") or []],
        "categories": [_inline(name) for name in post.get("categories") or []],
        "language": _language(post.get("language")),
        "cover_image": full_size(post["cover_image"]) if post.get("cover_image") else None,
        "images": [full_size(url) for url in post.get("images") or []],
        # Videos and documents: the local copy's relative path when archived, else the URL.
        "videos": _attached(post, "video"),
        "documents": _attached(post, "document"),
        # Readable, as the page showed them: a non-Latin slug decoded (archive/iri.py).
        "original_url": display_url(safe_url(post["url"]) or "") or None,
        "canonical_url": display_url(post["canonical_url"]) if post.get("canonical_url")
        else None,
        "site": post.get("site"),
        # Where the text came from when `wixarchive recover` fetched it from a web archive: the
        # capture's page there (its Wayback URL), what a citation names.
        "recovered_from": safe_url(recovered.get("capture_url")) or None if (
            recovered := post.get("recovered")) else None,
        # A post deleted from its site stays a draft: the archive keeps it, a site should not
        # republish it without a decision.
        "draft": bool(post.get("deleted_at")),
        "deleted_at": post.get("deleted_at"),
        "archive_id": post.get("id"),
        "archive_version": post.get("version"),
        # Jekyll (4.0 and later) runs no Liquid in the post: a Wix post's "{% nosuch %}" would
        # fail its build, "{{ site.x }}" run. Hugo ignores the key. (Jekyll 3: see
        # docs/datasette-and-exports.md.)
        "render_with_liquid": False,
    }
    return {key: value for key, value in fields.items()
            if value is not None and (value or key not in ("videos", "documents"))}


def _attached(post: dict[str, Any], kind: str) -> list[str]:
    return [href for item in post.get("attachments") or [] if item["kind"] == kind
            and (href := item.get("local") or safe_url(item["url"]))]


def render(post: dict[str, Any], given_slug: str | None = None) -> str:
    """One post as a Markdown document with front matter."""
    post = safe_post(post, markdown=False)  # body() sanitizes the Markdown it settles on
    lines = ["---"] + [f"{key}: {yaml_value(value)}"
                       for key, value in front_matter(post, given_slug).items()]
    return "\n".join([*lines, "---", "", body(post) + _attachment_list(post), ""])


def _attachment_list(post: dict[str, Any]) -> str:
    """The videos and documents the body does not link already (a player shows no link in
    the page's HTML), as a list after it; archived ones link their local copy."""
    text = post.get("body_markdown") or ""
    lines = []
    for item in post.get("attachments") or []:
        href = item.get("local") or safe_url(item["url"])
        if href and href not in text and item["url"] not in text:
            label = "Video" if item["kind"] == "video" else "Document"
            # "{" percent-encoded: "{{%" would open a Hugo shortcode, "{%" a Liquid tag.
            lines.append(f"- {label}: " + (_local_link(item) if item.get("local")
                                           else f"<{href.replace('{', '%7B')}>"))
    return "\n\n" + "\n".join(lines) if lines else ""


def _local_link(item: dict[str, Any]) -> str:
    """A Markdown link to an attachment's local copy, named by the site's file name: a relative
    path is no autolink (`<files/a.mp4>` has no scheme, and would show as text)."""
    name = unquote(urlsplit(item["url"]).path.rstrip("/").rsplit("/", 1)[-1]) or item["local"]
    label = _LINK_TEXT_MARKS.sub(r"\\\g<0>", name).replace("{", "&#123;")  # no shortcode
    return f"[{label}]({item['local']})"


def image_name(url: str, data: bytes) -> str:
    """A file name for an image: the start of its content digest (one file per content, however
    many posts use it) and its original name's extension (before `safe_copy` has its say)."""
    extension = Path(urlsplit(url).path).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,5}", extension):
        extension = ""
    return hashlib.sha1(data).hexdigest()[:16] + extension


def localize(post: dict[str, Any], out: Folder, directory: str,
             image: Callable[[str], bytes | None]) -> tuple[dict[str, Any], int]:
    """The post with its archived images written to `directory`/images/ of `out` (once per
    content; an SVG cleaned, markup never under an image's name: `safe_copy`) and linked
    relatively, by the full-size URL the archive holds, and the number of image files written;
    images not archived keep their URL."""
    urls = [u for u in [post.get("cover_image"), *(post.get("images") or [])] if u]
    local: dict[str, str] = {}
    copies = 0
    for url in dict.fromkeys(full_size(u) for u in urls):
        data = image(url)
        if data is None:
            continue
        name, data = safe_copy(image_name(url, data), data)
        if out.first(f"{directory}/{IMAGES}/{name}"):
            out.write_bytes(out.root / directory / IMAGES / name, data)
            copies += 1
        local[url] = f"{IMAGES}/{name}"
    if not local:
        return post, copies
    text = body(post)
    for url, path in local.items():
        text = text.replace(url, path)
    return {**post, "body_markdown": text,
            "cover_image": local.get(full_size(post.get("cover_image") or ""),
                                     post.get("cover_image")),
            "images": [local.get(full_size(u), u) for u in post.get("images") or []]}, copies


def localize_attachments(post: dict[str, Any], out: Folder, directory: str,
                         fetched: Callable[[str], bytes | None]) -> tuple[dict[str, Any], int]:
    """The post with its archived videos and documents written to `directory`/files/ (once
    per content) and linked relatively from the body and its front matter, and the number of
    files written."""
    items = []
    copies = 0
    text = post.get("body_markdown") or ""
    for item in post.get("attachments") or []:
        data = fetched(item["url"]) if item.get("status") == "stored" else None
        if data is not None:
            name, data = safe_copy(image_name(item["url"], data), data)
            if out.first(f"{directory}/{FILES}/{name}"):
                out.write_bytes(out.root / directory / FILES / name, data)
                copies += 1
            item = {**item, "local": f"{FILES}/{name}"}
            # An autolink of the URL becomes a link; any other mention takes the path.
            text = text.replace(f"<{item['url']}>", _local_link(item))
            text = text.replace(item["url"], item["local"])
        items.append(item)
    return {**post, "attachments": items, "body_markdown": text}, copies


def earlier_mark(post: dict[str, Any]) -> bytes:
    """The front matter line that makes a file in the post's place an earlier export of that
    post (front_matter's `archive_id`, in every version's export): written over."""
    return f"\narchive_id: {yaml_value(post.get('id'))}\n".encode()


@dataclass
class Written:
    """What `write` did: posts, and image and video/document copies, in the folder (what it
    did to the folder's files is the Folder's `changes`)."""

    posts: int
    images: int
    files: int
    earlier_layout: int  # flat files of an export before bundles (no manifest lists them)
    # Flat: the files of undated posts (<site>/<slug>.md), which Jekyll's _posts skips.
    undated: list[str]


def link_key(url: str) -> str | None:
    """What a link and a post URL share when they name the same post: host and decoded path,
    whatever the scheme (http/https), query, fragment, trailing slash or percent-encoding."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return parts.netloc.lower() + unicodedata.normalize("NFC", unquote(parts.path)).rstrip("/")


# What Hugo keeps of a slug besides letters, digits and marks (its UnicodeSanitize, 0.111).
_HUGO_KEEPS = frozenset("._#+~-@")
_HUGO_ESCAPE = re.compile("%[0-9A-Fa-f]{2}")


def _published_as(directory: str, page_slug: str) -> str:
    """What Hugo publishes a slug of a site's folder as (/<site>/<slug>/), as the hugo binary
    (0.111) does: lowercased (its default `disablePathToLower = false`), anything but letters,
    digits, marks, . _ # + ~ - @ and a %XX escape dropped (an emoji, an apostrophe: spring-🌸
    and spring-🌼 both at /spring-/), and a run of spaces one hyphen, none beside a hyphen
    (`jam - toast` and `jam  toast` at /jam-toast/, `jam ` at /jam-/)."""
    slug = unicodedata.normalize("NFC", page_slug)
    name: list[str] = []
    hyphen_due = after_hyphen = False
    for at, ch in enumerate(slug):
        if ch in _HUGO_KEEPS or unicodedata.category(ch)[0] in "LM" \
                or unicodedata.category(ch) == "Nd" or _HUGO_ESCAPE.match(slug, at):
            after_hyphen = ch == "-"
            if hyphen_due and not after_hyphen:
                name.append("-")
            hyphen_due = False
            name.append(ch)
        elif ch.isspace() and not after_hyphen:
            hyphen_due = True
    return f"{directory}/{''.join(name).lower()}{'-' if hyphen_due else ''}"


def moved_key(url: str) -> str | None:
    """What an old Wix blog post URL (/single-post/YYYY/MM/DD/<Slug>, which a post written
    before Wix moved its blog links to) and the /post/<slug> Wix moved it to share
    (crawler.discover.urls.blog_move_key: host, root, slug case-folded); None for another
    URL."""
    found = blog_move_key(url)
    return "moved " + "/".join(found[1]) if found else None


class Pages:
    """Each post's file and slug, claimed before any is written so that a post can link to one
    written after it; kept in a temporary SQLite file (flat memory, as `Folder`).

    The slug is the URL's last segment, unless an earlier post of the site's folder has one
    Hugo publishes at the same URL (slugs differing in case, which Hugo lowercases; one slug
    under two paths of the site, /post/calm and /fr/post/calm): Hugo would write one page
    over the other without a word, so the one stored later (claims come in id order,
    source.post_names) gets its post id appended, as its folder does."""

    def __init__(self, out: Folder, flat: bool) -> None:
        self.out = out
        self.flat = flat
        self.db = sqlite3.connect("", isolation_level=None)
        self.db.execute("CREATE TABLE pages (id INTEGER PRIMARY KEY, path TEXT, slug TEXT)")
        self.db.execute("CREATE TABLE slugs (key TEXT PRIMARY KEY)")
        self.db.execute("CREATE TABLE links (key TEXT PRIMARY KEY, site TEXT, path TEXT)")
        # Each post's moved_key, for a link to its old blog URL (after the exact keys).
        self.db.execute("CREATE TABLE moves (key TEXT PRIMARY KEY, site TEXT, path TEXT)")

    def close(self) -> None:
        self.db.close()

    def claim(self, post: dict[str, Any]) -> str | None:
        """The post's page (path below the folder), claimed now; its URLs lead to it when it is
        written (`chosen`, source.post_names). A post whose file's name agrees with none
        written (not `named`) only takes its slug, which a written one's may agree with: None.
        A post not written keeps its own URL from leading to another (a link to /post/calm to
        the page of /post/Calm, whose old-blog key agrees): links to it stay the site's."""
        directory = site_folder(post.get("site") or post["url"])
        chosen = post.get("chosen", True)
        if not post.get("named", True):
            self._unique_slug(directory, post)
            relative = None
        else:
            stem, tiebreak = file_stem(post), str(post["id"])
            path = (self.out.claim(directory, stem, ".md", tiebreak) if self.flat
                    else self.out.claim(directory, stem, "", tiebreak) / PAGE)
            relative = path.relative_to(self.out.root).as_posix()
            self.db.execute("INSERT INTO pages VALUES (?, ?, ?)",
                            (post["id"], relative, self._unique_slug(directory, post)))
        if not chosen:  # not written: a link to its URL stays the site's
            if (key := link_key(post["url"])) is not None:
                self.db.execute("INSERT OR IGNORE INTO links VALUES (?, ?, NULL)",
                                (key, post.get("site")))
            return relative
        for url in (post["url"], post.get("canonical_url")):
            if url and (key := link_key(url)) is not None:
                self.db.execute("INSERT OR IGNORE INTO links VALUES (?, ?, ?)",
                                (key, post.get("site"), relative))
            if url and (key := moved_key(url)) is not None:
                self.db.execute("INSERT OR IGNORE INTO moves VALUES (?, ?, ?)",
                                (key, post.get("site"), relative))
        return relative

    def _unique_slug(self, directory: str, post: dict[str, Any]) -> str:
        wanted = page_slug(post["url"])
        candidates = [wanted, f"{wanted}-{post['id']}"]
        n = 2
        while True:
            for candidate in candidates:
                if self.db.execute("INSERT OR IGNORE INTO slugs VALUES (?)",
                                   (_published_as(directory, candidate),)).rowcount == 1:
                    return candidate
            candidates = [f"{wanted}-{post['id']}-{n}"]
            n += 1

    def slug(self, post: dict[str, Any]) -> str:
        """The slug `claim` gave the post."""
        return self.db.execute("SELECT slug FROM pages WHERE id = ?", (post["id"],)).fetchone()[0]

    def page(self, post: dict[str, Any]) -> str:
        """The page `claim` gave the post."""
        return self.db.execute("SELECT path FROM pages WHERE id = ?", (post["id"],)).fetchone()[0]

    def target(self, url: str, site: str | None) -> str | None:
        """The page of the post of `site` that `url` names, if this export writes one."""
        key = link_key(url)
        row = key and self.db.execute("SELECT site, path FROM links WHERE key = ?",
                                      (key,)).fetchone()
        if not row and (key := moved_key(url)):  # its old blog URL, or in another case
            row = self.db.execute("SELECT site, path FROM moves WHERE key = ?",
                                  (key,)).fetchone()
        return row[1] if row and row[0] == site else None


# A link's destination (`](url`, `](<url>`) or an autolink (`<url>`), http(s) only.
_POST_LINK = re.compile(r"(\]\(\s*<?)(https?://[^\s()<>]+)|<(https?://[^\s<>]+)>",
                        re.IGNORECASE)


def link_posts(text: str, page: str, site: str | None, pages: Pages) -> str:
    """`text` with each link to an exported post of `site` pointing at that post's file,
    relative to `page`; other links as they were."""
    here = posixpath.dirname(page)

    def relink(match: re.Match[str]) -> str:
        url = match.group(2) or match.group(3)
        target = pages.target(url, site)
        if target is None:
            return match.group()
        href = quote(posixpath.relpath(target, here))
        return match.group(1) + href if match.group(2) else f"[{url}]({href})"

    return _POST_LINK.sub(relink, text)


def write(posts: Iterable[dict[str, Any]], out: Folder,
          image: Callable[[str], bytes | None] | None = None, *,
          names: Iterable[dict[str, Any]], flat: bool = False) -> Written:
    """Write one file per post into `out` (a `Folder(..., by_site=True)`: leaving it removes
    the files a previous export wrote and this one does not, in the sites exported), post by
    post. With `image` (the archived bytes of an image, video or document URL, or None), the
    posts' images and files go beside them. `names`: every post's id, url, canonical_url,
    published and site (all of `posts`, and with `"chosen": False` posts a filter leaves out
    that may share one's name: their names are taken in turn, not linked to), given first so
    that links between posts can point at files not written yet.

    Two posts whose names agree (one slug and date, or names differing only in case) get the
    post id, then a counter, appended.
    """
    count = images = files = earlier = 0
    undated: list[str] = []
    pages = Pages(out, flat)
    try:
        for name in names:
            pages.claim(name)
        for post in posts:
            page = pages.page(post)
            directory = posixpath.dirname(page)
            if image is not None:
                post, copies = localize(post, out, directory, image)
                images += copies
                if post.get("attachments"):
                    post, copies = localize_attachments(post, out, directory, image)
                    files += copies
            text = link_posts(render(post, pages.slug(post)), page, post.get("site"), pages)
            # The user's file in the post's place is kept, and the post not written.
            if not out.write_text(out.root / page, text, earlier=earlier_mark(post)):
                continue
            count += 1
            if flat and _file_date(post) is None:
                undated.append(page)
            if not flat:  # the same post as the flat layout wrote it, unlisted
                flat_page = f"{directory}.md"
                earlier += ((out.root / flat_page).is_file()
                            and not out.manifest.listed(flat_page))
    finally:
        pages.close()
    return Written(count, images, files, earlier, undated)

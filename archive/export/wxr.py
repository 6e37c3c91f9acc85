"""WordPress eXtended RSS (WXR 1.2): the file WordPress's importer reads (Tools > Import).

One `post` item per archived post (title, link, dates, author, content, excerpt, categories and
tags), then one `attachment` item per image (`wp:attachment_url`, the post as `wp:post_parent`,
the cover as the post's `_thumbnail_id`, the alt text the body gives the image as its
`_wp_attachment_image_alt`), so the importer's "Download and import file attachments" copies
the images, with their alt text, and points the posts at the copies. By default an attachment is
the image's full-size Wix URL; with `published` (see `write`) the archived copy of each image
is published elsewhere (`wixarchive export --format wxr --images-url BASE`), and both the
attachment and the post body name that copy: the importer replaces in post bodies exactly the
attachment URLs it downloaded, so the two must agree. A post deleted from its site is exported
as a draft.

A post's videos and documents (its `attachments`, archive.attachments.of_post) that are files
are attachment items too, after its images, the same way: the file's URL, or with `published`
the archived copy's. Their MIME type is what WordPress's importer reads from the file name's
extension (`wp_check_filetype`; WXR has no field for it), so a published copy's name keeps the
file's extension, or takes one from its content type. Player pages (YouTube, Vimeo) are no
files and never attachments. A video is a paragraph holding only its URL, which WordPress
embeds as a player (oEmbed, or its video embed for .mp4/.webm/.ogv): where the body shows it
(the extractor's paragraph linking the player, its URL as its words), in place; one the body
does not show, at the end. A document the body does not link is added as a link.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import format_datetime
from html import escape as escape_html
from html import unescape
from typing import Any, BinaryIO, NamedTuple
from urllib.parse import unquote, urlsplit

from lxml import etree
from markupsafe import escape

from archive.attachments import file_name
from archive.export import full_size, safe_post
from archive.image_alts import body_images
from archive.sanitize import IMAGE_SCHEMES, safe_url, sanitize_html
from crawler.extract.attachments import player

NS = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": "http://wordpress.org/export/1.2/",
}
WXR_VERSION = "1.2"
# XML 1.0 forbids these characters outright, even escaped (lone surrogates included).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _text(value: Any) -> str:
    return _INVALID_XML.sub("", str(value)) if value is not None else ""


@dataclass
class Head:
    """What WXR lists before the items: authors, terms, and the highest post id (attachment ids
    start after it). Collected in a first pass over light rows (`collect_head`), so the items
    can then be written one by one."""

    authors: dict[str, str] = field(default_factory=dict)  # name -> its unique login
    categories: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    max_id: int = 0


def collect_head(rows: Iterable[dict[str, Any]]) -> Head:
    """The Head of posts given as dicts with id, author, tags and categories (full posts or
    `source.post_terms` rows); memory grows with distinct authors and terms, not posts."""
    head = Head()
    logins: dict[str, int] = {}
    category_owners: dict[str, str] = {}
    tag_owners: dict[str, str] = {}
    for row in rows:
        for name in row.get("categories") or []:
            _add_term(head.categories, name, category_owners)
        for name in row.get("tags") or []:
            _add_term(head.tags, name, tag_owners)
        if row.get("author") and row["author"] not in head.authors:
            head.authors[row["author"]] = _unique(login(row["author"]), logins)
        head.max_id = max(head.max_id, row["id"])
    return head


def _add_term(terms: dict[str, str], name: str, owners: dict[str, str]) -> None:
    """`name` with its slug in `terms`, unless there. WordPress's importer knows a term by its
    slug alone, so names whose slugs agree (C++, C# and C: "c"; two emoji: "term") would
    import as the first: each gets its own (c, c-2, c-3), unless it differs from the first
    only in case (Yoga, yoga), which WordPress takes as one term too. `owners`: each slug given,
    with the name it was given to, casefolded."""
    if name in terms:
        return
    key, wanted = name.casefold(), nicename(name)
    slug, number = wanted, 1
    while owners.setdefault(slug, key) != key:
        number += 1
        slug = f"{wanted}-{number}"
    terms[name] = slug


class _Writer:
    """Streams elements through lxml's incremental writer: one item in memory at a time."""

    def __init__(self, xf: Any) -> None:
        self.xf = xf

    @contextmanager
    def node(self, tag: str, **attrs: str) -> Iterator[None]:
        with self.xf.element(tag, {k: _text(v) for k, v in attrs.items()}):
            self.xf.write("\n")
            yield
        self.xf.write("\n")

    def leaf(self, tag: str, value: Any = None, *, cdata: bool = False, **attrs: str) -> None:
        text = _text(value)
        with self.xf.element(tag, {k: _text(v) for k, v in attrs.items()}):
            if text and cdata:
                # CDATA keeps HTML readable; "]]>" inside is split across two sections.
                pieces = text.split("]]>")
                for n, piece in enumerate(pieces):
                    last = n == len(pieces) - 1
                    chunk = (">" if n else "") + piece + ("" if last else "]]")
                    if chunk:
                        self.xf.write(etree.CDATA(chunk))
            elif text:
                self.xf.write(text)
        self.xf.write("\n")


def nicename(name: str) -> str:
    """A WordPress-style slug for a term: lower case, words joined by hyphens."""
    return re.sub(r"[^\w]+", "-", name.lower()).strip("-_") or "term"


# Latin letters NFKD does not take apart, as WordPress's remove_accents() writes them.
_LATIN_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d",
                                "þ": "th", "ł": "l", "ı": "i", "ħ": "h", "ŋ": "n"})


def login(author: str) -> str:
    """An author's WordPress login: ASCII letters, digits and . @ - _ only, accents dropped
    (Jürgen Weiß: jurgen-weiss). WordPress's importer strips any other character from a login
    (sanitize_user), so a name with none left (李小龙) would import with an empty login and its
    posts go to another user: it gets author-<hash of the name>, the same in every export."""
    ascii_name = unicodedata.normalize("NFKD", author.strip().lower().translate(_LATIN_LETTERS))
    ascii_name = ascii_name.encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9_.@-]+", "-", ascii_name).strip("-._")
    return name or "author-" + hashlib.sha256(author.strip().encode()).hexdigest()[:8]


def _unique(name: str, taken: dict[str, int]) -> str:
    """`name`, or name-2, name-3 ... when another author's login is already `name`. `taken`:
    the logins given, each with the last number tried after it (no count starts over)."""
    unique, number = name, taken.get(name, 1)
    while unique in taken:
        number += 1
        unique = f"{name}-{number}"
    taken[name] = number
    taken.setdefault(unique, 1)
    return unique


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def wp_instant(value: str | None, zone: tzinfo) -> datetime | None:
    """A date as an instant, to the second (WordPress keeps no fraction); a day with no time is
    that day in `zone` from its midnight: read as midnight UTC, a site west of Greenwich would
    show the evening before. A month or a year alone (ISO 8601's reduced precision) is its
    first day."""
    day = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", (value or "").strip())
    if day:
        try:
            return datetime(int(day[1]), int(day[2] or 1), int(day[3] or 1), tzinfo=zone)
        except ValueError:
            return None
    parsed = _parse_date(value)
    return parsed.replace(microsecond=0) if parsed else None


def _wp_format(instant: datetime | None, zone: tzinfo) -> tuple[str, str]:
    """An instant as WordPress writes one: in `zone`, the WordPress site's (its `post_date`,
    the local time it shows), and in UTC (`post_date_gmt`); "" for none."""
    if instant is None:
        return "", ""
    return (instant.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))


def _wp_dates(value: str | None, zone: tzinfo) -> tuple[str, str]:
    return _wp_format(wp_instant(value, zone), zone)


def _title_key(title: str) -> str:
    """A title as WordPress's database compares two (utf8mb4_unicode_ci: any case, accents
    ignored, spaces around trimmed), so titles it takes for one share a key."""
    letters = unicodedata.normalize("NFKD", title.strip())
    return "".join(c for c in letters if not unicodedata.combining(c)).casefold()


# How far back an item's date is remembered (Identities): the export comes in order of the
# posts' `published` text, whose offsets (up to 14 hours) can put a later item's instant up to a
# day before an earlier one's.
_REMEMBERED = timedelta(days=2)


class Identities:
    """Gives each item a `post_date` WordPress's importer tells apart from the file's others.

    The importer skips an item as "already exists" when post_exists(title, "", post_date,
    post_type) finds one: an item of that type with its title at that date (any date when it
    has none; any title when it has none). So an item whose title and date an earlier item of
    its type has (two undated "Menu" posts, two posts of one title on one day, two files of
    one name on one day) is written one second later, until it is unique; the first keeps its
    date. One file (`source`: its URL) attached to two posts of one date keeps it: the
    importer's copy of the first serves both. Items come in the export's order (post date,
    then id), so the same selection gets the same dates in every export; a filtered export is
    given the posts it leaves out too (`write`'s `every_post`), so its items get the dates the
    whole export gives them.

    `post_date` is the WordPress site's local time (`zone`), so dates are told apart as it
    shows them: the two instants an hour apart that the autumn's repeated hour writes alike
    (02:30 CEST and 02:30 CET) are one date to the importer.

    Only the items of the last two days before the latest one are remembered: the writer's
    memory stays flat however many posts (remembering every item, the export of 100,000
    posts peaked at 116 MB against 43 MB for 10,000; docs/benchmarks.md). An item dated more
    than two days before (an undated post, dated by its first capture, comes after the dated
    ones) is told apart from the items remembered only."""

    def __init__(self, zone: tzinfo = UTC) -> None:
        self.zone = zone
        # Keyed by the local time WordPress compares (naive, in `zone`).
        self.taken: dict[tuple[str, str, datetime], str | None] = {}
        self.dates: dict[tuple[str, datetime], int] = {}  # items of a kind at a local time
        self.order: deque[tuple[datetime, str, str, datetime]] = deque()  # as taken
        self.latest: datetime | None = None

    def unique(self, kind: str, title: str, instant: datetime,
               source: str | None = None) -> datetime:
        self._forget_before(instant)
        key = _title_key(title)
        while True:
            local = instant.astimezone(self.zone).replace(tzinfo=None)
            if (kind, key, local) in self.taken:
                if source is not None and self.taken[kind, key, local] == source:
                    return instant
            elif key or (kind, local) not in self.dates:
                break
            # An untitled item matches any item of its date; one second on is another date.
            instant += timedelta(seconds=1)
        self.taken[kind, key, local] = source
        self.dates[kind, local] = self.dates.get((kind, local), 0) + 1
        self.order.append((instant, kind, key, local))
        return instant

    def _forget_before(self, instant: datetime) -> None:
        if self.latest is None or instant > self.latest:
            self.latest = instant
        horizon = self.latest - _REMEMBERED
        while self.order and self.order[0][0] < horizon:
            _, kind, key, local = self.order.popleft()
            del self.taken[kind, key, local]
            left = self.dates.pop((kind, local)) - 1
            if left:
                self.dates[kind, local] = left


def content_html(post: dict[str, Any]) -> str:
    """The body as sanitized HTML with full-size image URLs (paragraphs of text as fallback)."""
    html = post.get("body_html") or ""
    if not html.strip():
        from markupsafe import escape

        html = "".join(f"<p>{escape(p.strip())}</p>"
                       for p in (post.get("body") or "").split("\n\n") if p.strip())
    return full_size(sanitize_html(html))


def _post_name(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def _channel_head(w: _Writer, sites: list[dict[str, Any]], head: Head) -> None:
    one = sites[0] if len(sites) == 1 else None
    site_link = (safe_url(one["site"]) or "") if one else ""
    w.leaf("title", (one and (one["name"] or one["site"])) or "wixarchive export")
    w.leaf("link", site_link)
    w.leaf("description", "Exported from a wixarchive archive")
    w.leaf("pubDate", format_datetime(datetime.now(UTC), usegmt=True))
    w.leaf(_q("wp", "wxr_version"), WXR_VERSION)
    w.leaf(_q("wp", "base_site_url"), site_link)
    w.leaf(_q("wp", "base_blog_url"), site_link)
    for number, (author, author_login) in enumerate(head.authors.items(), start=1):
        with w.node(_q("wp", "author")):
            w.leaf(_q("wp", "author_id"), number)
            w.leaf(_q("wp", "author_login"), author_login, cdata=True)
            w.leaf(_q("wp", "author_display_name"), author, cdata=True)
    for number, (name, slug) in enumerate(head.categories.items(), start=1):
        with w.node(_q("wp", "category")):
            w.leaf(_q("wp", "term_id"), number)
            w.leaf(_q("wp", "category_nicename"), slug)
            w.leaf(_q("wp", "category_parent"), "")
            w.leaf(_q("wp", "cat_name"), name, cdata=True)
    for number, (name, slug) in enumerate(head.tags.items(), start=1):
        with w.node(_q("wp", "tag")):
            w.leaf(_q("wp", "term_id"), number)
            w.leaf(_q("wp", "tag_slug"), slug)
            w.leaf(_q("wp", "tag_name"), name, cdata=True)


def html_text(text: str) -> str:
    """Text as HTML that shows it: "&", "<" and ">" as references, quotes as they are (which
    WordPress curls as it does a title typed in)."""
    return escape_html(text, quote=False)


def _item(w: _Writer, post: dict[str, Any], head: Head, thumbnail_id: int | None,
          moved: dict[str, str], files: list[dict[str, Any]], zone: tzinfo,
          dated: datetime | None) -> None:
    """The post's item; `dated`: its `post_date` (Identities.unique's)."""
    published = _parse_date(post.get("published"))
    with w.node("item"):
        # WordPress reads a title and an excerpt as HTML (the_title, the_excerpt), and keeps
        # them as imported for an administrator (no kses): a Wix post's are text, written so.
        w.leaf("title", html_text(post.get("title") or ""))
        w.leaf("link", safe_url(post["url"]) or "")
        w.leaf("pubDate", format_datetime(published, usegmt=True) if published else "")
        author = post.get("author")
        # The login the head gave this author: unique, so a suffixed one (name-2) is kept.
        w.leaf(_q("dc", "creator"), head.authors[author] if author else "", cdata=True)
        w.leaf("guid", post["url"], isPermaLink="false")
        w.leaf("description", "")
        content = _videos_in_place(content_html(post), files)
        content += _unshown(content, files)
        for url, copy in moved.items():
            content = content.replace(url, copy)
        w.leaf(_q("content", "encoded"), content, cdata=True)
        w.leaf(_q("excerpt", "encoded"), html_text(post.get("description") or ""),
               cdata=True)
        w.leaf(_q("wp", "post_id"), post["id"])
        # WordPress shows and orders posts by post_date, the site's local time.
        date, date_gmt = _wp_format(dated, zone)
        modified, modified_gmt = _wp_dates(post.get("modified"), zone)
        if not modified or (dated is not None and modified < date):
            modified, modified_gmt = date, date_gmt
        w.leaf(_q("wp", "post_date"), date, cdata=True)
        w.leaf(_q("wp", "post_date_gmt"), date_gmt, cdata=True)
        w.leaf(_q("wp", "post_modified"), modified, cdata=True)
        w.leaf(_q("wp", "post_modified_gmt"), modified_gmt, cdata=True)
        w.leaf(_q("wp", "comment_status"), "closed", cdata=True)
        w.leaf(_q("wp", "ping_status"), "closed", cdata=True)
        w.leaf(_q("wp", "post_name"), _post_name(post["url"]), cdata=True)
        w.leaf(_q("wp", "status"), "draft" if post.get("deleted_at") else "publish", cdata=True)
        w.leaf(_q("wp", "post_parent"), 0)
        w.leaf(_q("wp", "menu_order"), 0)
        w.leaf(_q("wp", "post_type"), "post", cdata=True)
        w.leaf(_q("wp", "post_password"), "", cdata=True)
        w.leaf(_q("wp", "is_sticky"), 0)
        for domain, names, slugs in (("category", post.get("categories") or [], head.categories),
                                     ("post_tag", post.get("tags") or [], head.tags)):
            for name in names:
                # A term missing from the head (a caller's head from other posts) still gets
                # its slug.
                w.leaf("category", name, cdata=True, domain=domain,
                       nicename=slugs.get(name) or nicename(name))
        if thumbnail_id is not None:
            with w.node(_q("wp", "postmeta")):
                w.leaf(_q("wp", "meta_key"), "_thumbnail_id", cdata=True)
                w.leaf(_q("wp", "meta_value"), thumbnail_id, cdata=True)
        if (recovered := post.get("recovered")) \
                and (capture := safe_url(recovered.get("capture_url"))):
            # Where its text came from (`wixarchive recover`: the web archive's capture, what
            # a citation names), as the other exports say it, named as in the Markdown front
            # matter: a custom field the importer keeps with the post (the editor's Custom
            # Fields), not shown to its readers.
            with w.node(_q("wp", "postmeta")):
                w.leaf(_q("wp", "meta_key"), "recovered_from", cdata=True)
                w.leaf(_q("wp", "meta_value"), capture, cdata=True)


# The extractor shows a video where the post has it: a paragraph holding only a link to the
# player or file, its URL as its words.
_LINK_PARAGRAPH = re.compile(r'<p><a href="([^"<>]+)"[^>]*>([^<]*)</a></p>')


def _videos_in_place(content: str, files: list[dict[str, Any]]) -> str:
    """Each video's paragraph made its bare URL (the video page's, for a YouTube or Vimeo
    player), which WordPress embeds there: as a link it showed no player, and _unshown added
    the player at the end of the post, out of its place."""
    videos = {item["url"] for item in files if item["kind"] == "video"}
    if not videos:
        return content

    def bare(match: re.Match[str]) -> str:
        if match.group(1) != match.group(2):  # a link with words of its own stays a link
            return match.group(0)
        href = unescape(match.group(1))
        page = player(href)
        url = page["url"] if page else href
        return f"<p>{escape(url)}</p>" if url in videos else match.group(0)

    return _LINK_PARAGRAPH.sub(bare, content)


def _unshown(content: str, files: list[dict[str, Any]]) -> str:
    """Paragraphs for the videos and documents `content` does not name: a video (file or
    player page) as its bare URL, which WordPress embeds; a document as a link."""
    paragraphs = []
    for item in files:
        url = item["url"]
        if escape(url) in content or url in content:
            continue
        if item["kind"] == "video":
            paragraphs.append(f"<p>{escape(url)}</p>")
        else:
            paragraphs.append(f'<p><a href="{escape(url)}">{escape(file_name(url) or url)}</a></p>')
    return "\n" + "\n".join(paragraphs) if paragraphs else ""


def attachment_title(url: str, kind: str) -> str:
    """An attachment's title (and WordPress's name for it): its file's name; for a URL that
    names none (a path ending in /), its kind (image, video, document) and the start of the
    URL's digest, the same in every export. It was `image-<attachment id>`, and the ids
    follow the posts exported: a filtered export titled the file otherwise than the whole one,
    so WordPress holding the whole export's copy took the part's for another file."""
    return file_name(url) or f"{kind}-{hashlib.sha1(url.encode('utf-8')).hexdigest()[:12]}"


def _attachment(w: _Writer, attachment_id: int, parent: dict[str, Any], url: str,
                original: str, kind: str, zone: tzinfo, dated: datetime | None,
                identities: Identities, alt: str | None = None) -> None:
    """An attachment item of `parent`, dated as it is (`dated`), unless another file of its
    name is (Identities)."""
    name = attachment_title(original, kind)
    with w.node("item"):
        w.leaf("title", name)
        w.leaf("link", url)
        w.leaf("guid", url, isPermaLink="false")
        w.leaf(_q("wp", "post_id"), attachment_id)
        if dated is not None:
            dated = identities.unique("attachment", name, dated, original)
        date, date_gmt = _wp_format(dated, zone)
        w.leaf(_q("wp", "post_date"), date, cdata=True)
        w.leaf(_q("wp", "post_date_gmt"), date_gmt, cdata=True)
        w.leaf(_q("wp", "post_name"), nicename(name), cdata=True)
        w.leaf(_q("wp", "status"), "inherit", cdata=True)
        w.leaf(_q("wp", "post_parent"), parent["id"])
        w.leaf(_q("wp", "post_type"), "attachment", cdata=True)
        w.leaf(_q("wp", "attachment_url"), url, cdata=True)
        if alt:  # WordPress's alt text of an image (Media Library "Alternative Text")
            with w.node(_q("wp", "postmeta")):
                w.leaf(_q("wp", "meta_key"), "_wp_attachment_image_alt", cdata=True)
                w.leaf(_q("wp", "meta_value"), alt, cdata=True)


def image_urls(post: dict[str, Any]) -> list[str]:
    """The post's full-size image URLs, cover first, each once, http(s) only."""
    urls = [full_size(u) for u in post.get("images") or []]
    cover = full_size(post["cover_image"]) if post.get("cover_image") else None
    if cover and cover not in urls:
        urls.insert(0, cover)
    return [u for u in dict.fromkeys(urls) if safe_url(u, IMAGE_SCHEMES)]


def attached_files(post: dict[str, Any]) -> list[dict[str, Any]]:
    """The post's videos and documents with an http(s) URL, players included."""
    return [item for item in post.get("attachments") or []
            if safe_url(item["url"], IMAGE_SCHEMES) and "://" in item["url"]]


class Written(NamedTuple):
    """What `write` wrote: posts; attachment items for images and for videos and documents;
    how many of each point at a published archived copy."""

    posts: int
    images: int
    copies: int
    files: int
    file_copies: int


def _dated(identities: Identities, post: dict[str, Any], zone: tzinfo) -> datetime | None:
    """The post's `post_date` (Identities.unique's). A post with no date (or none that reads
    as one) is dated when the archive first captured it: undated, WordPress's importer would
    take any post of its title for it."""
    dated = (wp_instant(post.get("published"), zone)
             or wp_instant(post.get("first_seen"), zone))
    if dated is None:
        return None
    return identities.unique("post", html_text(post.get("title") or ""), dated)


def _left_out(identities: Identities, post: dict[str, Any], zone: tzinfo) -> None:
    """Takes the dates a post a filter leaves out gives its items in the whole export, so the
    items written after it get those the whole export gives them."""
    post = safe_post(post)
    dated = _dated(identities, post, zone)
    if dated is None:
        return
    files = [(item["url"], item["kind"]) for item in attached_files(post) if item["is_file"]]
    for url, kind in [*((url, "image") for url in image_urls(post)), *files]:
        identities.unique("attachment", attachment_title(url, kind), dated, url)


def write(posts: Iterable[dict[str, Any]], out: BinaryIO, *, sites: list[dict[str, Any]],
          head: Head, published: Callable[[str], str | None] | None = None,
          zone: tzinfo = UTC, every_post: Iterable[dict[str, Any]] | None = None) -> Written:
    """Write the WXR document, post by post; returns what it wrote (`Written`).

    WXR lists authors and terms before the items: `head` (from `collect_head`, over a first
    light pass) gives them, so `posts` is read once, lazily, one post in memory at a time.
    `published` maps an image's full-size URL, or a video's or document's URL, to the URL of
    its archived copy (None when it is not archived: the attachment keeps the original URL).
    A post's `attachments` (archive.attachments.of_post rows; only those whose `status` is
    "stored" are asked of `published`) add its videos and documents. `zone`: the WordPress
    site's time zone, which each `post_date` is written in (WordPress shows it as local time).
    `every_post`: for a filtered export, every post of its sites in the order of `posts`, each
    saying whether it is `chosen` (source.posts_dated): those left out date the items as the
    whole export does, so a part of the blog imported into the WordPress site the whole made
    is told apart from the posts already there.
    """
    count = images = copies = files_written = file_copies = 0
    next_id = head.max_id + 1  # attachment ids follow the post ids so they never collide
    identities = Identities(zone)
    others = iter(every_post) if every_post is not None else None
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        w = _Writer(xf)
        with xf.element("rss", {"version": "2.0"}, nsmap=NS), w.node("channel"):
            _channel_head(w, sites, head)
            for post in posts:
                post = safe_post(post)
                urls = image_urls(post)
                ids = {url: next_id + n for n, url in enumerate(urls)}
                next_id += len(ids)
                files = attached_files(post)
                file_ids = {item["url"]: next_id + n for n, item in
                            enumerate(item for item in files if item["is_file"])}
                next_id += len(file_ids)
                moved = {}
                if published is not None:
                    stored = [item["url"] for item in files
                              if item["is_file"] and item.get("status") == "stored"]
                    for url in [*urls, *stored]:
                        copy = published(url)
                        if copy is not None:
                            moved[url] = copy
                cover = full_size(post["cover_image"]) if post.get("cover_image") else None
                for other in others or ():
                    if other["id"] == post["id"]:
                        break
                    if not other["chosen"]:
                        _left_out(identities, other, zone)
                dated = _dated(identities, post, zone)
                _item(w, post, head, ids.get(cover) if cover else None, moved, files, zone,
                      dated)
                # The alt text the body gives each image (archive.image_alts), by full-size URL.
                alts = body_images(post.get("body_html") or "")
                kinds = {item["url"]: item["kind"] for item in files if item["is_file"]}
                for url, attachment_id in (ids | file_ids).items():
                    _attachment(w, attachment_id, post, moved.get(url, url), url,
                                "image" if url in ids else kinds[url], zone, dated, identities,
                                alts.get(url) if url in ids else None)
                count += 1
                images += len(ids)
                files_written += len(file_ids)
                copies += sum(url in moved for url in ids)
                file_copies += sum(url in moved for url in file_ids)
                xf.flush()
    return Written(count, images, copies, files_written, file_copies)

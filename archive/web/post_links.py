"""Links in an archived post's body to an archived post (another, or itself: a "share this
post" link), pointed at that post's article page: the site they name may be gone (a blog
archived because its owner can no longer keep it), and a reader following one should land on
the archived copy, not on a dead or changed site. `wixarchive export --format html` does the
same inside its page (archive.export.html).

A link names an archived post when its address is the post's URL as archived, spelled in any
way a crawl takes for it (normalize_url: a trailing slash, a tracking query, `%c3%a9`), or
with its site's root spelled as a twin (archive.site_match.url_twins: http/https, `www.`), or
when it is the post's address on Wix's old blog (/single-post/YYYY/MM/DD/<Slug>, which Wix
moved to /post/<slug>). Each is one look-up of the posts' URL index; the canonical URL, which
has no index, is not read (a scan of every post for each link).

A link to an archived site's blog listing (its home `/blog`, a category's `/blog/categories/
<slug>`, a tag's `/blog/tags/<slug>`, any of their `/page/N`) leads to the archive's search
page listing that site's posts, of that category or tag. Wix writes a name's slug from its
letters and digits, lowercased, the rest as hyphens or dropped (`Mind & Body` as `mind-body`):
the name is the one of the archive's names with the slug's letters and digits, any case and
accents, that most of the site's posts carry; a slug no name of the site's posts has keeps its link.
"""

from __future__ import annotations

import contextlib
import html
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

from archive.chunked import in_chunks
from archive.iri import uri
from archive.site_match import site_twins, url_twins
from crawler.discover.urls import BadURL, blog_move_key, normalize_url, site_root

MAX_LINKS = 500  # distinct addresses looked up on one page: a link list of a post stays quick

_HREF = re.compile(r'(<a\s[^>]*?\bhref=")([^"]*)(")')
# Below a site's root: the blog's home, or a category's or a tag's posts under the blog's word
# (`blog`, or what the owner renamed it to); each may be a later page of the listing.
_BLOG_HOME = re.compile(r"^blog(?:/page/\d+)?/?$", re.IGNORECASE)
_BLOG_LIST = re.compile(r"^[\w-]+/(categories|tags)/([^/]+)(?:/page/\d+)?/?$", re.IGNORECASE)
# The table of each listing's names, and its posts' links to them.
_NAMES = {"categories": ("categories", "post_categories", "category_id", "category"),
          "tags": ("tags", "post_tags", "tag_id", "tag")}


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.found += [value for name, value in attrs if name == "href" and value]


def body_links(body: str) -> list[str]:
    """The hrefs of the body's links, in order, each once."""
    parser = _Hrefs()
    parser.feed(body)
    parser.close()
    return list(dict.fromkeys(href.strip() for href in parser.found))


def _address(href: str, page_url: str) -> str | None:
    """The http(s) address a link of the post at `page_url` names, without its fragment; None
    for a link inside the page (#…) and any other scheme (mailto:, tel:)."""
    if href.startswith("#"):
        return None
    try:
        absolute = urljoin(page_url, href).partition("#")[0]
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:  # no address (http://[bad): left as it is
        return None
    return absolute if scheme in ("http", "https") else None


def _spellings(address: str) -> list[str]:
    """The URLs the post at `address` may be archived at (see the module's docstring)."""
    found: list[str] = []
    old_blog = blog_move_key(address)
    moved = []
    if old_blog is not None and old_blog[0]:
        host, root, slug = old_blog[1]
        moved = [f"{urlsplit(address).scheme}://{host}{root}post/{quote(slug)}"]
    for spelling in [address, *moved]:
        try:
            twins = [spelling, *url_twins(spelling)]
        except ValueError:  # an address no site can have (http://[bad): as it is
            twins = [spelling]
        for twin in dict.fromkeys(twins):
            found += [twin, uri(twin.rstrip("/"))]
            with contextlib.suppress(ValueError):  # BadURL: normalize_url cannot read it
                found.append(normalize_url(twin))
    return list(dict.fromkeys(found))


def archived_targets(conn: sqlite3.Connection, hrefs: Iterable[str],
                     page_url: str) -> dict[str, int]:
    """Each of `hrefs` (links of the post archived at `page_url`) that names an archived post
    (itself too: a "share this post" link) -> that post's id."""
    wanted: dict[str, list[str]] = {}
    for href in hrefs:
        address = _address(href, page_url)
        if address is not None:
            wanted[href] = _spellings(address)
        if len(wanted) >= MAX_LINKS:
            break
    every = list({spelling for spellings in wanted.values() for spelling in spellings})
    ids = dict(in_chunks(conn, "SELECT url, id FROM posts WHERE url IN ({marks})", every))
    found: dict[str, int] = {}
    for href, spellings in wanted.items():
        post_id = next((ids[s] for s in spellings if s in ids), None)
        if post_id is not None:
            found[href] = post_id
    return found


def _letters(text: str) -> str:
    """A name or a slug by its letters and digits alone, case folded, accents off (see the
    module): whether Wix keeps an accent in a slug (`émotions`, `emotions`) matters not."""
    decomposed = unicodedata.normalize("NFKD", unquote(text).casefold())
    return "".join(char for char in decomposed if char.isalnum())


def _site(conn: sqlite3.Connection, address: str) -> tuple[int, str, str] | None:
    """The archived site `address` belongs to (id, root URL) and the address's path below
    its root, or None."""
    try:
        root = site_root(address)
        spellings = [root, *site_twins(root)]
    except (BadURL, ValueError):
        return None
    row = conn.execute(f"SELECT id, url FROM sites WHERE url IN ({','.join('?' * len(spellings))})"
                       " ORDER BY url = ? DESC", [*spellings, root]).fetchone()
    if row is None:
        return None
    return row[0], row[1], urlsplit(address).path[len(urlsplit(root).path):]


def _by_letters(conn: sqlite3.Connection, kind: str) -> dict[str, list[int]]:
    """The ids of the archive's categories or tags (`kind`) by their names' letters."""
    found: dict[str, list[int]] = {}
    for name_id, name in conn.execute(f"SELECT id, name FROM {_NAMES[kind][0]}"):
        found.setdefault(_letters(name), []).append(name_id)
    return found


def _name(conn: sqlite3.Connection, kind: str, ids: list[int], site_id: int) -> str | None:
    """Of the categories or tags `ids` (`kind`), the name most of the site's posts carry; None
    when none of them carries one."""
    table, links, column, _ = _NAMES[kind]
    if not ids:
        return None
    row = conn.execute(
        f"SELECT n.name, count(*) AS posts FROM {links} l JOIN posts p ON p.id = l.post_id"
        f" JOIN {table} n ON n.id = l.{column} WHERE l.{column} IN ({','.join('?' * len(ids))})"
        " AND p.site_id = ? GROUP BY n.id ORDER BY posts DESC, n.name LIMIT 1",
        [*ids, site_id]).fetchone()
    return None if row is None else row[0]


def listing_targets(conn: sqlite3.Connection, hrefs: Iterable[str],
                    page_url: str) -> dict[str, str]:
    """Each of `hrefs` (links of the post archived at `page_url`) to an archived site's blog
    listing -> the search page's query listing the same posts (`?site=…&category=…`)."""
    found: dict[str, str] = {}
    names: dict[str, dict[str, list[int]]] = {}  # read once a page, when a link needs them
    for href in list(hrefs)[:MAX_LINKS]:
        address = _address(href, page_url)
        site = None if address is None else _site(conn, address)
        if site is None:
            continue
        site_id, root, below = site
        query = {"site": root}
        listing = _BLOG_LIST.match(below)
        if listing is not None:
            kind = listing.group(1).lower()
            if kind not in names:
                names[kind] = _by_letters(conn, kind)
            letters = _letters(listing.group(2))
            name = _name(conn, kind, names[kind].get(letters, []), site_id) if letters else None
            if name is None:
                continue
            query[_NAMES[kind][3]] = name
        elif not _BLOG_HOME.match(below):
            continue
        found[href] = "?" + urlencode(query)
    return found


def link_archived_posts(body: str, targets: dict[str, str]) -> str:
    """The sanitized `body` with each link of `targets` pointing at the archive's page that
    `targets` gives for it (a post's article page: the link's #fragment kept)."""
    if not targets:
        return body

    def relink(match: re.Match[str]) -> str:
        href = html.unescape(match.group(2)).strip()
        target = targets.get(href)
        if target is None:
            return match.group()
        fragment = href.partition("#")[2]
        target += f"#{fragment}" if fragment and "?" not in target else ""
        return match.group(1) + html.escape(target) + match.group(3)

    return _HREF.sub(relink, body)


def post_at(conn: sqlite3.Connection, address: str) -> tuple[int, str | None] | None:
    """The id and title of the archived post at `address` (a post's address on its site, as
    a reader may paste it from an old bookmark), or None."""
    found = archived_targets(conn, [address.strip()], address.strip())
    if not found:
        return None
    post_id = next(iter(found.values()))
    row = conn.execute("SELECT title FROM posts WHERE id = ?", (post_id,)).fetchone()
    return (post_id, row[0]) if row else None

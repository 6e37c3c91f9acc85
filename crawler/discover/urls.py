"""URL rules for Wix sites: where a site starts, what a post URL looks like."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

# Free-plan sites live under a path prefix: https://<user>.wixsite.com/<site>/...
_WIXSITE_HOST = re.compile(r"(^|\.)wixsite\.com$", re.IGNORECASE)
# /post/<slug> and the legacy dated /post/YYYY/MM/DD/<slug>.
_POST_PATH = re.compile(r"/post/(?:\d{4}/\d{2}/\d{2}/)?[^/?#]+/?$")
# The old Wix blog's post path below a site's root, /single-post/YYYY/MM/DD/<Slug> (or under
# another word), and the new blog's /post/<slug>: Wix's move to its new blog redirected each
# old URL to the new one with the same slug, in another letter case (old slugs kept capitals).
_OLD_BLOG_PATH = re.compile(r"^[\w-]+/\d{4}/\d{2}/\d{2}/([^/]+)/?$")
_NEW_BLOG_PATH = re.compile(r"^post/([^/]+)/?$")
# /<word>/<slug>, or the old blog's /<word>/YYYY/MM/DD/<slug>, under a language's path or not
# (a multilingual site's /es/<word>/<slug>: the word is then "es/<word>"): where a renamed
# /post/ puts posts.
_WORD_PATH = re.compile(
    r"^((?:[a-z]{2}(?:-[a-z]{2,4})?/)?[\w-]+)/(?:\d{4}/\d{2}/\d{2}/)?[^/]+/?$")
# Sub-paths of a blog home that list posts.
_LISTING_PARTS = ("/page/", "/categories/", "/tags/", "/hashtags/")


class BadURL(ValueError):
    """A URL that does not parse ("http://[bad"): what the user gave, named in one line."""


def site_root(url: str) -> str:
    """The root of the Wix site a URL belongs to, always ending in "/".

    >>> site_root("https://blog.example.com/post/hello?lang=fr")
    'https://blog.example.com/'
    >>> site_root("https://jane.wixsite.com/studio/post/hello")
    'https://jane.wixsite.com/studio/'
    >>> site_root("https://Bücher.example/post/x")
    'https://xn--bcher-kva.example/'
    """
    url = url.strip()
    try:
        parts = urlsplit(url if "://" in url else f"https://{url}")
    except ValueError:
        raise BadURL(f"not a URL: {url!r}") from None
    scheme = parts.scheme.lower() or "https"
    # Never keep credentials in a site key; a non-ASCII host in IDNA, as normalize_url has it,
    # so a post is filed under its site's row however the site's URL was typed.
    host = _ascii_host(parts.netloc.rsplit("@", 1)[-1])
    path = "/"
    if _WIXSITE_HOST.search(parts.hostname or ""):
        # The first segment that is not a dot segment (`%2e%2e` is `..`), read as normalize_url
        # reads the path.
        first = _canonical_path(parts.path).strip("/").split("/", 1)[0]
        if first and first != "post":
            path = f"/{first}/"
    return urlunsplit((scheme, host, path, "", ""))


class SiteRoots:
    """site_root for the many post URLs of a few sites, each scheme and host parsed once (a
    free plan's wixsite.com URL, its root holding a path, each time): reading a site's 35,000
    posts, site_root's parsing of each was most of the time."""

    def __init__(self) -> None:
        self._roots: dict[str, str] = {}

    def __call__(self, url: str) -> str:
        start = url.find("://")
        end = url.find("/", start + 3) if start > 0 else -1
        head = url[:end]
        if end < 0 or "wixsite" in head.lower():
            return site_root(url)
        if head not in self._roots:
            self._roots[head] = site_root(url)
        return self._roots[head]


def is_site_host(host: str) -> bool:
    """Whether a host name can be a web site: a domain name (with a dot), `localhost` or an IP
    address. A single word is a mistyped URL: `htp//b.example` parses as host `htp`."""
    host = host.rstrip(".").lower()
    if "." in host or host == "localhost":
        return bool(host)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True



def control_character_problem(url: str) -> str | None:
    """Why a typed or listed URL is refused when it holds a control character (a NUL, a DEL, an
    escape pasted from a spreadsheet or a terminal), else None: urlsplit keeps the character
    and every line that shows the URL hides it. One wording for `sites add` and `crawl`."""
    url = url.strip()
    if control := next((char for char in url if unicodedata.category(char) == "Cc"), None):
        return f"{url!r} holds a control character (U+{ord(control):04X}): no web address does"
    return None

# RFC 3986: characters a URI holds as they are (unreserved and reserved) and the unreserved
# ones, which an escape never needs to stand for (%41 is A, %7E is ~).
_URI_CHARS = r"A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;="
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# An escape, or a character that has to be escaped (non-ASCII, space, a "%" starting no escape).
_TO_ESCAPE = re.compile(rf"%[0-9A-Fa-f]{{2}}|[^{_URI_CHARS}]")


def _escape(match: re.Match[str]) -> str:
    text = match.group()
    if len(text) == 3 and text[0] == "%":
        char = chr(int(text[1:], 16))
        return char if char in _UNRESERVED else text.upper()
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8", errors="surrogatepass"))


def _canonical_escapes(text: str) -> str:
    """`text` percent-encoded one way (RFC 3986, 6.2.2): non-ASCII characters as UTF-8, escapes
    in upper case, escaped unreserved characters decoded; an escape is never escaped again and
    reserved characters (`/`, `?`, `&`, `=` ...) stay as they are."""
    return _TO_ESCAPE.sub(_escape, text)


def _remove_dot_segments(path: str) -> str:
    """`path` with its `.` and `..` segments resolved (RFC 3986, 5.2.4), as a browser and a
    server read it: `/a/../post/p` is `/post/p`; a `..` above the root is dropped."""
    if "/." not in path:  # the common case: no segment can be a dot segment
        return path
    segments = path.split("/")
    resolved: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(resolved) > 1:  # the first, empty, segment is the root: never removed
                resolved.pop()
        elif segment != ".":
            resolved.append(segment)
    if segments[-1] in (".", ".."):  # `/a/b/..` is the folder `/a/`
        resolved.append("")
    return "/".join(resolved)


def _canonical_path(path: str) -> str:
    """`path` escaped one way, then its dot segments resolved: decoded first, as `%2e%2e` is
    `..` to a server, so `/%2e%2e/post/p` is `/post/p` (RFC 3986, 6.2.2.3)."""
    return _remove_dot_segments(_canonical_escapes(path))


def _ascii_host(netloc: str) -> str:
    """The host part lower-cased, a non-ASCII one in IDNA (`xn--`), as HTTP sends it."""
    netloc = netloc.lower()
    if netloc.isascii():
        return netloc
    user, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return netloc  # no IDNA form: left as it is
    return user + at + host + colon + port


def normalize_url(url: str) -> str:
    """The one form a post URL is archived, compared and fetched under, however a sitemap, a
    feed or a link spelled it: no fragment, the host lower-cased, the path and query
    percent-encoded one way (see _canonical_escapes: a sitemap's `/post/café` and a served
    `/post/caf%c3%a9` are both `/post/caf%C3%A9`), no dot segments (`/a/%2e%2e/post/x` is
    `/post/x`), no trailing slash after a path of two
    segments or more (`/post/slug/` is `/post/slug`, which Wix redirects it to), and of the
    query only `lang=`.

    Wix serves translations of a post at `?lang=xx`; every other query string is noise
    (tracking: `utm_source`, `fbclid`, `gclid` ...).
    """
    parts = urlsplit(url)
    path = _canonical_path(parts.path)
    if path.endswith("/") and path.count("/") > 2:
        path = path.rstrip("/")
    query = "&".join(_canonical_escapes(p) for p in parts.query.split("&")
                     if p.startswith("lang="))
    return urlunsplit((parts.scheme.lower(), _ascii_host(parts.netloc), path, query, ""))


def respelled(url: str, canonical: str | None,
              language_urls: Mapping[str, str] | None = None) -> str:
    """The URL a fetched post is archived under: `url` (normalised), or the page's own
    canonical URL (`<link rel=canonical>`, else og:url) when that names the same page spelled
    otherwise, in letter case only (`/post/My-Slug` fetched, `/post/my-slug` canonical), so a
    site answering both spellings has its post archived once.

    Or a page fetched at `?lang=xx` in the site's default language (`/post/x?lang=en`, the
    default language's post being `/post/x`): its canonical URL is `url` without the query,
    and so is its hreflang alternate link for that language (`language_urls`, `en` or
    `en-us`): the page says twice that the query-less URL is this page in this language. A
    translation names itself at `?lang=xx` in its alternate for its language, so a
    translation whose canonical wrongly names the default one stays its own post. A page
    naming no language at all (no alternates) is on a site in one language, where Wix
    ignores `?lang=` (any xx) and serves the post itself: its canonical URL alone decides.

    A canonical URL naming anything else (another post, another site, the blog home, another
    language) is not followed: a template's wrong canonical link would merge different posts
    into one."""
    if not canonical:
        return url
    try:
        named = normalize_url(canonical)
    except ValueError:
        return url
    if named != url and unquote(named).casefold() == unquote(url).casefold():
        return named
    parts = urlsplit(url)
    language = parts.query.removeprefix("lang=").lower()
    if (parts.query.startswith("lang=") and "&" not in parts.query and language
            and named == urlunsplit(parts._replace(query=""))
            and (not language_urls
                 or any((tag == language or tag.startswith(language + "-"))
                        and _normalized(link) == named
                        for tag, link in language_urls.items()))):
        return named
    return url


def _normalized(url: str) -> str | None:
    try:
        return normalize_url(url)
    except ValueError:
        return None


def in_site(url: str, root: str) -> bool:
    """True when `url` belongs to the site rooted at `root` (scheme-insensitive), the root
    itself included however it ends: Wix spells a site's home without the trailing slash
    (`https://www.example.com`, `https://jane.wixsite.com/studio`) in its sitemaps and in the
    feed of a blog on the home page."""
    target = urlsplit(url)
    base = urlsplit(root)
    if _ascii_host(target.netloc) != _ascii_host(base.netloc):
        return False
    return target.path.startswith(base.path) or target.path == base.path.rstrip("/")


def in_any_site(url: str, roots: Sequence[str]) -> bool:
    """in_site for a site known at several roots (one that moved, see moved_root)."""
    return any(in_site(url, root) for root in roots)


def moved_root(asked: str, landed: str, roots: Sequence[str]) -> str | None:
    """Where a site moved: the root of `landed`, the URL a request for `asked` (a page of the
    site at one of `roots`) was redirected to, when that is another host (example.com to
    www.example.com, an old domain to a new one); None when it stayed within the site."""
    if not in_any_site(asked, roots):
        return None
    if urlsplit(asked).netloc.lower() == urlsplit(landed).netloc.lower():
        return None  # the same host: http to https, or a free-plan site's robots.txt
    root = landed[: -len("robots.txt")] if landed.endswith("/robots.txt") else site_root(landed)
    return None if in_any_site(root, roots) else root


# Scrapy's URLLENGTH_LIMIT default: a request for a longer URL is dropped without a word.
MAX_URL_LENGTH = 2083
_SHOWN_LENGTH = 200  # of a URL named in a crawl's errors


def site_url_problem(url: str, roots: Sequence[str], max_length: int = MAX_URL_LENGTH,
                     ) -> str | None:
    """Why a URL a site's robots.txt, sitemap, feed or listing page gives, one that may be the
    site's, cannot be fetched ("http://[::1", 100 KB long); None when it can be or is another
    site's (skipped without a word, as every link elsewhere)."""
    try:
        urlsplit(url).port  # noqa: B018 (a port out of range or not a number raises here)
    except ValueError as exc:
        return f"not a URL ({exc})"
    if max_length and len(url) > max_length and in_any_site(url, roots):
        return f"{len(url):,} characters long, over the {max_length:,} a crawl fetches"
    return None


def shortened(url: str) -> str:
    """`url` as a crawl's errors name it: a URL of 100 KB by its beginning."""
    return url if len(url) <= _SHOWN_LENGTH else url[:_SHOWN_LENGTH] + "…"


def parses(url: str) -> bool:
    """Whether a URL parses at all ("http://[bad" does not): web archives and CDX servers
    hold what clients once asked for, garbage included."""
    try:
        urlsplit(url)
    except ValueError:
        return False
    return True


# Wix's own hosts that serve no blog: its media CDN (static.wixstatic.com, video.wixstatic.com,
# ...) and the sign-in pages of Wix accounts.
WIX_CDN_DOMAINS = ("wixstatic.com",)
WIX_LOGIN_HOSTS = ("users.wix.com",)


def on_wix_cdn(url: str) -> bool:
    """Whether `url` is on Wix's media CDN (static.wixstatic.com, video.wixstatic.com, ...)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == domain or host.endswith("." + domain) for domain in WIX_CDN_DOMAINS)


def no_site(url: str) -> str | None:
    """What `url` is when it is on a host of Wix's that serves no blog, said for a post URL
    that redirects there ("a file on Wix's CDN", "a Wix login page"), else None."""
    if on_wix_cdn(url):
        return "a file on Wix's CDN"
    if (urlsplit(url).hostname or "").lower() in WIX_LOGIN_HOSTS:
        return "a Wix login page"
    return None


def is_post_url(url: str) -> bool:
    return bool(_POST_PATH.search(urlsplit(url).path))


def blog_move_key(url: str) -> tuple[bool, tuple[str, str, str]] | None:
    """Whether `url` is a post URL of Wix's old blog (True: /single-post/YYYY/MM/DD/<Slug>)
    or of its new one (False: /post/<slug>), with the key the two share when Wix moved the
    one to the other: the site's host (without `www.`) and root path, and the slug
    case-folded. None for any other URL, and for a translation's (`?lang=xx`: the old blog
    had none). One rule for import and recover, so a post captured under both is one post
    whichever was archived first."""
    try:
        parts = urlsplit(url)
        root = urlsplit(site_root(url))
    except (BadURL, ValueError):
        return None
    if parts.query:
        return None
    below = parts.path[len(root.path):] if parts.path.startswith(root.path) else None
    if below is None:
        return None
    for old, path in ((True, _OLD_BLOG_PATH), (False, _NEW_BLOG_PATH)):
        match = path.match(below)
        if match:
            host = (root.hostname or "").removeprefix("www.")
            return old, (host, root.path, unquote(match.group(1)).casefold())
    return None


def old_blog_posts(urls: Iterable[str]) -> dict[str, str]:
    """Of one site's archived post URLs, those of Wix's old blog (blog_move_key) by their
    case-folded slug; a slug two of them share is left out: which one a /post/ page is cannot
    be told."""
    found: dict[str, str | None] = {}
    for url in urls:
        key = blog_move_key(url)
        if key is not None and key[0]:
            found[key[1][2]] = None if key[1][2] in found else url
    return {slug: url for slug, url in found.items() if url is not None}


def old_blog_url(url: str, old_posts: Mapping[str, str]) -> str | None:
    """The old blog URL (of old_blog_posts) whose post the /post/<slug> page at `url` is (on
    the site's address or the one it moved to), or None: Wix moved each old post to the same
    slug in lower case."""
    key = blog_move_key(url)
    return old_posts.get(key[1][2]) if key is not None and not key[0] else None


def archived_before_a_move(url: str, known: Collection[str], old_root: str, moved_to: str | None,
                           old_blog: Callable[[], Mapping[str, str]]) -> str | None:
    """The URL among `known` (a site's archived post URLs) a post fetched at `url` is archived
    at, when only there: on the site's old address `old_root` after a move to the host
    `moved_to`, or at its old blog URL (`old_blog()`, old_blog_posts of `known`, asked only
    when needed). One rule for the crawl with and without Redis, so both move the same posts."""
    if url in known:
        return None
    if moved_to and url.startswith(moved_to) and (old := old_root + url[len(moved_to):]) in known:
        return old
    return old_blog_url(url, old_blog())


def new_blog_slug(below_root: str) -> str | None:
    """The slug of a /post/<slug> path below a site's root (`post/My-Slug`, no query),
    case-folded as blog_move_key keys it; None for any other path. For a post URL already
    split from its root: blog_move_key parses the URL again."""
    match = _NEW_BLOG_PATH.match(below_root) if "?" not in below_root else None
    return None if match is None else unquote(match.group(1)).casefold()


def named_page(start_url: str) -> str | None:
    """The path below its site's root that a crawl's start URL names, when it is neither the
    root nor a /post/ URL: a blog at /news, or a post under a prefix that is not /post/
    (/articles/x, an old /single-post/x). A crawl without a posts sitemap reads that page as a
    listing, and archives it if it is a post."""
    url = start_url if "://" in start_url else f"https://{start_url}"
    given = urlsplit(url).path[len(urlsplit(site_root(url)).path):].strip("/")
    return given if given and not is_post_url(url) else None


def path_word(below_root: str) -> str | None:
    """The word of a path below a site's root shaped `<word>/<slug>` or the old blog's
    `<word>/YYYY/MM/DD/<slug>`, with its language's path if it has one ("es/post" for
    `es/post/<slug>`); None for any other path. Whether the word holds posts is for the
    pages under it to say (owners rename /post/)."""
    match = _WORD_PATH.match(below_root)
    return None if match is None else match.group(1)


def is_listing_path(path: str) -> bool:
    """A blog listing's sub-path (/blog/page/2, /blog/categories/x, tags, hashtags): never a
    post, whatever the owner renamed /post/ to."""
    return any(part in path for part in _LISTING_PARTS)


def resolve(base: str, href: str) -> str:
    return urljoin(base, href.strip())

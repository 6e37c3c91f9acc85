"""A multilingual Wix site's languages, from a page's hreflang alternates: each language lives
under a path prefix of the site (/fr/, /pt-br/) with its own blog-feed.xml and sitemap.xml."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html

from crawler.discover.urls import in_site, resolve

# A language prefix as Wix spells it, a BCP 47 tag (hreflang's): a language of two letters or,
# with no two-letter code, three (`fr`, `fil`, `haw`), maybe a script (`zh-hant`) and a region
# (`pt-br`, `zh-hant-tw`, `es-419`). A language index's path uses it too.
LANGUAGE_TAG = r"[a-z]{2,3}(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?"
_LANGUAGE = re.compile(rf"^{LANGUAGE_TAG}$", re.IGNORECASE)


def language_roots(html: bytes, page_url: str, root: str) -> list[str]:
    """The roots of the page's other languages (`root` + `fr/`), from its `<link
    rel="alternate" hreflang=…>` links: an alternate is a language's when it is the same page
    under a language prefix (`/fr` for the home page, `/fr/blog` for `/blog`), which tells a
    language from a page that merely has a short name. Another host's alternates (Wix's
    language subdomains) are another site's, and a `?lang=xx` alternate has no root of its own."""
    try:
        doc = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    page = _below(page_url, root)
    found: list[str] = []
    for link in doc.xpath('//link[@rel="alternate"][@hreflang][@href]'):
        try:
            url = resolve(page_url, link.get("href")).split("#", 1)[0]
        except ValueError:
            continue
        if urlsplit(url).query or not in_site(url, root):
            continue
        language, _, rest = _below(url, root).partition("/")
        if _LANGUAGE.match(language) and rest == page and _named(language, link.get("hreflang")):
            found.append(f"{root}{language}/")
    return list(dict.fromkeys(found))


def _below(url: str, root: str) -> str:
    """`url`'s path below `root`, without slashes at its ends ("" for the root itself)."""
    path, root_path = urlsplit(url).path.strip("/"), urlsplit(root).path.strip("/")
    if not root_path:
        return path
    return path[len(root_path):].strip("/") if (path + "/").startswith(root_path + "/") else path


def _named(prefix: str, hreflang: str) -> bool:
    """Whether a prefix is the alternate's language: a two-letter one is (Wix's prefixes); one of
    three letters only when hreflang names it (`fil`), so a page's short word (`/art/`) is not."""
    language = prefix.split("-", 1)[0].lower()
    return len(language) == 2 or hreflang.split("-", 1)[0].strip().lower() == language

"""Which archived sites a `--site` value names: the one rule of every command that takes one.

A full URL (with `://`) names exactly the site it belongs to; anything else names the sites
whose URL contains it (a host or part of one, any case) or whose name it is (any case).
The `www.` and bare spellings of one host (same scheme and port) are one site: a value that
names one names the other's row too (`www_twin`), as a crawl files both under one row.
`wixarchive runs` also takes the `name` a site has in the sites file (`aliases`), as
`run-due --site` does.
"""

from __future__ import annotations

import ipaddress
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from crawler.discover.urls import BadURL, site_root

_OTHER_SCHEME = {"http": "https", "https": "http"}

# A site as Archive.stats() gives it, or archived_sites(): its root URL as `site`, and `name`.
SiteRow = TypeVar("SiteRow", bound=Mapping[str, Any])


class NoSuchSite(ValueError):
    """The value names none of the archive's sites."""


class SeveralSites(ValueError):
    """The value names more than one site where a command works on one."""


def archived_sites(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every site of the archive, by URL: {"site": root URL, "name": its name or None}."""
    return [{"site": url, "name": name}
            for url, name in conn.execute("SELECT url, name FROM sites ORDER BY url")]


def site_ids(conn: sqlite3.Connection, wanted: str | Sequence[str] | None) -> list[int] | None:
    """The ids of the archived sites `wanted` names, or any of several (what search filters
    on); NoSuchSite when one names none, None when no site is wanted (None, "" or none)."""
    named = [wanted] if isinstance(wanted, str) else [w for w in wanted or () if w.strip()]
    if not any(named):
        return None
    ids = dict(conn.execute("SELECT url, id FROM sites"))
    return [ids[site["site"]] for site in sites_named(archived_sites(conn), named)]


def sites_named(sites: Sequence[SiteRow], wanted: str | Sequence[str],
                aliases: Mapping[str, str] | None = None) -> list[SiteRow]:
    """The sites any of `wanted` names (`matching_sites` each), in `sites`' order; NoSuchSite
    when one of them names none."""
    chosen: set[str] = set()
    for one in [wanted] if isinstance(wanted, str) else wanted:
        chosen.update(site["site"] for site in matching_sites(sites, one, aliases))
    return [site for site in sites if site["site"] in chosen]


def matching_sites(sites: Sequence[SiteRow], wanted: str,
                   aliases: Mapping[str, str] | None = None) -> list[SiteRow]:
    """The sites that `wanted` names (see the module's rule); NoSuchSite when none. `aliases`
    maps other names (lower-case: the sites file's) to a site's root URL."""
    wanted = wanted.strip()
    if "://" in wanted:
        try:
            root = site_root(wanted)
        except BadURL as exc:  # names no site; the web search page answers 400, not 500
            raise NoSuchSite(str(exc)) from None
        roots = {root, www_twin(root)}
        chosen = [s for s in sites if s["site"] in roots]
    else:
        part, name = wanted.rstrip("/").lower(), wanted.lower()
        alias = (aliases or {}).get(name)
        # "www.example.com" names the site archived as example.com too
        bare = f"://{part[4:]}" if part.startswith("www.") else None
        chosen = [s for s in sites
                  if part in s["site"].lower() or name == (s["name"] or "").lower()
                  or s["site"] == alias or (bare and bare in s["site"].lower())]
        named = {s["site"] for s in chosen} | {www_twin(s["site"]) for s in chosen}
        chosen = [s for s in sites if s["site"] in named]
    if not chosen:
        raise NoSuchSite(f"no archived site matches {wanted!r} (sites: "
                         f"{', '.join(map(_named, sites)) or 'none'})")
    return chosen


def _named(site: Mapping[str, Any]) -> str:
    """A site as an error lists it: its URL, and its name, which --site also takes."""
    return f"{site['site']} {site['name']!r}" if site["name"] else site["site"]


def one_site(sites: Sequence[SiteRow], wanted: str) -> SiteRow:
    """The one site that `wanted` names; NoSuchSite when none, SeveralSites when more. Of the
    rows of one host's `www.` and bare spellings (an archive from before they were one site),
    the bare one, which a crawl of either files posts under."""
    chosen = matching_sites(sites, wanted)
    if len(chosen) == 2 and www_twin(chosen[0]["site"]) == chosen[1]["site"]:
        return min(chosen, key=lambda s: len(s["site"]))
    if len(chosen) > 1:
        raise SeveralSites(f"{wanted.strip()!r} matches {len(chosen)} sites: "
                           f"{', '.join(map(_named, chosen))}; give one's full URL")
    return chosen[0]


def scheme_twins(url: str) -> list[str]:
    """The spellings of `url` a crawl takes for the same page: with the other scheme (http and
    https are one site, crawler.discover.urls.in_site), or, given without a scheme, with
    https then http. `url` itself is not in the list."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        return [f"https://{url.strip()}", f"http://{url.strip()}"]
    other = _OTHER_SCHEME.get(scheme.lower())
    return [f"{other}://{rest}"] if other else []


def www_twin(root: str) -> str | None:
    """The other spelling of a site root by its host's `www.`, same scheme and port:
    https://www.example.com/ for https://example.com/ and back. None for a root with a path (a
    free-plan site), an IP address, localhost, or a bare host of one label (`www.com`)."""
    parts = urlsplit(root)
    host = parts.hostname or ""
    if parts.path != "/" or "." not in host or host.startswith("["):
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None
    other = host[4:] if host.startswith("www.") else f"www.{host}"
    if "." not in other:
        return None
    netloc = other if parts.port is None else f"{other}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, "/", "", ""))


def archived_root(conn: sqlite3.Connection, url: str) -> str:
    """The root of the archived site `url` belongs to: its own, or its `www.` twin's when only
    that one is archived (a crawl of www.example.com files its posts under the example.com a
    crawl of that address archived, and back). Raises BadURL as site_root does."""
    root = site_root(url)
    twin = www_twin(root)
    if twin is None:
        return root
    rows = {u for (u,) in conn.execute("SELECT url FROM sites WHERE url IN (?, ?)",
                                       (root, twin))}
    return twin if twin in rows and root not in rows else root


def url_twins(url: str) -> list[str]:
    """The spellings of a post URL that name the same post of an archived site: its scheme
    twins (scheme_twins), then with its host's `www.` added or taken off, under each scheme."""
    spellings = scheme_twins(url)
    for spelling in [url.strip() if "://" in url else f"https://{url.strip()}", *spellings]:
        scheme, _, rest = spelling.partition("://")
        host, slash, path = rest.partition("/")
        twin = www_twin(f"{scheme}://{host}/")
        if twin:
            spellings.append(twin + path if slash else twin)
    return list(dict.fromkeys(spellings))


class ArchivedScheme:
    """Respells a post URL of a site the archive holds under the other scheme (an https
    site, an http WARC of it) under the archived one, so it is the same site and post rather
    than a second one; `moved` records each site root so respelled (given -> archived)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.roots = {url for (url,) in conn.execute("SELECT url FROM sites")}
        self.moved: dict[str, str] = {}
        self._seen: dict[str, str] = {}  # a site root -> the root its posts are archived under

    def root(self, root: str) -> str:
        """The archived site root that `root` names: itself, or its twin when only that is
        archived."""
        if root not in self._seen:
            twin = next((t for t in scheme_twins(root) if t in self.roots), None)
            self._seen[root] = twin if root not in self.roots and twin else root
            if self._seen[root] != root:
                self.moved[root] = self._seen[root]
        return self._seen[root]

    def __call__(self, url: str) -> str:
        try:
            root = site_root(url)
        except BadURL:
            return url
        archived = self.root(root)
        if archived == root or not url.startswith(root):
            return url
        return archived + url[len(root):]


def one_scheme_notice(given: str, archived: str) -> str:
    """What a command says when it takes `given` (a site or post URL) as the archived
    `archived`, its other-scheme (or `www.`) spelling."""
    given_host = urlsplit(given if "://" in given else f"https://{given}").hostname or ""
    archived_host = urlsplit(archived).hostname or ""
    if given_host != archived_host:
        bare = min(given_host, archived_host, key=len)
        why = f"www.{bare} and {bare} are the same site"
    else:
        why = "http and https are the same site"
    return f"Notice: {given} is archived as {archived} ({why}): using that"


def site_spelling_notice(wanted: str, chosen: Sequence[Mapping[str, Any]]) -> str | None:
    """The notice for a --site value naming a host as its `www.` twin is archived (the chosen
    sites hold none by the spelling given); None when one of them is as given."""
    wanted = wanted.strip()
    host = (urlsplit(wanted if "://" in wanted else f"https://{wanted}").hostname or "")
    hosts = {urlsplit(s["site"]).hostname for s in chosen}
    twin_hosts = {h[4:] if h.startswith("www.") else f"www.{h}" for h in hosts if h}
    if host in hosts or host not in twin_hosts:
        return None
    return one_scheme_notice(wanted, ", ".join(s["site"] for s in chosen))

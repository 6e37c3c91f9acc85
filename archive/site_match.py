"""Which archived sites a `--site` value names: the one rule of every command that takes one.

A full URL (with `://`) names exactly the site it belongs to; anything else names the sites
whose URL contains it (a host or part of one, any case) or whose name it is (any case).
`wixarchive runs` also takes the `name` a site has in the sites file (`aliases`), as
`run-due --site` does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

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
        chosen = [s for s in sites if s["site"] == root]
    else:
        part, name = wanted.rstrip("/").lower(), wanted.lower()
        alias = (aliases or {}).get(name)
        chosen = [s for s in sites
                  if part in s["site"].lower() or name == (s["name"] or "").lower()
                  or s["site"] == alias]
    if not chosen:
        raise NoSuchSite(f"no archived site matches {wanted!r} (sites: "
                         f"{', '.join(map(_named, sites)) or 'none'})")
    return chosen


def _named(site: Mapping[str, Any]) -> str:
    """A site as an error lists it: its URL, and its name, which --site also takes."""
    return f"{site['site']} {site['name']!r}" if site["name"] else site["site"]


def one_site(sites: Sequence[SiteRow], wanted: str) -> SiteRow:
    """The one site that `wanted` names; NoSuchSite when none, SeveralSites when more."""
    chosen = matching_sites(sites, wanted)
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
    `archived`, its other-scheme spelling."""
    return (f"Notice: {given} is archived as {archived} (http and https are the same site): "
            "using that")

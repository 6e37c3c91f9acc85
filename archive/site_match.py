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

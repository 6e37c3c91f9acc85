"""Which archived sites a `--site` value names: the one rule of every command that takes one.

A full URL (with `://`) names exactly the site it belongs to; anything else names the sites
whose URL contains it (a host or part of one, any case) or whose name it is (any case).
The http and https, `www.` and bare spellings of one host (same port) are one site
(`site_twins`): a value that names one names the others' rows too, as a crawl files them all
under one row. `wixarchive runs` also takes the `name` a site has in the sites file
(`aliases`), as `run-due --site` does.
"""

from __future__ import annotations

import ipaddress
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from crawler.discover.urls import BadURL, in_any_site, is_post_url, site_root

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
    named = [moved_site(conn, one) for one in named]
    return [ids[site["site"]] for site in sites_named(archived_sites(conn), named)]


def moved_site(conn: sqlite3.Connection, wanted: str) -> str:
    """`wanted`, or, when it is the address an archived site moved to (moved_here: a URL or
    host of it, or, naming no site itself, part of its host), that site's root URL: the new
    address names the site it continues."""
    spelled = wanted.strip()
    if not spelled or " " in spelled:
        return wanted
    part = spelled.rstrip("/").lower()
    if "://" not in spelled and conn.execute(
            "SELECT 1 FROM sites WHERE instr(lower(url), ?) OR lower(name) = ?",
            (part, spelled.lower())).fetchone():
        return wanted  # names an archived site as it is (matching_sites)
    if "." in spelled or ":" in spelled:
        try:
            root = site_root(spelled if "://" in spelled else f"https://{spelled}")
        except BadURL:
            return wanted
        twins = [root, *site_twins(root)]
        if conn.execute(f"SELECT 1 FROM sites WHERE url IN ({', '.join('?' * len(twins))})",
                        twins).fetchone():
            return wanted
        if found := moved_here(conn, twins):
            return found
    if "://" in spelled:
        return wanted
    return _moved_to_a_host_with(conn, part) or wanted


def _moved_to_a_host_with(conn: sqlite3.Connection, part: str) -> str | None:
    """The one archived site whose posts are archived at a root (the address it moved to)
    containing `part`, as a --site value names a site by part of its URL; None for none or
    several. Reads the posts archived off their site's root (a scan of the posts table: only
    for a value that names no site otherwise)."""
    found: set[str] = set()
    roots: dict[str, str] = {}  # a post URL's scheme, host and first segment -> its site root
    for site, url in conn.execute(
            "SELECT s.url, p.url FROM posts p JOIN sites s ON s.id = p.site_id "
            "WHERE substr(p.url, 1, length(s.url)) != s.url"):
        start = "/".join(url.split("/", 4)[:4])
        if start not in roots:
            try:
                roots[start] = site_root(url).lower()
            except BadURL:
                roots[start] = ""
        if part in roots[start]:
            found.add(site)
    return found.pop() if len(found) == 1 else None


def sites_named(sites: Sequence[SiteRow], wanted: str | Sequence[str]) -> list[SiteRow]:
    """The sites any of `wanted` names (`matching_sites` each), in `sites`' order; NoSuchSite
    when one of them names none."""
    chosen: set[str] = set()
    for one in [wanted] if isinstance(wanted, str) else wanted:
        chosen.update(site["site"] for site in matching_sites(sites, one))
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
        roots = {root, *site_twins(root)}
        chosen = [s for s in sites if s["site"] in roots]
    else:
        part, name = wanted.rstrip("/").lower(), wanted.lower()
        alias = (aliases or {}).get(name)
        # "www.example.com" names the site archived as example.com too
        bare = f"://{part[4:]}" if part.startswith("www.") else None
        chosen = [s for s in sites
                  if part in s["site"].lower() or name == (s["name"] or "").lower()
                  or s["site"] == alias or (bare and bare in s["site"].lower())]
        named = {twin for s in chosen for twin in (s["site"], *site_twins(s["site"]))}
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
    rows of one host's spellings (`site_twins`: an archive from before they were one site),
    the bare https one, else the bare one."""
    chosen = matching_sites(sites, wanted)
    first = chosen[0]["site"]
    if len(chosen) > 1 and all(s["site"] in site_twins(first) for s in chosen[1:]):
        return min(chosen, key=lambda site: preferred_spelling(site["site"]))
    if len(chosen) > 1:
        raise SeveralSites(f"{wanted.strip()!r} matches {len(chosen)} sites: "
                           f"{', '.join(map(_named, chosen))}; give one's full URL")
    return chosen[0]


def preferred_spelling(root: str) -> tuple[bool, bool]:
    """Sorts the bare host before its `www.` spelling, then https before http."""
    parts = urlsplit(root)
    return (parts.hostname or "").startswith("www."), parts.scheme != "https"


def spelling_tie_break(root: str, given: str | None) -> tuple[bool, ...]:
    """Sorts the spellings of one site that tie in a vote (recover's captured_spelling, an
    import's ArchivedSpelling.settle): the site root `given` by the user first, then its host,
    then its scheme, then as preferred_spelling (bare, https)."""
    if given is None:
        return preferred_spelling(root)
    parts, wanted = urlsplit(root), urlsplit(given)
    return (root != given, parts.netloc != wanted.netloc, parts.scheme != wanted.scheme,
            *preferred_spelling(root))


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
    try:
        parts = urlsplit(root)
        port = parts.port
    except ValueError:  # no URL (a post "URL" typed as `[x`): no twin
        return None
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
    netloc = other if port is None else f"{other}:{port}"
    return urlunsplit((parts.scheme, netloc, "/", "", ""))


def site_twins(root: str) -> list[str]:
    """The other spellings of site root `root` that a crawl takes for the same site: its other
    scheme (http, https: crawler.discover.urls.in_site), its host's `www.` added or taken off
    (www_twin), and both; `root` itself is not in the list. Nearest first: the same host,
    then the same scheme."""
    spellings = scheme_twins(root)
    for spelling in [root, *spellings]:
        if twin := www_twin(spelling):
            spellings.append(twin)
    return spellings


def site_key(url: str) -> str:
    """One key for all the spellings a crawl takes for one site (site_twins: http and https,
    `www.` or not, same port): the one of them one_site prefers, bare and https. What site
    locks and duplicate checks compare, so http://example.com and https://www.example.com are
    never crawled at once nor listed twice. Raises BadURL as site_root does.

    >>> site_key("http://www.example.com/post/x") == site_key("example.com")
    True
    """
    root = site_root(url)
    return min([root, *site_twins(root)], key=preferred_spelling)


def archived_root(conn: sqlite3.Connection, url: str) -> str:
    """The root of the archived site `url` belongs to: its own, or, when only a twin of it is
    archived (site_twins: http or https, `www.` or not), that one's (a crawl of
    www.example.com files its posts under the https://example.com/ archived, an http WARC
    of it too). Raises BadURL as site_root does."""
    return held_root(conn, url) or site_root(url)


def held_root(conn: sqlite3.Connection, url: str) -> str | None:
    """The root of the archived site `url` belongs to (as archived_root), or None when the
    archive holds it under no spelling yet."""
    root = site_root(url)
    twins = site_twins(root)
    rows = {u for (u,) in conn.execute(
        f"SELECT url FROM sites WHERE url IN ({', '.join('?' * (len(twins) + 1))})",
        (root, *twins))}
    found = root if root in rows else next((t for t in twins if t in rows), None)
    return found or moved_here(conn, [root, *twins])


def moved_here(conn: sqlite3.Connection, roots: Sequence[str]) -> str | None:
    """The root of the archived site whose posts are archived at one of `roots` (spellings of
    one address no site row has): a site whose address redirected there, a crawl of it then
    giving its posts their new URLs (archive.ingest._follow_moves). Crawling or naming the new
    address continues that site. One look-up of the posts' URL index a root."""
    for root in roots:
        row = conn.execute(
            "SELECT s.url, p.url FROM posts p JOIN sites s ON s.id = p.site_id "
            "WHERE p.url >= ? AND p.url < ? LIMIT 1", (root, root + "\uffff")).fetchone()
        if row is not None and site_root(row[1]) == root:
            return row[0]
    return None


def left_for(conn: sqlite3.Connection, roots: Sequence[str]) -> dict[str, str]:
    """Of these site roots (a crawl's or a sites file's), each that is the address of an
    archived site whose posts are now archived at another of them (moved_here: a crawl that
    followed its move, or `sites merge`), and that one: old root -> new root. Crawling both
    would crawl one blog twice, the old address only to be redirected or to fail."""
    at: dict[str, list[str]] = {}  # an archived site -> the roots given that are its address
    moved: dict[str, str] = {}  # an archived site -> a root given that it moved to
    for root in roots:
        archived = archived_root(conn, root)
        if archived == root or archived in site_twins(root):
            at.setdefault(archived, []).append(root)
        else:
            moved.setdefault(archived, root)
    return {old: moved[site] for site, olds in at.items() if site in moved for old in olds}


def likely_moved_from(conn: sqlite3.Connection, root: str) -> tuple[str, int, int] | None:
    """The archived site that site `root` (newly archived) looks like a move of: another site
    (not a spelling of it) holding posts at the same paths or with the same titles as at
    least half of `root`'s, as (its root, the posts matched, `root`'s posts); the one with
    the most, None when none. A blog whose old address was gone when its new one was first
    crawled (no redirect to follow): two sites of one blog, until `sites merge` joins them.
    Reads every post's URL and title once: 0.7 s at 200,000 posts of 21 sites (a synthetic
    archive on a shared 2-core machine, 2026-12-06), on a site's first crawl only."""
    own_paths: dict[str, int] = {}
    own_titles: dict[str, list[int]] = {}
    for number, (url, title) in enumerate(conn.execute(
            "SELECT p.url, p.title FROM posts p JOIN sites s ON s.id = p.site_id "
            "WHERE s.url = ? AND p.deleted_at IS NULL", (root,))):
        if url.startswith(root):
            own_paths[url[len(root):]] = number
            if title and title.strip():
                own_titles.setdefault(title.strip().lower(), []).append(number)
    if not own_paths:
        return None
    twins = {root, *site_twins(root)}
    matched: dict[str, set[int]] = {}
    for site, url, title in conn.execute(
            "SELECT s.url, p.url, p.title FROM posts p JOIN sites s ON s.id = p.site_id "
            "WHERE p.deleted_at IS NULL AND s.url != ?", (root,)):
        if site in twins:
            continue
        # Off its site's root: at the host the site moved to (moved_here).
        path = url[len(site):] if url.startswith(site) else url.split("/", 3)[-1]
        if (number := own_paths.get(path)) is not None:
            matched.setdefault(site, set()).add(number)
        if title and (same := own_titles.get(title.strip().lower())):
            matched.setdefault(site, set()).update(same)
    best = max(matched.items(), key=lambda item: len(item[1]), default=None)
    if best is None or len(best[1]) * 2 < len(own_paths):
        return None
    return best[0], len(best[1]), len(own_paths)


def url_twins(url: str) -> list[str]:
    """The spellings of a post URL that name the same post of an archived site, its site's
    root respelled as each of site_twins (given without a scheme: https, then the others)."""
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
        spellings = [url]
    else:
        spellings = []
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    spellings += [twin + path for twin in site_twins(f"{scheme}://{host}/")]
    return list(dict.fromkeys(spellings))


class ArchivedSpelling:
    """Respells a post URL of a site the archive holds under a twin spelling (archived_root:
    an https site, an http WARC of it; www. or not) under the archived one, so it is the same
    site and post rather than a second one; `moved` records each site root so respelled
    (given -> archived). Each root is decided once, by the sites archived when first seen.
    A post URL at the address a site left, whose post is now archived at the address it moved
    to (a crawl that followed the move, `sites merge`), is respelled as that post's URL: an
    old capture imported or recovered is one of its versions, not a post of its own."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.moved: dict[str, str] = {}
        self._seen: dict[str, str] = {}  # a site root -> the root its posts are archived under
        self._moved_to: dict[str, list[str]] = {}  # a site root -> the roots its posts moved to
        self._elsewhere: dict[str, str | None] = {}  # a URL -> the post it moved to

    def __call__(self, url: str) -> str:
        try:
            root = site_root(url)
        except BadURL:
            return url
        if root not in self._seen:
            self._seen[root] = archived_root(self.conn, root)
            if self._seen[root] != root:
                self.moved[root] = self._seen[root]
        archived = self._seen[root]
        if url.startswith(root) and archived != root:
            url = archived + url[len(root):]
        if not url.startswith(archived):
            return url
        return self._moved_post(archived, url) or url

    def settle(self, urls: Iterable[str], given: str | None = None) -> None:
        """Before an import archives its first page: the roots of these page URLs that are
        spellings of one site the archive holds under none (site_twins: a WARC of a gone blog
        downloaded from the Wayback Machine holds http://example.com, http://www.… and
        https://www.… captures) all go under one of them, the one most of its post pages
        (is_post_url) have, else most of its pages (the owner renamed /post/), then as
        one_site prefers, or on a tie the site root `given` (`import --site`: spelling_tie_break,
        as recover decides); a later import of any of them goes to the site archived.
        Decided once a root was seen, each would be a root of its own in the same site row,
        and a post captured under two spellings two posts. Posts only, as recover's
        captured_spelling: the Wayback Machine captures a front page daily, posts rarely."""
        pages: Counter[str] = Counter()
        posts: Counter[str] = Counter()
        for url in urls:
            try:
                root = site_root(url)
            except BadURL:
                continue
            pages[root] += 1
            posts[root] += is_post_url(url)
        groups: dict[str, list[str]] = {}
        for root in pages:
            if root in self._seen or archived_root(self.conn, root) != root or \
                    self.conn.execute("SELECT 1 FROM sites WHERE url = ?", (root,)).fetchone():
                continue
            groups.setdefault(site_key(root), []).append(root)
        for roots in groups.values():
            counts = posts if any(posts[root] for root in roots) else pages
            chosen = min(roots, key=lambda root: (-counts[root], spelling_tie_break(root, given)))
            for root in roots:
                self._seen[root] = chosen
                if root != chosen:
                    self.moved[root] = chosen

    def _moved_post(self, site: str, url: str) -> str | None:
        """The post of archived site `site` archived off its root (at the address it moved
        to) at the path of `url` (under `site`), unless `url` is a post itself: looked up in
        the posts' URL index at each root its posts moved to, each URL once."""
        if site not in self._moved_to:
            self._moved_to[site] = _moved_roots(self.conn, site)
        if not self._moved_to[site]:
            return None
        if url not in self._elsewhere:
            moved = [root + url[len(site):] for root in self._moved_to[site]]
            found = dict(self.conn.execute(
                "SELECT p.url, s.url FROM posts p JOIN sites s ON s.id = p.site_id WHERE "
                f"p.url IN ({','.join('?' * (1 + len(moved)))})", (url, *moved)).fetchall())
            self._elsewhere[url] = None if url in found else next(
                (post for post in moved if found.get(post) == site), None)
        return self._elsewhere[url]


def _moved_roots(conn: sqlite3.Connection, site: str) -> list[str]:
    """The roots, sorted, that posts of archived site `site` are archived at other than its
    own (the address it moved to). Their `scheme://host/` heads are read in SQL, a site's
    35,000 posts in ~30 ms where parsing each URL took ~0.25 s CPU (~2.4 s under the
    profiler) on every import; only a wixsite.com head, whose root holds a path, has its
    posts' URLs parsed."""
    heads = [head for (head,) in conn.execute(
        "SELECT DISTINCT substr(p.url, 1, instr(substr(p.url, instr(p.url, '://') + 3), '/') "
        "+ instr(p.url, '://') + 2) FROM posts p JOIN sites s ON s.id = p.site_id "
        "WHERE s.url = ? AND substr(p.url, 1, length(s.url)) != s.url", (site,))]
    roots: set[str] = set()
    for head in heads:
        try:
            if "wixsite" not in head.lower():  # as SiteRoots: the root is the head
                roots.add(site_root(head))
                continue
            for (url,) in conn.execute(
                    "SELECT p.url FROM posts p JOIN sites s ON s.id = p.site_id WHERE s.url = ? "
                    "AND p.url >= ? AND p.url < ?", (site, head, head + "\uffff")):
                roots.add(site_root(url))
        except BadURL:
            continue
    roots.discard(site)
    return sorted(roots)


def one_scheme_notice(given: str, archived: str) -> str:
    """What a command says when it takes `given` (a site or post URL) as the archived
    `archived`, its other-scheme or `www.` spelling (site_twins)."""
    given_host = urlsplit(given if "://" in given else f"https://{given}").hostname or ""
    archived_host = urlsplit(archived).hostname or ""
    if not _twins(given, archived):
        # archived_root's other answer (moved_here): the site's posts are at the address
        # given. It read "www.new.example and new.example are the same site" for another host.
        why = "the blog archived there moved to this address"
    elif given_host != archived_host:
        bare = min(given_host, archived_host, key=len)
        why = f"www.{bare} and {bare} are the same site"
    else:
        why = "http and https are the same site"
    return f"Notice: {given} is archived as {archived} ({why}): using that"


def captured_spelling_notice(given: str, used: str) -> str:
    """What `recover` says when it archives site `given` under `used`, the spelling of it that
    most of its post captures have (archive.recover.captured_spelling)."""
    return (f"Notice: {given} was captured as {used} (most of its post captures): archived "
            f"as that, where a crawl, import or recover of either spelling finds it")


def _twins(given: str, archived: str) -> bool:
    """Whether `given` (a URL, root or host) and the roots `archived` (one, or several joined
    by ", ") are spellings of one site (site_twins); True when one cannot be read."""
    try:
        key = site_key(given if "://" in given else f"https://{given}")
        return all(site_key(root) == key for root in archived.split(", "))
    except BadURL:
        return True


def site_spelling_notice(wanted: str, chosen: Sequence[Mapping[str, Any]]) -> str | None:
    """The notice for a --site value naming a site as a twin of it is archived (site_twins: a
    URL with the other scheme, a host with or without `www.`; the chosen sites hold none by the
    spelling given); None when one of them is as given."""
    wanted = wanted.strip()
    if "://" in wanted:  # a full URL: its root or a twin of it (site_twins) was chosen
        try:
            given = site_root(wanted)
        except BadURL:
            return None
        roots = {s["site"] for s in chosen}
        if given in roots or not roots.intersection(site_twins(given)):
            return None
        return one_scheme_notice(wanted, ", ".join(sorted(roots)))
    host = urlsplit(f"https://{wanted}").hostname or ""
    hosts = {urlsplit(s["site"]).hostname for s in chosen}
    twin_hosts = {urlsplit(twin).hostname for s in chosen if (twin := www_twin(s["site"]))}
    if host in hosts or host not in twin_hosts:
        return None
    return one_scheme_notice(wanted, ", ".join(s["site"] for s in chosen))


def redirected_elsewhere(asked: str, landed: str, roots: Sequence[str]) -> str | None:
    """The root of another site that the request for post `asked` (on the site at `roots`)
    was redirected to, at `landed`: a post moved to another blog or domain. None when it
    landed on the site: one of its roots (where robots.txt said the whole site moved,
    crawler.discover.urls.moved_root) or their twins (site_twins: http or https, `www.` or
    not), or was not redirected. Such a post is that site's, not the crawled one's: a crawl
    leaves it to a crawl of that site, as it does translations on other hosts."""
    if asked == landed or in_any_site(landed, roots):
        return None
    if in_any_site(landed, [twin for root in roots for twin in site_twins(root)]):
        return None
    try:
        return site_root(landed)
    except BadURL:
        return None

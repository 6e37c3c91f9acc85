"""The sites file: which sites `run-due` and `schedule` crawl, how often, how politely and with
which media.

TOML, by default beside the archive (`archive.db` -> `archive.sites.toml`), or `$WIXARCHIVE_SITES`,
or `--sites FILE`. Example:

    # Optional: values every site gets unless it sets its own.
    [defaults]
    every = "1d"                # an interval: "30m", "6h", "2d", "1w", "1d12h"
    contact = "me@example.org"  # added to the User-Agent so site owners can reach you

    [[site]]
    url = "https://www.example.com/blog"   # any page of the site
    name = "Example blog"                  # optional, for your eyes
    every = "6h"
    labels = ["fr", "wellbeing"]          # select with `run-due --label fr`

    [[site]]
    url = "https://someone.wixsite.com/garden"
    cron = "0 3 * * 1"                     # cron syntax, local time: Mondays at 03:00
    delay = 2.0                            # politeness overrides, as `wixarchive crawl` options:
    concurrency = 1                        #   delay, concurrency, autothrottle, user_agent,
    robots = true                          #   contact, robots, capture (false: no WARC)
    timeout = "2h"                         # stop cleanly after this long; default 4h
    media_kinds = "images,documents"       # media, as `wixarchive crawl` options: media
    max_media_mb = 50                      #   (false: --no-media), media_kinds,
    page_requisites = true                 #   max_media_mb, page_requisites

A site with neither `every` nor `cron` uses the default schedule (`[defaults]`, else every 1d).
`wixarchive sites add` appends a `[[site]]` table and keeps the rest of the file as it is;
`wixarchive sites remove` rewrites the file, so comments are not kept by that command.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import os
import re
import time
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w

from archive import atomic_file
from archive.attachments import kinds_setting
from archive.schedule.due import Schedule, ScheduleError, parse_duration
from archive.site_match import site_key
from crawler.discover.urls import control_character_problem, is_site_host, site_root

DEFAULT_EVERY = "1d"
DEFAULT_TIMEOUT = "4h"
# Politeness keys and their TOML types; they map onto `wixarchive crawl` options.
POLITENESS: dict[str, tuple[type, ...]] = {
    "delay": (int, float), "concurrency": (int,), "autothrottle": (bool,),
    "user_agent": (str,), "contact": (str,), "robots": (bool,), "capture": (bool,),
}
# What is fetched beside the pages, as `wixarchive crawl` options (`media = false`: --no-media).
MEDIA: dict[str, tuple[type, ...]] = {
    "media": (bool,), "media_kinds": (str,), "max_media_mb": (int, float),
    "page_requisites": (bool,),
}
SCHEDULING: dict[str, tuple[type, ...]] = {"every": (str,), "cron": (str,), "timeout": (str,)}
SITE_ONLY: dict[str, tuple[type, ...]] = {"url": (str,), "name": (str,), "labels": (list,)}
HEADER = """\
# Sites crawled by `wixarchive run-due` (cron) and `wixarchive schedule` (a long-running loop).
# Each [[site]]: url (any page of the site), every = "6h" | "2d" or cron = "0 3 * * *",
# optional name, labels = [...], timeout = "4h", politeness overrides: delay, concurrency,
# autothrottle, user_agent, contact, robots, capture, and media: media (false: none),
# media_kinds = "images,video,documents", max_media_mb, page_requisites.
# [defaults] holds values for every site.
"""


class SitesError(ValueError):
    """A sites file that cannot be read or is wrong, explained in one line."""


@dataclass(frozen=True)
class Site:
    """One site with the file's defaults applied."""

    url: str
    schedule: Schedule
    name: str | None = None
    labels: tuple[str, ...] = ()
    politeness: dict[str, Any] = field(default_factory=dict)
    media: dict[str, Any] = field(default_factory=dict)  # MEDIA keys; media_kinds normalized
    timeout: timedelta = parse_duration(DEFAULT_TIMEOUT)

    @property
    def root(self) -> str:
        """The archive's key for the site (scheme://host/ or the wixsite.com sub-site)."""
        return site_root(self.url)

    def matches(self, key: str) -> bool:
        """Whether `key` (a URL of the site, its root, host or name) designates this site. A
        host is read as https://HOST, and any spelling a crawl takes for the site (site_key:
        http or https, `www.` or not) designates it: a site listed as http://blog.example/ is
        `--site blog.example` too."""
        key = key.strip()
        return key == self.url or key == self.name or (
            "." in key and site_key(normalize_url(key)) == site_key(self.root))


def default_path(db: Path) -> Path:
    """$WIXARCHIVE_SITES, else beside the archive: archive.db -> archive.sites.toml."""
    env = os.environ.get("WIXARCHIVE_SITES")
    return Path(env) if env else db.with_suffix(".sites.toml")


def normalize_url(url: str) -> str:
    """Add https:// to a bare host and check the URL names a web site."""
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # "http://[bad"
        host = None
    if host is None or parts.scheme not in ("http", "https"):
        raise SitesError(f"{url!r} is not a web site address (http:// or https://)")
    if not is_site_host(host):
        raise SitesError(f"{url!r} is not a web site address: its host {host!r} is no domain "
                         "name (a mistyped scheme, such as htp//?)")
    return url


def _refuse_control_characters(url: str) -> None:
    if problem := control_character_problem(url):
        raise SitesError(problem)


def _check_keys(table: dict[str, Any], allowed: dict[str, tuple[type, ...]], where: str) -> None:
    for key, value in table.items():
        if key not in allowed:
            raise SitesError(f"{where}: unknown key {key!r} (known: {', '.join(allowed)})")
        types = allowed[key]
        # bool is an int in Python, but `delay = true` is a mistake worth reporting.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise SitesError(f"{where}: {key} = {value!r} should be a "
                             f"{' or '.join(t.__name__ for t in types)}")


def _build(table: dict[str, Any], defaults: dict[str, Any], where: str) -> Site:
    _check_keys(table, {**SITE_ONLY, **SCHEDULING, **POLITENESS, **MEDIA}, where)
    if "url" not in table:
        raise SitesError(f"{where}: `url` is missing")
    labels = table.get("labels", [])
    if not all(isinstance(label, str) and label for label in labels):
        raise SitesError(f"{where}: labels must be a list of words")
    own_schedule = "every" in table or "cron" in table
    source = table if own_schedule else defaults
    merged = {**defaults, **table}
    try:
        schedule = Schedule.parse(source.get("every") or (None if source.get("cron")
                                                          else DEFAULT_EVERY), source.get("cron"))
        timeout = parse_duration(merged.get("timeout", DEFAULT_TIMEOUT))
    except ScheduleError as exc:
        raise SitesError(f"{where}: {exc}") from None
    for key in ("delay", "concurrency"):
        if key in merged and merged[key] < (0 if key == "delay" else 1):
            raise SitesError(f"{where}: {key} = {merged[key]} is out of range")
    media = {k: v for k, v in merged.items() if k in MEDIA}
    if "max_media_mb" in media and media["max_media_mb"] <= 0:
        raise SitesError(f"{where}: max_media_mb = {media['max_media_mb']} should be more "
                         "than 0")
    if "media_kinds" in media:
        try:  # as `crawl --media-kinds` reads it
            media["media_kinds"] = kinds_setting(media["media_kinds"])
        except ValueError as exc:
            raise SitesError(f"{where}: media_kinds: {exc}") from None
    try:
        url = normalize_url(table["url"])
    except SitesError as exc:
        raise SitesError(f"{where}: {exc}") from None
    return Site(url=url, schedule=schedule, name=table.get("name"),
                labels=tuple(labels), timeout=timeout,
                politeness={k: v for k, v in merged.items() if k in POLITENESS}, media=media)


class NotUTF8(ValueError):
    """A file of sites holding a line that is no UTF-8 text (Windows-1252, Latin-1...)."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} is not UTF-8 text")
        self.line = line


def decoded(raw: bytes) -> str:
    """A file of sites (a list of URLs, or this TOML file) as text: UTF-8, its byte order mark
    skipped, or UTF-16 after its mark. A spreadsheet's "CSV UTF-8" and Notepad's "UTF-8 with
    BOM" start with the mark (read as UTF-8, it made the first line no URL, no TOML), and
    Notepad's "Unicode" is UTF-16. NotUTF8 for any other encoding, naming its first line that
    is not UTF-8 text."""
    utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        return raw.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUTF8(raw[:exc.start].count(b"\n") + 1) from None


def _text(path: Path) -> str:
    """The sites file's text (`decoded`); FileNotFoundError when there is none."""
    try:
        return decoded(path.read_bytes())
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise SitesError(f"cannot read {path}: {exc.strerror}") from None
    except NotUTF8 as exc:
        raise SitesError(f"cannot read {path}: {exc} (save the file as UTF-8)") from None


def _read(path: Path) -> dict[str, Any]:
    try:
        text = _text(path)
    except FileNotFoundError:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The reverse of `crawl --sites` given a sites file (archive.cli.crawl) gets a hint too.
        hint = (f"; it is a list of URLs, one per line: `wixarchive crawl --sites {path}` "
                f"crawls them, and `wixarchive sites add --from {path}` adds them to the "
                "sites file that run-due reads") if _is_url_list(text) else ""
        raise SitesError(f"{path} is not valid TOML: {exc}{hint}") from None


# A TOML line that sets a key (`url = "..."`), which no line of a list of URLs is.
_TOML_KEY = re.compile(r"[\w.\"'-]+\s*=")


def _is_url_list(text: str) -> bool:
    """Whether the text reads as `crawl --sites` takes it: one URL per line, # comments."""
    lines = [re.sub(r"\s+#.*", "", line).strip() for line in text.splitlines()]
    urls = [line for line in lines if line and not line.startswith("#")]
    return bool(urls) and all("." in url and not re.search(r"\s", url)
                              and not url.startswith("[") and not _TOML_KEY.match(url)
                              for url in urls)


@dataclass(frozen=True)
class BadEntry:
    """A [[site]] entry that is wrong or names a site listed before: skipped by run-due."""

    number: int    # its place among the file's [[site]] entries, from 1
    url: str       # as written ("" when missing)
    problem: str   # one line naming the file and the site number


def parse(document: dict[str, Any], path: Path, bad: list[BadEntry] | None = None,
          ) -> list[Site]:
    """Validate a parsed sites file; errors name the file and the site. With `bad`, each wrong
    or duplicate [[site]] entry is added to it and skipped, so that the other sites are crawled
    (run-due, schedule); without, the first one raises (sites add, remove, list)."""
    _check_keys(document, {"defaults": (dict,), "site": (list,)}, str(path))
    defaults = document.get("defaults", {})
    _check_keys(defaults, {**SCHEDULING, **POLITENESS, **MEDIA}, f"{path} [defaults]")
    sites: list[Site] = []
    first: dict[str, Site] = {}  # site_key -> the entry that named the site first
    for number, table in enumerate(document.get("site", []), 1):
        try:
            site = _entry(table, number, defaults, path, first)
        except SitesError as exc:
            if bad is None:
                raise
            url = table.get("url") if isinstance(table, dict) else None
            bad.append(BadEntry(number, url if isinstance(url, str) else "", str(exc)))
            continue
        first[site_key(site.root)] = site
        sites.append(site)
    return sites


def _entry(table: Any, number: int, defaults: dict[str, Any], path: Path,
           first: dict[str, Site]) -> Site:
    if not isinstance(table, dict):
        raise SitesError(f"{path} site #{number}: `site` must be [[site]] tables")
    url = table.get("url")
    if isinstance(url, str) and (problem := control_character_problem(url)):
        # As `sites add` refuses it; the entry's name would print the character as it is.
        raise SitesError(f"{path} site #{number}: {problem}")
    where = f"{path} site #{number}" + (f" ({url})" if "url" in table else "")
    site = _build(table, defaults, where)
    clash = first.get(site_key(site.root))  # www. or not, http or https: one site
    if clash:
        raise SitesError(f"{where}: same site as {clash.url} ({site.root}); keep one entry")
    return site


def load(path: Path, bad: list[BadEntry] | None = None) -> list[Site]:
    """The sites of a file; a missing file has none. `bad`: as for `parse`."""
    return parse(_read(path), path, bad)


def _table(header: str, table: dict[str, Any]) -> str:
    # tomli-w would write short arrays of tables inline (site = [{...}]); the sites file keeps
    # one [[site]] block per site, which people edit by hand. Values are scalars or string lists.
    return f"{header}\n{tomli_w.dumps(table)}"


def _write(path: Path, text: str) -> None:
    # Replace atomically: a scheduler reading the file never sees half of it.
    parse(tomllib.loads(text), path)
    try:
        with atomic_file.replacing(path, "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        raise SitesError(f"cannot write {path}: {exc.strerror}") from None


def entry(url: str, *, name: str | None = None, every: str | None = None,
          cron: str | None = None, labels: Sequence[str] = (), delay: float | None = None,
          concurrency: int | None = None, autothrottle: bool | None = None,
          user_agent: str | None = None, contact: str | None = None, robots: bool = True,
          capture: bool = True, media: bool = True, max_media_mb: float | None = None,
          media_kinds: str | None = None, page_requisites: bool = False,
          timeout: str | None = None) -> dict[str, Any]:
    """The [[site]] table `sites add` (and `wixarchive.add_site()`) writes for these options:
    only what differs from the defaults, for `add` to validate."""
    return {"url": url, "name": name, "every": every, "cron": cron, "labels": list(labels),
            "delay": delay, "concurrency": concurrency, "autothrottle": autothrottle,
            "user_agent": user_agent, "contact": contact, "robots": None if robots else False,
            "capture": None if capture else False, "media": None if media else False,
            "max_media_mb": max_media_mb, "media_kinds": media_kinds,
            "page_requisites": True if page_requisites else None, "timeout": timeout}


EDIT_PATIENCE = 30.0  # seconds to wait for another edit of the sites file to end


@contextlib.contextmanager
def _editing(path: Path) -> Iterator[None]:
    """One edit of the sites file at a time, from reading it to replacing it: two at once (a
    script adding sites in parallel, two people) each wrote what it had read plus its own
    change, and the other's was lost though it said `Added`. The lock is an flock on the
    file's folder: the file itself is replaced by a rename, so a lock on it would be on a file
    the next editor no longer opens."""
    try:
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise SitesError(f"cannot open the folder of {path}: {exc.strerror}") from None
    try:
        # Held for milliseconds (no network, no prompt): waited for a while, not for ever, in
        # case its holder is stopped (Ctrl-Z) mid-edit.
        deadline = time.monotonic() + EDIT_PATIENCE
        while True:
            try:
                fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SitesError(f"{path} is being edited by another process (sites add "
                                     "or remove) for too long; try again") from None
                time.sleep(0.01)
        yield
    finally:
        os.close(folder)  # releases the lock


def add(path: Path, entry: dict[str, Any]) -> Site:
    """Append a [[site]] table (validated, no duplicate site) and return the resulting Site."""
    entry = {k: v for k, v in entry.items() if v not in (None, [], ())}
    _refuse_control_characters(entry.get("url", ""))
    entry["url"] = normalize_url(entry.get("url", ""))
    with _editing(path):
        return _add(path, entry)


def _add(path: Path, entry: dict[str, Any]) -> Site:
    document = _read(path)
    sites = parse(document, path)
    site = _build(entry, document.get("defaults", {}), entry["url"])
    clash = next((s for s in sites if site_key(s.root) == site_key(site.root)), None)
    if clash:
        raise SitesError(f"{clash.url} is already in {path} (same site {site.root})")
    try:  # written back as UTF-8, whatever `decoded` read
        text = _text(path)
    except FileNotFoundError:
        text = HEADER
    _write(path, text.rstrip("\n") + "\n\n" + _table("[[site]]", entry))
    return site


def remove(path: Path, key: str) -> Site:
    """Remove the site that `key` (a URL of it, its root or its name) designates."""
    with _editing(path):
        return _remove(path, key)


def _remove(path: Path, key: str) -> Site:
    document = _read(path)
    sites = parse(document, path)
    found = [i for i, site in enumerate(sites) if site.matches(key)]
    if not found:
        raise SitesError(f"no site {key!r} in {path}")
    document["site"].pop(found[0])
    blocks = [_table("[defaults]", document["defaults"])] if document.get("defaults") else []
    blocks += [_table("[[site]]", table) for table in document["site"]]
    _write(path, "\n".join([HEADER, *blocks]))
    return sites[found[0]]

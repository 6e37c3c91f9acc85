"""What a Redis writer (archive.distributed) leaves in Redis for the next one, and finds there:
the results it did not store, which archive they belong to (p.ARCHIVE), why it gave up
(p.GAVE_UP), and the requests still in flight when it stopped waiting for them. Nothing here
imports Scrapy."""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import redis

from archive.site_match import archived_root
from archive.store import Archive
from archive.words import counted, plural
from crawler.distributed import protocol as p


class DistributedError(Exception):
    """A distributed crawl cannot go on, phrased for the user (one line)."""


class OtherArchives(DistributedError):
    """The results left in Redis belong to another archive: refused, nothing touched."""


def archive_identity(db: Path) -> dict[str, str]:
    """The archive a writer stores into: its resolved path (symbolic links, `..` and a relative
    path all name one file) on this host (the same path on another host is another file). Not
    an id kept inside the archive: that would need a schema change, and a copy of the archive
    (a backup restored) would take results whose runs it may not hold."""
    return {"archive": str(db.resolve()), "host": socket.gethostname()}


def _owner(server: Any) -> dict[str, str] | None:
    """The archive p.ARCHIVE names, its path and host only."""
    owner = server.get(p.ARCHIVE)
    if owner is None:
        return None
    named = json.loads(owner)
    return {"archive": named.get("archive", "?"), "host": named.get("host", "")}


def refuse_other_archives(server: Any, url: str, archive: Archive, me: bytes) -> None:
    """Raise OtherArchives when the results (or moves) a writer left in Redis belong to another
    archive than `archive`, touching nothing but the writer's own key (`me`, given back). Left
    by a writer without p.ARCHIVE (wixarchive before 2026-12-07), they are stored as then; left
    for an archive no longer at its path on this host, by `archive` when it holds every run they
    belong to (that archive moved here: _holds_their_runs)."""
    db = archive.path
    owner = _owner(server)
    if owner is None or owner == archive_identity(db):
        return
    left, moves = int(server.llen(p.RESULTS)), int(server.hlen(p.MOVES))
    if not left and not moves:
        return  # an ended crawl's key alone: nothing of another archive to store
    theirs, host = owner["archive"], owner["host"]
    gone = host == socket.gethostname() and not Path(theirs).exists()
    if gone and left and _holds_their_runs(server, archive):
        return
    where = f" on {host}" if host and host != socket.gethostname() else ""
    what = counted(left, "result") if left else "site moves"
    if server.get(p.WRITER) == me:
        server.delete(p.WRITER)
    if gone:  # the advice to crawl with `--db` it would create an empty archive there
        raise OtherArchives(
            f"Redis at {p.shown(url)} holds {what} left unstored by a crawl of another "
            f"archive, {theirs}, no longer there: nothing done ({db.name} does not hold the "
            "runs they belong to); if that archive moved, store them by crawling through this "
            "Redis with `--db` its new path; if it is gone for good, drop them "
            f"(`redis-cli -u {p.shown(url)} del {p.RESULTS} {p.MOVES} {p.ARCHIVE}`), or give "
            f"{db.name} another Redis database (e.g. redis://HOST:6379/1)")
    raise OtherArchives(
        f"Redis at {p.shown(url)} holds {what} left unstored by a crawl of another "
        f"archive, {theirs}{where}: nothing done; store them first by crawling through "
        f"this Redis with `--db {theirs}`{where} (`crawl` or `run-due`), or give "
        f"{db.name} another Redis database (e.g. redis://HOST:6379/1)")


def _holds_their_runs(server: Any, archive: Archive) -> bool:
    """Whether `archive` holds every run the results left in Redis name, each of their site:
    it is the archive they were fetched for, moved (a copy made since they began, too), whose
    runs they are stored in as if it had not. A run that ran to its end is no such run."""
    runs: dict[int, str] = {}
    for start in range(0, int(server.llen(p.RESULTS)), 200):  # ~0.8 MB each at most
        for raw in server.lrange(p.RESULTS, start, start + 199):
            message = p.decode_message(raw)
            if message.get("run") is not None:
                runs[int(message["run"])] = message.get("site") or ""
    return bool(runs) and all(
        (held := archive.run_site(run)) is not None
        and (not site or held[0] == archived_root(archive.conn, site))
        and held[1] not in _RAN_TO_ITS_END
        for run, site in runs.items())


# A run that ended so crawled its site to the end, its results stored: none is left of it. One
# of another archive of the site (its run 1, crawled long before) took the results as its own.
_RAN_TO_ITS_END = ("ok", "partial")


def left_for(server: Any, db: Path) -> int:
    """How many results a writer of `db` (or of an unnamed archive) left in Redis, 0 when those
    left are another archive's, or a writer is at work (its own, not left)."""
    if server.exists(p.WRITER):
        return 0
    owner = _owner(server)
    if owner is not None and owner != archive_identity(db):
        return 0
    return int(server.llen(p.RESULTS))


def left_in_redis(server: Any, url: str) -> str | None:
    """The words saying how many results a writer leaves in Redis, if any."""
    try:
        left = int(server.llen(p.RESULTS))
    except redis.RedisError:
        return None
    if not left:
        return None
    return (f"{counted(left, 'result')} the workers sent {plural(left, 'is', 'are')} left "
            f"in Redis at {p.shown(url)}, stored first by the next crawl through it "
            "(`crawl --redis` or `run-due --redis`)")


def keep_gave_up(server: Any, db: Path, reasons: dict[int, str]) -> None:
    """Keep why a writer gave up, by run, for the next writer of `db` (gave_up_reasons)."""
    server.set(p.GAVE_UP, json.dumps({**archive_identity(db), "runs": reasons}))


def gave_up_reasons(server: Any, db: Path) -> dict[int, str]:
    """Why the runs of a writer of `db` that gave up ended, by run id (keep_gave_up)."""
    kept = server.get(p.GAVE_UP)
    if kept is None:
        return {}
    note = json.loads(kept)
    if {"archive": note.get("archive"), "host": note.get("host")} != archive_identity(db):
        return {}
    return {int(run): reason for run, reason in note.get("runs", {}).items()}


def held_requests(server: Any) -> Counter[str]:
    """The requests the workers hold (leased, not done), by site."""
    held: Counter[str] = Counter()
    for data in server.hvals(p.LEASE_DATA):  # "score \n site \n url \n request"
        held[data.split(b"\n", 2)[1].decode()] += 1
    return held


def dropped_words(count: int, grace: float) -> str:
    """The words saying that `count` requests the workers still held at the end of a stop's
    `grace` were dropped: their results, sent later, are refused (their leases gone)."""
    return (f"{counted(count, 'download')} still running after {grace:.0f} s (a large file, "
            f"a slow host) {plural(count, 'was', 'were')} dropped, fetched again by the next "
            "crawl")


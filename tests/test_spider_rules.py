"""The spider's incremental rule: when a sitemap lastmod lets a post be skipped."""

from __future__ import annotations

from archive.store import KnownPost
from crawler.spiders.wix import unchanged_since_fetch


def known(lastmod: str | None, last_seen: str) -> KnownPost:
    return KnownPost(lastmod, None, None, "hash", None, last_seen)


def test_an_equal_lastmod_is_skipped() -> None:
    assert unchanged_since_fetch("2024-05-01", known("2024-05-01", "2024-05-03T08:00:00+00:00"))
    assert unchanged_since_fetch("2024-05-01", known("2024-05-01T10:00:00.000Z",
                                                     "2024-05-03T08:00:00+00:00"))
    stamp = "2024-05-01T10:00:00.000Z"
    assert unchanged_since_fetch(stamp, known(stamp, "2024-05-01T11:00:00+00:00"))


def test_an_older_lastmod_is_fetched() -> None:
    # A blog restored from a backup, or an edit reverted: its lastmod goes back in time.
    assert not unchanged_since_fetch("2024-04-30",
                                     known("2024-05-01", "2024-05-03T08:00:00+00:00"))
    assert not unchanged_since_fetch("2024-05-01T09:00:00.000Z",
                                     known("2024-05-01T10:00:00.000Z", "2024-05-03T08:00:00"))


def test_a_newer_or_missing_lastmod_is_fetched() -> None:
    assert not unchanged_since_fetch("2024-05-02", known("2024-05-01", "2024-05-03T08:00:00"))
    assert not unchanged_since_fetch(None, known("2024-05-01", "2024-05-03T08:00:00"))
    assert not unchanged_since_fetch("2024-05-02", known(None, "2024-05-03T08:00:00"))


def test_a_date_only_lastmod_on_the_day_of_the_last_fetch_is_fetched_again() -> None:
    # Edited later the same day, the sitemap still says that day: only a fetch can tell.
    assert not unchanged_since_fetch("2024-05-03", known("2024-05-03", "2024-05-03T08:00:00"))

"""The canned queries of the web pages read the posts through an index: a query that reads
every post whole takes seconds on a big archive, and Datasette interrupts it at 1 s ("SQL
Interrupted": Recent posts per site, at 200,000 posts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive.store import Archive
from archive.web.metadata import QUERIES


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_a_canned_query_reads_no_post_it_does_not_show(tmp_path: Path, name: str) -> None:
    with Archive.open(tmp_path / "archive.db") as archive:
        sql = QUERIES[name]["sql"]
        params = dict.fromkeys(re.findall(r":(\w+)", sql), "2026-01-01")
        plan = [row[3] for row in archive.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    full_scans = [step for step in plan if re.fullmatch(r"SCAN (p|posts)( .*)?", step)]
    assert not full_scans, plan

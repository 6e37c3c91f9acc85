"""`check` on a big archive: each capture file's rows of the index read by an index on the
file (without it, each file cost a scan of every capture: 2,882 files and 394,509 captures,
5 min 38 s of `check` with nothing shown), and the pass over the files shown on a terminal."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from archive import captures, fixity
from archive.store import Archive
from tests.terminal import REPO, on_a_terminal


def capture(writer: captures.CaptureWriter, n: int) -> captures.CaptureRow:
    body = f"<html><body><p>Post {n}</p></body></html>".encode()
    return writer.write(captures.Exchange(
        url=f"https://blog.example/post/p{n}", method="GET", request_headers=[],
        status=200, response_headers=[("Content-Type", "text/html")], body=body,
        record_id=captures.new_record_id()))


def test_check_reads_each_capture_files_records_by_an_index(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        for first in (0, 3):  # two crawls, a capture file each
            writer = captures.CaptureWriter(captures.captures_dir(db))
            rows = [capture(writer, n) for n in range(first, first + 3)]
            writer.sync()
            with archive.transaction() as conn:
                captures.index_rows(conn, rows)
                captures.mark_file(conn, writer.name, writer.size, closed=True)
            writer.close()
        statements: list[str] = []
        archive.conn.set_trace_callback(statements.append)
        assert fixity.verify(archive.conn, captures.captures_dir(db), notes=[],
                             damaged=[]) == []
        archive.conn.set_trace_callback(None)
        by_file = [sql for sql in statements if re.search(r"FROM captures\b.*file_id =", sql)]
        assert len(by_file) == 2
        for sql in by_file:
            plan = [row[3] for row in archive.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
            assert any("USING INDEX captures_file (file_id=?)" in step for step in plan), plan


def test_check_shows_its_pass_over_the_capture_files_on_a_terminal(tmp_path: Path) -> None:
    """That pass is most of a check (a minute at 2,882 files even with the index), and it
    showed nothing until its last line."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        writer = captures.CaptureWriter(captures.captures_dir(db))
        rows = [capture(writer, n) for n in range(3)]
        writer.sync()
        with archive.transaction() as conn:
            captures.index_rows(conn, rows)
            captures.mark_file(conn, writer.name, writer.size, closed=True)
        writer.close()
    shown = on_a_terminal(["check", "--db", str(db)])
    assert "Verifying capture files" in shown and "100%" in shown
    piped = subprocess.run([sys.executable, "-m", "archive.cli", "check", "--db", str(db)],
                           capture_output=True, text=True, cwd=REPO, timeout=60)
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout.startswith("OK: ")

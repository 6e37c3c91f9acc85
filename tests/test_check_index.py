"""`check` reads each capture file's rows of the index by file: without an index on the file,
each file cost a scan of every capture (2,882 files and 394,509 captures: minutes of `check`
with nothing shown)."""

from __future__ import annotations

import re
from pathlib import Path

from archive import captures, fixity
from archive.store import Archive


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

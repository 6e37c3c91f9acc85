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
from crawler.extract.record import Article
from tests.terminal import REPO, on_a_terminal


def capture(writer: captures.CaptureWriter, n: int) -> captures.CaptureRow:
    body = f"<html><body><p>Post {n}</p></body></html>".encode()
    return writer.write(captures.Exchange(
        url=f"https://blog.example/post/p{n}", method="GET", request_headers=[],
        status=200, response_headers=[("Content-Type", "text/html")], body=body,
        record_id=captures.new_record_id()))


def three_captures(archive: Archive, db: Path) -> list[captures.CaptureRow]:
    """Three posts' pages written in one closed capture file beside `db` and indexed."""
    writer = captures.CaptureWriter(captures.captures_dir(db))
    rows = [capture(writer, n) for n in range(3)]
    writer.sync()
    with archive.transaction() as conn:
        captures.index_rows(conn, rows)
        captures.mark_file(conn, writer.name, writer.size, closed=True)
    writer.close()
    return rows


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
        three_captures(archive, db)
    shown = on_a_terminal(["check", "--db", str(db)])
    assert "Verifying capture files" in shown and "100%" in shown
    piped = subprocess.run([sys.executable, "-m", "archive.cli", "check", "--db", str(db)],
                           capture_output=True, text=True, cwd=REPO, timeout=60)
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout.startswith("OK: ")


# A crawl's site lock, as `crawl`, `run-due` and `schedule` hold it beside the archive for the
# whole crawl: held once the line is printed, until the process is killed.
CRAWL_LOCK = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from archive.schedule.locks import SiteLock, lock_path
lock = SiteLock.acquire(lock_path(Path(sys.argv[1]), "https://blog.example/"), site="s",
                        now=datetime.now(UTC))
print("held", flush=True)
time.sleep(60)
"""


def five_posts_beside_a_crawl(tmp_path: Path) -> tuple[Path, subprocess.Popen]:
    """An archive of 5 posts and a process holding its crawl lock, as a running crawl does
    (it prints "held" once it holds it)."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([Article(url=f"https://blog.example/post/p{n}", title=f"Post {n}",
                                       body_text=f"text {n}") for n in range(5)])
    return db, subprocess.Popen([sys.executable, "-c", CRAWL_LOCK, str(db)], cwd=REPO,
                                stdout=subprocess.PIPE, text=True)


def test_check_beside_a_running_crawl_leaves_the_write_lock_to_it(tmp_path: Path) -> None:
    """The search index's full comparison is a write statement: it held the archive's write
    lock to its end, at 1M posts over a minute of CPU (minutes on a loaded machine), and a crawl
    kept waiting past its 30 s busy timeout stopped ("the archive is busy"). Beside a crawl,
    `check` compares the index by its number of posts, as on a read-only file, and says so."""
    import json
    import os
    import sqlite3

    db, crawl = five_posts_beside_a_crawl(tmp_path)
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        assert crawl.stdout is not None and crawl.stdout.readline() == "held\n"
        writer.execute("BEGIN IMMEDIATE")  # the crawl writing: the write lock is its own
        result = subprocess.run(
            [sys.executable, "-m", "archive.cli", "check", "--json", "--db", str(db)],
            capture_output=True, text=True, cwd=REPO, timeout=120,
            env={**os.environ, "WIXARCHIVE_BUSY_TIMEOUT_MS": "2000"})
        writer.execute("ROLLBACK")
    finally:
        writer.close()
        crawl.kill()
        crawl.wait()
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["posts"] == 5, report
    assert [note for note in report["notes"] if note.startswith(
        "search index compared with the posts by their number only: the crawl of s by pid "
        f"{crawl.pid}")], report["notes"]
    # No crawl: every word compared again, nothing noted.
    again = json.loads(subprocess.run(
        [sys.executable, "-m", "archive.cli", "check", "--json", "--db", str(db)],
        capture_output=True, text=True, cwd=REPO, timeout=120).stdout)
    assert again["ok"] and again["notes"] == [], again


def test_check_beside_a_crawl_storing_a_post_counts_index_and_posts_at_one_moment(
        tmp_path: Path) -> None:
    """Beside a crawl, the index's posts and the archive's were counted by two statements, each
    its own read of the file: a post the crawl stored between them was counted in one and not
    the other, and `check` reported the index broken ("search index holds 5 posts, the archive
    6; `wixarchive check --repair` rebuilds it") when nothing was wrong."""
    db, crawl = five_posts_beside_a_crawl(tmp_path)
    stored: list[int] = []

    def crawl_stores_a_post(sql: str) -> None:
        # The crawl's commit lands once the check has started counting, as it may any time.
        if not stored and re.search(r"count\(\*\) FROM posts\b", sql):
            stored.append(len(stored))
            with Archive.open(db) as crawler:
                crawler.save_articles([Article(url="https://blog.example/post/new",
                                               title="New", body_text="new text")])

    try:
        assert crawl.stdout is not None and crawl.stdout.readline() == "held\n"
        with Archive.open(db) as archive:
            archive.conn.set_trace_callback(crawl_stores_a_post)
            notes: list[str] = []
            problems = archive.check(notes)
            archive.conn.set_trace_callback(None)
    finally:
        crawl.kill()
        crawl.wait()
    assert stored, "the crawl stored no post during the check"
    assert [note for note in notes if "by their number only" in note], notes
    assert problems == []


def test_check_of_a_read_only_archive_names_what_it_could_not_record(tmp_path: Path) -> None:
    """A read-only archive is checked without closing the runs left `running` by a process that
    is gone or noting damaged capture records: it said nothing of them, and an administrator
    took the next crawl to capture the records again. Now they are named, until recorded."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        rows = three_captures(archive, db)
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
        archive.start_run("https://blog.example/", pid=int(gone.stdout))
    capture_file = captures.captures_dir(db) / rows[1].file
    data = bytearray(capture_file.read_bytes())
    data[rows[1].offset + rows[1].length // 2] ^= 0xFF  # the second record's gzip data
    capture_file.write_bytes(bytes(data))

    def check(mode: int) -> list[str]:
        db.chmod(mode)
        result = subprocess.run([sys.executable, "-m", "archive.cli", "check", "--db", str(db)],
                                capture_output=True, text=True, cwd=REPO, timeout=120)
        assert result.returncode == 1  # the damaged record is a problem, whoever checks
        return [line for line in result.stderr.splitlines() if line.startswith("Note:")]

    assert check(0o444) == [
        "Note: checked read-only: the archive was opened read-only; not recorded: 1 crawl run "
        "left `running` by a process that is gone (not closed as interrupted) and 1 damaged "
        "capture record (not noted for the next crawl to capture again); check again once it "
        "can be written"]
    assert check(0o644) == []  # recorded
    assert check(0o444) == []

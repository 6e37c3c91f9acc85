"""The CLI on a flaky server: an archive another process keeps locked, Ctrl-C and SIGTERM part
way through a command, a writer killed outright, a terminal that is not UTF-8. Every command
is run as a user runs it, in a subprocess, against real archives."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archive.captures import captures_dir
from archive.importer import BATCH as IMPORT_BATCH
from archive.importer import import_files
from archive.reextract import BATCH, reextract
from archive.store import Archive
from crawler.extract import extract_article
from crawler.sample_site import SampleBlog, serve_blog
from tests.outputs import POST, POST_URL, REPO, build_outputs_archive
from tests.processes import HANG_GUARD, Output, wait_until, write_lock
from tests.webarchives import write_warc

BUSY = "Error: the archive is busy: another process kept it locked for too long; try again\n"


def run(*args: str, env: dict[str, str] | None = None,
        encoding: str = "utf-8") -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    environ.pop("WIXARCHIVE_DB", None)
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          encoding=encoding, env=environ, timeout=HANG_GUARD)


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "archive.cli", *args],
                            env={**os.environ, "PYTHONPATH": str(REPO)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def held(db: Path, *statements: str) -> Iterator[None]:
    """Another process holding the archive with `statements` run, until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], "
         "isolation_level=None)\nfor s in sys.argv[2:]: c.execute(s)\nprint('held', "
         "flush=True); sys.stdin.read()", str(db), *statements],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        yield
    finally:
        holder.communicate("")


# -- 1. a busy archive -------------------------------------------------------------------------

READERS_KEPT_OUT = ("PRAGMA locking_mode = EXCLUSIVE", "BEGIN",
                    "UPDATE crawl_runs SET status = status", "COMMIT")


@pytest.mark.parametrize("args", [
    ["stats"], ["search", "fern"], ["check"], ["export", "--format", "jsonl", "{tmp}/o.jsonl"],
    ["reextract"], ["import", "{warc}"], ["serve", "--port", "0"],
    ["runs", "--failing"], ["run-due", "--sites", "{tmp}/sites.toml"], ["sites", "list"],
], ids=lambda args: args[0])
def test_a_lock_that_keeps_readers_out_is_busy_not_unreadable(tmp_path: Path,
                                                              args: list[str]) -> None:
    """Another process in SQLite's exclusive locking mode, after a write, keeps even readers
    out. Every command said "a.db is not a readable archive (database is locked)" and exited 1,
    as for a damaged file. Now: the busy error of docs/operations.md and status 75 (try again)."""
    db = build_outputs_archive(tmp_path / "a.db")
    (tmp_path / "sites.toml").write_text('[[site]]\nurl = "https://www.example-garden.com/"\n')
    (tmp_path / "a.sites.toml").write_text('[[site]]\nurl = "https://www.example-garden.com/"\n')
    warc = _warc(tmp_path, 1)
    args = [arg.replace("{tmp}", str(tmp_path)).replace("{warc}", str(warc)) for arg in args]
    with held(db, *READERS_KEPT_OUT):
        result = run(*args, "--db", str(db), env={"WIXARCHIVE_BUSY_TIMEOUT_MS": "200"})
    assert (result.returncode, result.stderr) == (75, BUSY), args


# `wixarchive search ARGS` whose query waits, once the archive is open, until a line on stdin:
# between two of its statements (none left unfinished: each would keep a read transaction).
PAUSED_SEARCH = """import gc, sys
from archive import search
from archive.cli import main


def paused(query):  # a search's query (top) or count's (count), run once the test says so
    def run(self, conn, *args, **kwargs):
        gc.collect()
        assert not conn.in_transaction
        print("open", flush=True)
        sys.stdin.readline()
        return query(self, conn, *args, **kwargs)
    return run


search._Ranked.top = paused(search._Ranked.top)
search._Ranked.count = paused(search._Ranked.count)
main(sys.argv[1:], prog_name="wixarchive")
"""


@pytest.mark.parametrize("count", [False, True], ids=["search", "count"])
def test_a_search_whose_query_finds_the_archive_locked_is_busy(tmp_path: Path,
                                                               count: bool) -> None:
    """An archive locked once a search had opened it: `Error: the query could not run: database
    is locked`, exit 1, as for a query at fault. Now the busy error and 75, as when opening.
    (In WAL mode no process can take a lock keeping readers out while a search has the
    archive open; an archive taken out of WAL mode, as a copy made with the sqlite3 shell may
    be, which a search reads as it is, can be locked between two of its statements.)"""
    db = build_outputs_archive(tmp_path / "a.db")
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
    search = subprocess.Popen(
        [sys.executable, "-c", PAUSED_SEARCH, "search", "fern", "--db", str(db),
         *(["--count"] if count else [])], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "WIXARCHIVE_BUSY_TIMEOUT_MS": "200"})
    try:
        assert search.stdout.readline() == "open\n"
        with held(db, "BEGIN EXCLUSIVE"):
            out, err = search.communicate("go\n", timeout=HANG_GUARD)
    finally:
        if search.poll() is None:
            search.kill()
            search.wait()
    assert (search.returncode, err, out) == (75, BUSY, "")


def test_reextract_of_an_archive_another_writer_holds_exits_75(tmp_path: Path) -> None:
    """A plain write lock (BEGIN EXCLUSIVE in WAL mode): reextract said so, but exited 1."""
    db = build_outputs_archive(tmp_path / "a.db")
    with held(db, "BEGIN EXCLUSIVE"):
        result = run("reextract", "--db", str(db), env={"WIXARCHIVE_BUSY_TIMEOUT_MS": "200"})
    assert (result.returncode, result.stderr) == (75, BUSY)


# -- 2, 3. Ctrl-C, SIGTERM, SIGKILL ------------------------------------------------------------

def _big_archive(path: Path, posts: int = 1500) -> Path:
    """An archive whose JSON lines export takes about a second: long enough to stop part way."""
    article = extract_article(POST.read_bytes(), POST_URL)
    article = dataclasses.replace(article, body_text=article.body_text * 40,
                                  body_html=article.body_html * 40)
    with Archive.open(path) as archive:
        archive.save_articles([dataclasses.replace(article, url=f"{POST_URL}-{n}",
                                                   title=f"Post {n}") for n in range(posts)])
    return path


def _warc(folder: Path, pages: int) -> Path:
    """A WARC of `pages` post pages, each its own post."""
    body = POST.read_bytes()
    warc = folder / f"{pages}.warc.gz"
    write_warc(warc, [(f"{POST_URL}-{n}", body.replace(b"Five Ways", f"Way {n}".encode()),
                       "text/html") for n in range(pages)])
    return warc


def _stopped(proc: subprocess.Popen[str], ready: Callable[[], object],
             signum: int) -> tuple[int, str]:
    """Send `signum` once `ready()` holds; the exit status and stderr."""
    wait_until(ready, "the command under way", proc)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=HANG_GUARD)
    return proc.returncode, err


def _paused_once(proc: subprocess.Popen[str], holds: Callable[[], object]) -> None:
    """`proc` stopped (SIGSTOP) at a moment `holds()` does: checked while it cannot move on."""
    state = Path(f"/proc/{proc.pid}/stat")
    if not state.exists():
        proc.kill()
        pytest.skip("no /proc/PID/stat: cannot see the command paused")
    deadline = time.monotonic() + HANG_GUARD
    while True:
        proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: state.read_text().rsplit(")", 1)[1].split()[0] in "TZX",
                   "the command paused", proc)
        if holds():
            return
        proc.send_signal(signal.SIGCONT)
        assert proc.poll() is None and time.monotonic() < deadline, "never seen under way"
        time.sleep(0.02)


def _temporaries(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_export_stopped_part_way_leaves_the_old_file_and_no_temporary(
        tmp_path: Path, signum: int) -> None:
    """Ctrl-C printed click's `Aborted!` and exited 1; SIGTERM killed the export on the spot,
    its hidden temporary file (22 MB on the reporter's archive) left for good. Now both remove
    it, say that nothing was written, and exit 130 / 143 as a stopped crawl does."""
    db = _big_archive(tmp_path / "a.db")
    out = tmp_path / "out"
    out.mkdir()
    keep = out / "keep.jsonl"
    keep.write_text("the export before\n")
    proc = start("export", "--format", "jsonl", str(keep), "--db", str(db))
    # Paused with its temporary file there, it cannot finish before the signal, however slow
    # the test (it could: 1,500 posts export in about a second).
    _paused_once(proc, lambda: _temporaries(out))
    proc.send_signal(signum)
    proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=HANG_GUARD)
    status = proc.returncode
    assert status == 128 + signum, err
    assert err == f"Interrupted: nothing written: {keep} is left as it was\n"
    assert keep.read_text() == "the export before\n"
    assert _temporaries(out) == []


@pytest.mark.parametrize("fmt", ["jsonl", "wacz"])
def test_an_export_stopped_just_after_its_file_was_renamed_says_it_is_written_whole(
        tmp_path: Path, fmt: str) -> None:
    """A SIGTERM landing in the few instructions after the export's file was renamed over OUT
    said `nothing written: OUT is left as it was`, while OUT held the new export. The signal is
    sent by the export process itself the moment os.replace returns, so it lands there every
    time."""
    db = tmp_path / "a.db"
    if fmt == "wacz":  # a crawl's captures, which a WACZ packs
        with serve_blog(SampleBlog(seed=2, post_count=2)) as server:
            assert run("crawl", server.url, "--db", str(db), "--delay", "0",
                       "--no-autothrottle").returncode == 0
    else:
        build_outputs_archive(db)
    keep = tmp_path / f"keep.{fmt}"
    keep.write_text("the export before\n")
    stopping = ("import os, signal, sys\nreplace = os.replace\n"
                "def replaced(*args, **kwargs):\n replace(*args, **kwargs)\n"
                " os.kill(os.getpid(), signal.SIGTERM)\n"
                "os.replace = replaced\nfrom archive.cli import main\n"
                "sys.argv = ['wixarchive', *sys.argv[1:]]\nmain()")
    result = subprocess.run([sys.executable, "-c", stopping, "export", "--format", fmt,
                             str(keep), "--db", str(db)],
                            env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                            text=True, timeout=HANG_GUARD)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert result.stderr == f"Interrupted: the export had finished: {keep} is written whole\n"
    assert keep.read_bytes() != b"the export before\n"
    assert _temporaries(tmp_path) == []


def test_a_killed_writers_temporary_file_is_removed_by_the_next_export(tmp_path: Path) -> None:
    """SIGKILL (or the out-of-memory killer) gives no chance to clean up: the next export of the
    same file removes what the killed one left, and only that."""
    db = build_outputs_archive(tmp_path / "a.db")
    keep = tmp_path / "keep.jsonl"
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from archive import "
         "atomic_file\nwith atomic_file.replacing(Path(sys.argv[1])) as out:\n out.write(b'x')\n"
         " out.flush(); print('writing', flush=True); sys.stdin.read()", str(keep)],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline() == "writing\n"
    writer.kill()
    writer.communicate()
    (killed,) = _temporaries(tmp_path)
    # Left by a version whose names carried no pid: removed once untouched for 10 minutes.
    old = tmp_path / ".keep.jsonl.c72cf818.tmp"
    old.write_text("partial")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    recent = tmp_path / ".keep.jsonl.0badcafe.tmp"  # a writer's of an older version, maybe live
    recent.write_text("partial")
    # A live writer's (this test's pid), and another file's.
    live = tmp_path / f".keep.jsonl.{os.getpid()}.12345678.tmp"
    live.write_text("partial")
    other = tmp_path / ".other.jsonl.c72cf818.tmp"
    other.write_text("partial")
    os.utime(other, (time.time() - 3600, time.time() - 3600))
    assert run("export", "--format", "jsonl", str(keep), "--db", str(db)).returncode == 0
    assert not killed.exists() and not old.exists()
    assert _temporaries(tmp_path) == sorted([recent, live, other])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_import_stopped_part_way_says_what_it_saved_and_resumes(tmp_path: Path,
                                                                   signum: int) -> None:
    """An import resumed, stopped while it stores its first batch, resumed to its end. Stopped
    when its first committed batch showed (the test's gate before), a machine too slow or too
    fast let it finish first; here the test holds the archive's write lock: it commits
    nothing more once the signal is sent."""
    db = tmp_path / "a.db"
    warc = _warc(tmp_path, 1500)

    def stop(n: int) -> None:  # a Ctrl-C right after the first batch's commit
        raise KeyboardInterrupt

    with Archive.open(db) as archive, pytest.raises(KeyboardInterrupt):
        import_files(archive, [warc], progress=stop)
    saved = _count(db, "SELECT count(*) FROM posts")
    assert saved == IMPORT_BATCH
    before = _capture_bytes(db)
    with write_lock(db) as release:
        proc = start("import", str(warc), "--db", str(db))
        # Storing its first batch's captures: under way, its commit waiting for the lock.
        wait_until(lambda: _capture_bytes(db) > before, "the import under way", proc)
        proc.send_signal(signum)
        release()  # the signal is handled as its wait ends: before its commit
        _, err = proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == 128 + signum, err
    assert _count(db, "SELECT count(*) FROM posts") == saved
    assert err == (f"Interrupted: 0 of {1500 - saved} post pages imported so far are saved in "
                   f"{db}; run the same command again to resume: what was imported is skipped\n")
    again = run("import", str(warc), "--db", str(db), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["already"] == saved
    assert _count(db, "SELECT count(*) FROM posts") == 1500


def _capture_bytes(db: Path) -> int:
    return sum(path.stat().st_size for path in captures_dir(db).glob("*.warc.gz"))


# `wixarchive import ARGS` stopped as a Ctrl-C would stop it right after its first batch of
# pages was committed, before the call counting it (the progress bar's) ran.
STOPPED_IMPORT = """import sys
from archive import importer
from archive.cli import main

commit = importer._Importer.commit


def stopped(self, write=None):
    commit(self, write)
    if write is not None:  # a batch of pages
        raise KeyboardInterrupt


importer._Importer.commit = stopped
main(sys.argv[1:], prog_name="wixarchive")
"""


# The same, with a crawl of another site storing its pages in the archive meanwhile (its
# captures' source is "crawl"), as another process may: here the real importer writes them,
# through another connection, between the import's first commit and the stop.
STOPPED_IMPORT_BESIDE_A_CRAWL = """import sys
from pathlib import Path
from archive import importer
from archive.cli import main
from archive.store import Archive

commit = importer._Importer.commit


def stopped(self, write=None):
    commit(self, write)
    if write is not None and self.source == importer.SOURCE:
        with Archive.open(Path(sys.argv[-1])) as other:
            importer.import_files(other, [Path(sys.argv[1])], source="crawl")
        raise KeyboardInterrupt


importer._Importer.commit = stopped
main(sys.argv[2:], prog_name="wixarchive")
"""


def test_an_import_stopped_beside_a_crawl_counts_its_own_pages_only(tmp_path: Path) -> None:
    """The Interrupted line counts the post pages this import saved, read back as the newest
    captures: those a crawl stored meanwhile were counted too (`400 of 1500 post pages
    imported so far are saved` with 100 imported)."""
    db = tmp_path / "a.db"
    warc = _warc(tmp_path, 1500)
    crawled = tmp_path / "crawled.warc.gz"
    write_warc(crawled, [(f"https://other.example/post/page-{n}", POST.read_bytes(),
                          "text/html") for n in range(300)])
    result = subprocess.run([sys.executable, "-c", STOPPED_IMPORT_BESIDE_A_CRAWL, str(crawled),
                             "import", str(warc), "--db", str(db)], capture_output=True,
                            text=True, timeout=HANG_GUARD,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 130, result.stderr
    assert _count(db, "SELECT count(*) FROM captures WHERE source = 'crawl'") == 300
    assert result.stderr == (f"Interrupted: {IMPORT_BATCH} of 1500 post pages imported so far "
                             f"are saved in {db}; run the same command again to resume: what "
                             "was imported is skipped\n")


def test_an_import_stopped_right_after_a_commit_counts_that_batch(tmp_path: Path) -> None:
    """The Interrupted line said what the progress calls had counted: stopped between a
    batch's commit and its count, `0 of 1500 post pages imported so far are saved` with 100
    in the archive. It reads back from the archive what this import saved now."""
    db = tmp_path / "a.db"
    warc = _warc(tmp_path, 1500)
    result = subprocess.run([sys.executable, "-c", STOPPED_IMPORT, "import", str(warc), "--db",
                             str(db)], capture_output=True, text=True, timeout=HANG_GUARD,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 130, result.stderr
    assert _count(db, "SELECT count(*) FROM posts") == IMPORT_BATCH
    assert result.stderr == (f"Interrupted: {IMPORT_BATCH} of 1500 post pages imported so far "
                             f"are saved in {db}; run the same command again to resume: what "
                             "was imported is skipped\n")
    again = run("import", str(warc), "--db", str(db), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["already"] == IMPORT_BATCH


def _stop_after_first_batch(db: Path) -> None:
    """A re-extraction of the archive stopped as a Ctrl-C would stop it right after its first
    batch was committed, before anything counted it."""
    def stop(n: int) -> None:
        raise KeyboardInterrupt

    with Archive.open(db) as archive, pytest.raises(KeyboardInterrupt):
        reextract(archive, progress=stop, workers=1)


def _stopped_under_write_lock(db: Path, signum: int, *args: str) -> tuple[int, str]:
    """`wixarchive ARGS` stopped by `signum` once it says it resumes, while this test holds the
    archive's write lock: it can commit nothing more, however fast or slow the machine."""
    with write_lock(db) as release:
        proc = start(*args)
        err = Output(proc.stderr)
        wait_until(lambda: "Resuming" in err, "the command under way", proc)
        proc.send_signal(signum)
        # Blocked on the lock, it handles the signal once its wait ends: before its commit.
        release()
        proc.wait(timeout=HANG_GUARD)
    return proc.returncode, err.finish()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_reextract_stopped_part_way_says_what_it_saved_and_resumes(tmp_path: Path,
                                                                     signum: int) -> None:
    """Stopped while resuming a re-extraction, then resumed to its end. The line says what the
    run's row holds: a stop landing between a batch's commit and the progress call counting it
    said a batch too few (read back now), and stopped by a machine too slow or too fast the
    test raced the command's end (the write lock held here is the gate)."""
    db = tmp_path / "a.db"
    assert run("import", str(_warc(tmp_path, 1500)), "--db", str(db)).returncode == 0
    _stop_after_first_batch(db)
    done = "SELECT json_extract(counts, '$.posts') FROM reextractions"
    assert _count(db, done) == BATCH
    status, err = _stopped_under_write_lock(db, signum, "reextract", "--db", str(db))
    assert status == 128 + signum, err
    assert err == (f"Resuming the re-extraction that was stopped.\nInterrupted: {BATCH} posts "
                   f"done so far are saved in {db}; run `wixarchive reextract` again to resume "
                   "from there\n")
    assert _count(db, done) == BATCH
    again = run("reextract", "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert again.stderr == "Resuming the re-extraction that was stopped.\n"
    assert again.stdout == "1500 posts re-extracted: 0 changed, 0 failed\n"


def test_a_resumed_reextract_counts_the_posts_without_a_capture_once(tmp_path: Path) -> None:
    """Posts archived without captures were counted as their batch was planned, up to three
    batches ahead of the one committed: stopped after its first batch and resumed, a re-extraction
    of 1,500 such posts said `1900 posts have no capture`."""
    db = _big_archive(tmp_path / "a.db")
    _stop_after_first_batch(db)
    again = run("reextract", "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert again.stdout == (
        "0 posts re-extracted: 0 changed, 0 failed\n1500 posts have no capture (archived with "
        "--no-capture or before captures existed, and unchanged since): not re-extracted; "
        "capture them with: wixarchive crawl URL --refetch\n")


def _count(db: Path, sql: str) -> object:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            row = conn.execute(sql).fetchone()
    except sqlite3.Error:
        return None  # not created yet
    return row[0] if row else None


def test_a_crawl_stopped_before_it_crawls_exits_130(tmp_path: Path) -> None:
    """Ctrl-C before the crawl's own signal handling is in place (here: reading a --sites FIFO
    nobody writes): click's `Aborted!` and status 1 before, now 130 as any stopped crawl."""
    fifo = tmp_path / "sites.txt"
    os.mkfifo(fifo)
    proc = start("crawl", "--sites", str(fifo), "--db", str(tmp_path / "a.db"))
    wchan = Path(f"/proc/{proc.pid}/wchan")
    if not wchan.exists():
        proc.kill()
        pytest.skip("no /proc/PID/wchan: cannot see the crawl wait on the FIFO")
    status, err = _stopped(proc, lambda: wchan.read_text() == "wait_for_partner",
                           signal.SIGINT)
    assert (status, err) == (130, "Interrupted.\n")


# -- 4. a terminal that is not UTF-8 -----------------------------------------------------------

def test_search_on_a_latin1_terminal_escapes_what_it_cannot_show(tmp_path: Path) -> None:
    """`…` in a snippet ended the search in a UnicodeEncodeError traceback on a Latin-1
    terminal, --json too. Now such characters are written as \\uXXXX: readable, and the JSON
    output stays valid JSON of the same text."""
    db = build_outputs_archive(tmp_path / "a.db")
    latin1 = {"env": {"PYTHONIOENCODING": "latin-1"}, "encoding": "latin-1"}
    text = run("search", "fern", "--db", str(db), **latin1)
    assert text.returncode == 0, text.stderr
    assert "· Ada Gardener ·" in text.stdout  # what Latin-1 has is written as it is
    assert "\\u2026A [fern] is a patient plant" in text.stdout
    as_json = run("search", "fern", "--json", "--db", str(db), **latin1)
    assert as_json.returncode == 0, as_json.stderr
    expected = json.loads(run("search", "fern", "--json", "--db", str(db)).stdout)
    assert "…" in expected[0]["snippet"]
    assert json.loads(as_json.stdout) == expected


def test_a_crawl_on_an_ascii_terminal_prints_each_sites_line(tmp_path: Path) -> None:
    """The `✓ SITE: N posts` line was dropped without a word: the error printing it was taken
    for a crawler's half-written result line and skipped."""
    with serve_blog(SampleBlog(seed=3, post_count=2)) as server:
        result = run("crawl", server.url, "--db", str(tmp_path / "a.db"), "--delay", "0",
                     "--no-media", env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert f"\\u2713 {server.url}/: 2 posts: 2 new" in result.stdout, result.stdout

"""The Python API does what the command of the same name does, through the same code: on a real
crawl of the sample blog (its images archived), each API call's files and results are the
command's."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import wixarchive
from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog
from tests.damage import overwrite_root_pages
from tests.outputs import GONE_SITE, POST_URL, REPO, build_outputs_archive
from tests.outputs import wixarchive as run_wixarchive
from tests.processes import write_lock
from tests.pywb import MISSING, pywb_bin, wayback
from tests.webarchives import serve_pages


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of the sample blog, crawled with its images (served by the blog itself)."""
    db = tmp_path_factory.mktemp("parity") / "blog.db"
    with serve_blog(SampleBlog(seed=3, post_count=6)) as server, \
            pytest.MonkeyPatch.context() as env:
        env.setenv("WIXARCHIVE_MEDIA_BASE", f"{server.url}/media/")
        [summary] = wixarchive.crawl(server.url, db, delay=0, autothrottle=False)
    assert summary.status == "ok", summary
    return db


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def without_date(wxr: Path) -> str:
    """The WXR file but its channel's pubDate, the time it was written."""
    return re.sub(r"<pubDate>[^<]*</pubDate>", "", wxr.read_text(encoding="utf-8"), count=1)


def images_in(folder: Path) -> list[str]:
    return [name for name in files_of(folder) if "/images/" in name]


def test_markdown_export_writes_the_images_the_command_writes(crawled: Path,
                                                              tmp_path: Path) -> None:
    run_wixarchive("export", "--format", "markdown", str(tmp_path / "cli"), "--db", str(crawled),
                   check=True)
    with wixarchive.open(crawled) as archive:
        assert wixarchive.export(archive, tmp_path / "api", format="markdown") == 6
    assert images_in(tmp_path / "cli")  # the sample blog's posts have images
    assert files_of(tmp_path / "api") == files_of(tmp_path / "cli")


@pytest.mark.parametrize(("out", "options", "arguments"), [
    ("md", ["--format", "markdown"], {"format": "markdown"}),
    ("wordpress.xml", ["--images-url", "https://example.org/img/"],
     {"images_url": "https://example.org/img/"}),
    ("posts.wacz", [], {}),
    ("versions.csv", ["--versions"], {"versions": True}),
], ids=["markdown", "wxr images", "wacz", "csv versions"])
def test_export_returns_the_summary_the_command_prints(crawled: Path, tmp_path: Path, out: str,
                                                       options: list[str],
                                                       arguments: dict[str, object]) -> None:
    """export() returned the count alone, where `wixarchive export --json` says what else
    it wrote (images and files, archived copies, a WACZ's records): it still returns the count,
    an int, whose summary is the command's."""
    (tmp_path / "cli").mkdir()
    (tmp_path / "api").mkdir()
    printed = json.loads(run_wixarchive("export", str(tmp_path / "cli" / out), *options,
                                        "--json", "--db", str(crawled), check=True).stdout)
    with wixarchive.open(crawled) as archive:
        result = wixarchive.export(archive, tmp_path / "api" / out, **arguments)
    returned = result.to_dict()
    assert isinstance(result, int)
    assert result == (printed["versions"] if "versions" in printed else printed["posts"]) > 0
    assert returned["output"] == str(tmp_path / "api" / out)
    assert printed.get("images", 1) > 0  # the sample blog's posts have images
    varying = {"output", "images_folder", "bytes"}  # the paths, and a WACZ's zip dates
    assert ({key: value for key, value in returned.items() if key not in varying}
            == {key: value for key, value in printed.items() if key not in varying})


def test_an_api_export_into_the_commands_folder_keeps_its_images(crawled: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "content"
    run_wixarchive("export", "--format", "markdown", str(out), "--db", str(crawled), check=True)
    before = files_of(out)
    with wixarchive.open(crawled) as archive:
        wixarchive.export(archive, out, format="markdown")
    assert files_of(out) == before


def test_wxr_images_url_and_csv_options_write_what_the_command_writes(crawled: Path,
                                                                     tmp_path: Path) -> None:
    base = "https://example.org/img/"
    run_wixarchive("export", str(tmp_path / "cli.xml"), "--images-url", base, "--db",
                   str(crawled), check=True)
    run_wixarchive("export", str(tmp_path / "cli.csv"), "--bom", "--no-escape-formulas",
                   "--db", str(crawled), check=True)
    with wixarchive.open(crawled) as archive:
        wixarchive.export(archive, tmp_path / "api.xml", images_url=base)
        wixarchive.export(archive, tmp_path / "api.csv", bom=True, escape_formulas=False)
        with pytest.raises(ValueError, match="flat=True is for format markdown, not 'csv'"):
            wixarchive.export(archive, tmp_path / "x.csv", flat=True)
        with pytest.raises(ValueError, match="images_url must be an http"):
            wixarchive.export(archive, tmp_path / "x.xml", images_url="ftp://example.org/")
    assert without_date(tmp_path / "api.xml") == without_date(tmp_path / "cli.xml")
    assert files_of(tmp_path / "api-images") == files_of(tmp_path / "cli-images") != {}
    assert (tmp_path / "api.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()
    assert (tmp_path / "api.csv").read_text(encoding="utf-8").startswith("\ufeff")


def test_check_verifies_the_captures_as_the_command_does(crawled: Path, tmp_path: Path) -> None:
    db = tmp_path / "blog.db"
    shutil.copy(crawled, db)
    shutil.copytree(crawled.with_suffix(".captures"), db.with_suffix(".captures"))
    [warc] = db.with_suffix(".captures").glob("*.warc.gz")
    warc.write_bytes(warc.read_bytes()[:-200])  # the last records cut off
    command = run_wixarchive("check", "--json", "--db", str(db))
    assert command.returncode == 1
    printed = json.loads(command.stdout)
    with wixarchive.open(db) as archive:
        result = wixarchive.check(archive)
        assert archive.check() == []  # the SQL checks alone see nothing wrong
    assert not result.ok and result.problems
    assert result.to_dict() == printed | {"db": str(db)}
    with wixarchive.open(crawled) as archive:
        healthy = wixarchive.check(archive)
    assert healthy.ok and healthy.captures > 6 and healthy.posts == 6


def test_import_files_and_reextract_return_what_the_commands_print(crawled: Path,
                                                                   tmp_path: Path) -> None:
    warcs = sorted(str(path) for path in crawled.with_suffix(".captures").glob("*.warc.gz"))
    command = run_wixarchive("import", *warcs, "--json", "--db", str(tmp_path / "cli.db"),
                             check=True)
    with wixarchive.open(tmp_path / "api.db") as archive:
        imported = wixarchive.import_files(archive, warcs)
        assert imported.to_dict() == json.loads(command.stdout)
        assert [site["posts"] for site in imported.to_dict()["sites"].values()] == [6]
        again = wixarchive.import_files(archive, warcs, site="127.0.0.1")
        assert again.already and not again.sites  # nothing new
        with pytest.raises(ValueError, match="max_media_mb: expected a positive number"):
            wixarchive.import_files(archive, warcs, max_media_mb=0)
        assert wixarchive.import_files(archive, tmp_path / "none.warc").errors == [
            f"no such file: {tmp_path / 'none.warc'}"]

        reextracted = wixarchive.reextract(archive, site="Willow Lane Notes")
        with pytest.raises(wixarchive.NoSuchSite, match="no archived site matches 'nosuch'"):
            wixarchive.reextract(archive, site="nosuch")
    command = run_wixarchive("reextract", "--json", "--db", str(tmp_path / "cli.db"),
                             check=True)
    assert reextracted.counts() == json.loads(command.stdout) == {
        "posts": 6, "changed": 0, "refreshed": 0, "failed": 0, "without_capture": 0}


def test_crawl_takes_the_commands_capture_and_media_options(crawled: Path,
                                                            tmp_path: Path) -> None:
    db = tmp_path / "bare.db"
    with pytest.raises(ValueError, match="media_kinds: unknown media kind pdf"):
        wixarchive.crawl("http://127.0.0.1:9/", db, media_kinds=["video", "pdf"])
    with pytest.raises(ValueError, match="^not a site URL: 'not a url'"):
        wixarchive.crawl(["http://127.0.0.1:9/", "not a url"], db)
    assert not db.exists()  # refused before anything is created
    with serve_blog(SampleBlog(seed=3, post_count=6)) as server, \
            pytest.MonkeyPatch.context() as env:
        env.setenv("WIXARCHIVE_MEDIA_BASE", f"{server.url}/media/")
        # The same site twice, as the command takes it (http or https: one site): once.
        [summary] = wixarchive.crawl([server.url, server.url.replace("http:", "https:")], db,
                                     delay=0, autothrottle=False, capture=False, media=False)
    assert summary.status == "ok" and summary.counts["new"] == 6
    with wixarchive.open(db) as bare, wixarchive.open(crawled) as full:
        assert wixarchive.check(bare).captures == 0 < wixarchive.check(full).captures
        archived = "SELECT count(*) FROM media WHERE status = 'stored'"
        assert bare.conn.execute(archived).fetchone()[0] == 0
        assert full.conn.execute(archived).fetchone()[0] == 6


def test_stats_returns_what_the_command_prints(crawled: Path, tmp_path: Path) -> None:
    db = tmp_path / "blog.db"
    shutil.copy(crawled, db)
    shutil.copytree(crawled.with_suffix(".captures"), db.with_suffix(".captures"))
    with wixarchive.open(db) as archive:
        [site] = archive.stats()
        archive.start_run(site["site"])  # left `running` by a process that is gone
        result = wixarchive.stats(archive)
        assert archive.stats()[0]["last_status"] == "running"
    command = run_wixarchive("stats", "--json", "--db", str(db), check=True)
    assert result.to_dict() == json.loads(command.stdout)
    [row] = result.sites
    assert row["last_status"] == "killed" and row["posts"] == 6
    assert result.captures is not None and result.captures.media_stored == 6


def test_runs_and_failing_sites_return_what_the_command_prints(tmp_path: Path) -> None:
    db = build_outputs_archive(tmp_path / "runs.db")
    command = run_wixarchive("runs", "--json", "--db", str(db), check=True)
    failing = run_wixarchive("runs", "--failing", "--json", "--db", str(db))
    assert failing.returncode == 1
    one_site = run_wixarchive("runs", "--json", "--site", "127.0.0.1", "--db", str(db),
                              check=True)
    with wixarchive.open(db) as archive:
        assert wixarchive.runs(archive) == json.loads(command.stdout)
        assert wixarchive.failing_sites(archive) == json.loads(failing.stdout)
        assert [run["site"] for run in wixarchive.runs(archive, site="127.0.0.1")] == [
            GONE_SITE] == [run["site"] for run in json.loads(one_site.stdout)]
        assert wixarchive.failing_sites(archive)[0]["first_error"] == "connection refused"
        with pytest.raises(wixarchive.NoSuchSite):
            wixarchive.runs(archive, site="nosuch")
        with pytest.raises(wixarchive.SearchError, match="limit: expected 1 or more"):
            wixarchive.runs(archive, limit=0)
    # A sites file beside the archive: only its sites count as failing, as for the command.
    run_wixarchive("sites", "add", POST_URL, "--db", str(db), check=True)
    with wixarchive.open(db) as archive:
        assert wixarchive.failing_sites(archive) == []
    assert run_wixarchive("runs", "--failing", "--json", "--db", str(db)).stdout.strip() == "[]"


# wixarchive.runs() and failing_sites() in a process of their own (the busy timeout is read
# when the archive module is imported); an ArchiveError printed as one line.
API_RUNS = """import json, sys, wixarchive
with wixarchive.open(sys.argv[1]) as archive:
    try:
        print(json.dumps([wixarchive.runs(archive), wixarchive.failing_sites(archive)]))
    except wixarchive.ArchiveError as exc:
        print(f"ArchiveError: {exc}")
"""


def test_runs_of_a_locked_or_damaged_archive_are_told_as_the_command_tells_them(
        tmp_path: Path) -> None:
    """runs() and failing_sites() closed a killed crawl's run themselves: while another process
    kept the archive locked they raised ArchiveBusy, where `wixarchive runs` shows the run
    `killed`; on damaged runs, a raw sqlite3.DatabaseError, where the command says one line."""
    db = build_outputs_archive(tmp_path / "runs.db")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    with Archive.open(db) as archive:
        archive.start_run(POST_URL, started_at="2024-07-01T00:00:00+00:00", pid=int(gone.stdout))
    env = {"WIXARCHIVE_BUSY_TIMEOUT_MS": "200"}

    def api() -> str:
        return subprocess.run([sys.executable, "-c", API_RUNS, str(db)], capture_output=True,
                              text=True, cwd=REPO, env={**os.environ, **env},
                              timeout=120).stdout

    with write_lock(db):
        command = run_wixarchive("runs", "--json", "--db", str(db), env=env, check=True)
        failing = run_wixarchive("runs", "--failing", "--json", "--db", str(db), env=env)
        from_api = api()
    assert json.loads(command.stdout)[0]["status"] == "killed"
    assert json.loads(from_api) == [json.loads(command.stdout), json.loads(failing.stdout)]

    overwrite_root_pages(db, ("crawl_runs",))
    command = run_wixarchive("runs", "--json", "--db", str(db))
    assert command.returncode == 1 and "damaged" in command.stderr
    assert api() == "ArchiveError: " + command.stderr.removeprefix("Error: ")


@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_recover_returns_what_the_command_prints(crawled: Path, tmp_path: Path) -> None:
    warcs = sorted(crawled.with_suffix(".captures").glob("*.warc.gz"))
    with wixarchive.open(crawled) as archive:
        [site] = [row["site"] for row in archive.stats()]
    with wayback(tmp_path / "pywb", warcs) as collection:
        command = run_wixarchive("recover", site, "--from", collection, "--delay", "0",
                                 "--json", "--db", str(tmp_path / "cli.db"), check=True)
        with wixarchive.open(tmp_path / "api.db") as archive:
            result = wixarchive.recover(archive, site, replay=collection, delay=0)
            assert [post["title"] for post in wixarchive.posts(archive)]
            with pytest.raises(ValueError, match="^replay must be an http"):
                wixarchive.recover(archive, site, replay="web.archive.org")
            missing = collection.replace("/archive/", "/nosuch/")
            with pytest.raises(wixarchive.WaybackError, match="no such collection"):
                wixarchive.recover(archive, site, replay=missing, delay=0)
    printed = json.loads(command.stdout)
    assert printed.pop("status") == "ok" and printed["errors"] == []
    assert result.to_dict() == printed
    assert result.listed == 6 and result.imported.to_dict()["errors"] == []


def test_a_wrong_cdx_address_is_named_in_the_apis_words(tmp_path: Path) -> None:
    """An address that answers, but not as a CDX server: wixarchive.recover's error said
    "(check --cdx)", the command's option, to a caller who passed `cdx=` or none at all. Each
    now names what its caller gave: `--cdx` or `cdx`; without one, the collection URL."""
    db = tmp_path / "blog.db"
    with serve_pages({}) as base:  # an HTML 404 for every address
        collection, page = f"{base}/coll/", f"{base}/page/"
        command = [run_wixarchive("recover", POST_URL, "--from", collection, *more, "--db",
                                  str(db), "--delay", "0") for more in (["--cdx", page], [])]
        with wixarchive.open(db) as archive:
            raised = []
            for cdx in (page, None):
                with pytest.raises(wixarchive.WaybackError) as error:
                    wixarchive.recover(archive, POST_URL, replay=collection, cdx=cdx, delay=0)
                raised.append(str(error.value))
    html = f"the CDX server at {page} answered an HTML page, not a CDX listing (HTTP 404"
    assert [result.stderr.strip().splitlines()[-1] for result in command] == [
        f"Error: {html}; check --cdx)",
        f"Error: the CDX server at {collection}cdx answered an HTML page, not a CDX listing "
        f"(HTTP 404): is {collection} a web archive's collection URL? e.g. "
        "http://host:8080/COLL/ for a pywb collection"]
    assert raised == [f"{html}; check cdx)", command[1].stderr.strip().splitlines()[-1][7:]]


def test_sites_add_list_remove_edit_the_file_the_commands_edit(tmp_path: Path) -> None:
    db = tmp_path / "blog.db"
    with wixarchive.open(db) as archive:
        assert wixarchive.list_sites(archive) == []
        added = wixarchive.add_site(archive, "https://www.example.com/blog", every="6h",
                                    label="fr", delay=2, robots=False, time_limit="2h")
        assert (added["schedule"], added["timeout"], added["politeness"]) == (
            "every 6h", 7200, {"delay": 2, "robots": False})
        with pytest.raises(ValueError, match="'often' is not a duration"):
            wixarchive.add_site(archive, "https://other.example.org/", every="often")
        with pytest.raises(ValueError, match="is already in"):
            wixarchive.add_site(archive, "http://example.com/")  # the same site
    command = run_wixarchive("sites", "add", "https://other.example.org/", "--cron",
                             "0 3 * * 1", "--label", "en", "--db", str(db), check=True)
    assert "Added https://other.example.org/" in command.stdout
    listed = json.loads(run_wixarchive("sites", "list", "--json", "--db", str(db),
                                       check=True).stdout)
    with wixarchive.open(db) as archive:
        assert wixarchive.list_sites(archive) == listed and len(listed) == 2
        assert [row["url"] for row in wixarchive.list_sites(archive, label="en")] == [
            "https://other.example.org/"]
        assert wixarchive.remove_site(archive, "https://www.example.com/")["labels"] == ["fr"]
        with pytest.raises(ValueError, match="no site 'nosuch'"):
            wixarchive.remove_site(archive, "nosuch")
    listed = json.loads(run_wixarchive("sites", "list", "--json", "--db", str(db),
                                       check=True).stdout)
    assert [row["url"] for row in listed] == ["https://other.example.org/"]


def test_an_export_that_cannot_read_archived_images_warns_as_the_command_errs(
        crawled: Path, tmp_path: Path) -> None:
    db = tmp_path / "blog.db"
    shutil.copy(crawled, db)
    shutil.copytree(crawled.with_suffix(".captures"), db.with_suffix(".captures"))
    for warc in db.with_suffix(".captures").glob("*.warc.gz"):
        warc.unlink()  # the captures lost
    command = run_wixarchive("export", "--format", "markdown", str(tmp_path / "cli"), "--db",
                             str(db))
    assert command.returncode == 1 and "6 images could not be read" in command.stderr
    with wixarchive.open(db) as archive, \
            pytest.warns(UserWarning, match="^6 images could not be read from the captures"):
        assert wixarchive.export(archive, tmp_path / "api", format="markdown") == 6
    assert files_of(tmp_path / "api") == files_of(tmp_path / "cli")

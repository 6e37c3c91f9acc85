"""A URL that does not parse ("http://[bad": an unclosed IPv6 bracket), given to any command
that takes a site, page or archive address: one line naming it, exit status 1 (2 for a
command's argument click refuses), no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archive.store import Archive

REPO = Path(__file__).resolve().parents[1]
BAD = "http://[bad"


@pytest.mark.parametrize(("args", "said"), [
    (["crawl", BAD], f"not a site URL: '{BAD}'"),
    (["reextract", "--site", BAD], f"Error: not a URL: '{BAD}'"),
    (["search", "garden", "--site", BAD], f"Error: not a URL: '{BAD}'"),
    # Refused as the command's argument, before anything is written: exit 2, as click's own.
    (["recover", BAD, "--from", "http://127.0.0.1:9/"], f"not a site URL: '{BAD}'"),
    (["recover", "example.com", "--from", BAD], f"--from must be an http(s) URL, not '{BAD}'"),
    (["recover", "example.com", "--cdx", BAD], f"--cdx must be an http(s) URL, not '{BAD}'"),
    (["sites", "add", BAD], f"Error: '{BAD}' is not a web site address"),
    (["extract", BAD], f"Error: cannot fetch {BAD}: Invalid IPv6 URL"),
])
def test_a_url_that_does_not_parse_is_one_line(tmp_path: Path, args: list[str], said: str):
    with Archive.open(tmp_path / "archive.db"):
        pass  # an empty archive, for the commands that read one
    db = [] if args[0] == "extract" else ["--db", str(tmp_path / "archive.db")]
    done = subprocess.run([sys.executable, "-m", "archive.cli", *args, *db],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == (2 if args[:2] == ["recover", BAD] else 1)
    assert "Traceback" not in done.stderr
    assert said in done.stdout + done.stderr


def wixarchive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=REPO)


@pytest.mark.parametrize("url", ["htp//b.example", "http:/b.example", "https://blog/"])
def test_a_host_that_is_no_domain_name_is_refused_not_crawled(tmp_path: Path, url: str):
    """`htp//b.example` (a mistyped scheme) parses as the host `htp`: crawling it only ever
    fails (and left a lasting `https://htp/` among the failing sites). A host without a dot
    that is neither localhost nor an IP address is refused, by `crawl` and by `sites add`."""
    db = tmp_path / "archive.db"
    crawl = wixarchive("crawl", url, "--db", str(db))
    assert crawl.returncode == 1 and "Traceback" not in crawl.stderr
    assert f"not a site URL: '{url}'" in crawl.stderr
    assert not db.exists()  # nothing was crawled, so no run recorded
    added = wixarchive("sites", "add", url, "--db", str(db))
    assert added.returncode == 1 and "Traceback" not in added.stderr
    assert "is not a web site address: its host" in added.stderr
    assert not (tmp_path / "archive.sites.toml").exists()


def test_crawl_given_the_schedule_sites_file_says_which_command_reads_it(tmp_path: Path):
    sites = tmp_path / "archive.sites.toml"
    sites.write_text('[defaults]\nevery = "1d"\n\n[[site]]\nurl = "https://a.example"\n'
                     'name = "A"\n\n[[site]]\nurl = "https://b.example"\n')
    done = wixarchive("crawl", "--sites", str(sites), "--db", str(tmp_path / "archive.db"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    # One line that names the right command, not a line per TOML line ("not a site URL").
    assert done.stderr.splitlines() == [
        f"Error: {sites} is a schedule sites file (TOML): `wixarchive run-due --sites {sites}` "
        "crawls its sites that are due (--force: all of them); `crawl --sites` takes one URL "
        "per line"]


@pytest.mark.parametrize(("url", "why"), [
    ("htps://www.example.com", "(it starts htps://, not http:// or https://)"),
    ("my blog", "(a web address holds no spaces)"),
    ("https://", "(expected a web address: https://www.example.com/blog, or www.example.com)")])
def test_a_mistyped_site_url_says_what_is_wrong_with_it(tmp_path: Path, url: str, why: str):
    """`crawl htps://…` said only "not a site URL: 'htps://…'", leaving a first-time user to
    find the typo."""
    crawl = wixarchive("crawl", url, "--db", str(tmp_path / "archive.db"))
    assert crawl.returncode == 1
    assert crawl.stderr.splitlines() == [f"✗ not a site URL: {url!r} {why}"], crawl.stderr

"""`wixarchive sites forget SITE`: an address crawled by mistake (a typo, a blog that never
answered) was a site of the archive for good, its 0 posts and failed run listed by `stats`,
`runs` and `serve` and counted in every export's "from N sites"; no command removed it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import wixarchive
from archive.site_forget import ForgetResult
from crawler.sample_site import SampleBlog, serve_blog

FAST = ["--delay", "0", "--no-autothrottle", "--no-media"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=300)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stats_sites(db: Path) -> list[str]:
    printed = run("stats", "--db", str(db), "--json")
    assert printed.returncode == 0, printed.stderr
    return [site["site"] for site in json.loads(printed.stdout)["sites"]]


def test_a_site_without_posts_is_forgotten_and_one_with_posts_is_kept(tmp_path: Path):
    """A blog and two mistyped addresses crawled together: the typos are sites of the archive
    (stats, the export's count). `sites forget` removes one and its run (the command), the
    other through the API; a site with posts, or one the sites file lists, is refused with
    what to do instead, and nothing changes."""
    db = tmp_path / "archive.db"
    typo, other_typo = (f"http://127.0.0.1:{closed_port()}/" for _ in range(2))
    with serve_blog(SampleBlog(seed=3, post_count=3)) as home:
        crawled = run("crawl", home.url, typo, other_typo, "--db", str(db), *FAST)
    blog = home.url + "/"
    assert crawled.returncode == 1, crawled.stderr  # the typos failed
    # Each typo's failure line says how to remove it, at once (`stats` said so only later).
    for site in (typo, other_typo):
        assert (f"  The archive holds nothing of it; if the address was mistyped, remove it: "
                f"wixarchive sites forget {site} --db {db}\n") in crawled.stdout, crawled.stdout
    assert crawled.stdout.count("wixarchive sites forget") == 2
    assert sorted(stats_sites(db)) == sorted([blog, typo, other_typo])
    shown = run("stats", "--db", str(db)).stdout.splitlines()
    assert shown[-1] == ("Note: 2 sites hold no posts; to remove one crawled by mistake from "
                         f"the archive: wixarchive sites forget SITE --db {db}")

    # `sites remove` (the sites file's) names the command that removes a typo from the archive.
    removed = run("sites", "remove", typo, "--db", str(db))
    assert removed.returncode == 1 and "Traceback" not in removed.stderr
    assert removed.stderr.endswith(f"{typo} is a site of the archive holding no posts: to "
                                   f"remove it from the archive, wixarchive sites forget "
                                   f"{typo} --db {db}\n"), removed.stderr
    assert "sites forget" not in run("sites", "remove", blog, "--db", str(db)).stderr

    kept = run("sites", "forget", blog, "--db", str(db))
    assert kept.returncode == 1
    assert kept.stderr.startswith(f"Error: {blog} holds 3 archived posts: only a site with none")
    assert "wixarchive sites remove" in kept.stderr and "Traceback" not in kept.stderr

    broken = tmp_path / "broken.toml"  # read for whether it lists the site: said, not raised
    broken.write_text("[[site]] bad")
    unread = run("sites", "forget", typo, "--db", str(db), "--sites", str(broken))
    assert unread.returncode == 1 and unread.stderr.startswith(f"Error: {broken} is not valid")
    assert "Traceback" not in unread.stderr

    assert run("sites", "add", typo, "--db", str(db)).returncode == 0
    listed = run("sites", "forget", typo, "--db", str(db))
    assert listed.returncode == 1
    assert "is in the sites file" in listed.stderr
    assert f"remove it first (wixarchive sites remove {typo})" in listed.stderr
    assert sorted(stats_sites(db)) == sorted([blog, typo, other_typo])
    assert run("sites", "remove", typo, "--db", str(db)).returncode == 0

    forgot = run("sites", "forget", typo, "--db", str(db), "--json")
    assert forgot.returncode == 0, forgot.stderr
    assert json.loads(forgot.stdout) == ForgetResult(site=typo, runs=1).to_dict()
    with wixarchive.open(db) as archive:
        assert wixarchive.forget_site(archive, other_typo).to_dict() == {
            "site": other_typo, "runs": 1}
        with pytest.raises(wixarchive.NoSuchSite):
            wixarchive.forget_site(archive, other_typo)
        with pytest.raises(ValueError, match="holds 3 archived posts"):
            wixarchive.forget_site(archive, blog)
        assert [run["site"] for run in wixarchive.runs(archive)] == [blog]

    assert stats_sites(db) == [blog]
    assert "Note:" not in run("stats", "--db", str(db)).stdout
    exported = run("export", "--format", "jsonl", str(tmp_path / "posts.jsonl"), "--db", str(db))
    assert exported.returncode == 0, exported.stderr
    assert "3 posts from 1 site" in exported.stderr + exported.stdout
    again = run("sites", "forget", typo, "--db", str(db))
    assert again.returncode == 1 and again.stderr.startswith("Error: ")
    # The blog gone offline fails too, but holds posts: no hint to remove it.
    down = run("crawl", home.url, "--db", str(db), *FAST)
    assert down.returncode == 1 and f"✗ {blog}: could not reach" in down.stdout, down.stdout
    assert "sites forget" not in down.stdout

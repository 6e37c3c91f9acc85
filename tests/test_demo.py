"""`make demo` (crawler.demo) as a new user runs it: offline, twice, and with its port taken."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from archive.store import Archive

pytest.importorskip("PIL.Image", reason="Pillow (the test extra) draws the sample blog's images")

REPO = Path(__file__).resolve().parents[1]


BIN = Path(sys.executable).parent
# A new user's PATH after `make demo`: the system's, without the venv's bin.
# The command as typed from the checkout: .venv/bin/wixarchive after `make demo`.
TYPED = (str((BIN / "wixarchive").relative_to(REPO)) if BIN.is_relative_to(REPO)
         else str(BIN / "wixarchive"))
SYSTEM_PATH = os.pathsep.join(entry for entry in os.environ["PATH"].split(os.pathsep)
                              if Path(entry or ".").resolve() != BIN.resolve())


def demo(db: Path, path: str = SYSTEM_PATH) -> str:
    # The environment keeps conftest's WIXARCHIVE_MEDIA_BASE (a closed port), standing in for a
    # machine where static.wixstatic.com cannot be reached: the demo must not depend on it.
    result = subprocess.run([sys.executable, "-m", "crawler.demo", "--db", str(db)], cwd=REPO,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PATH": path})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def served_at(output: str) -> str:
    return re.search(r"Serving a sample Wix blog with \d+ posts at (http://\S+)", output).group(1)


def test_demo_archives_the_blog_and_its_images_and_a_rerun_recrawls_the_same_site(
        tmp_path: Path):
    db = tmp_path / "demo" / "archive.db"
    first = demo(db)
    url = served_at(first)
    # The command it prints can be run again by hand, videos and documents included
    # (`--media-kinds video,documents`, as the README says):
    # the blog serves its images and its videos, named on two Wix hosts.
    assert (f"$ WIXARCHIVE_MEDIA_BASE={url}/media/ WIXARCHIVE_VIDEO_BASE={url}/ "
            f"{TYPED} crawl {url}") in first
    # What it tells the user to type next runs as printed, in the folder `make demo` ran in,
    # with the venv's bin not on their PATH (it said `wixarchive serve`: command not found).
    browse = re.search(r"^Browse and search it in your web browser: (.+)$", first, re.M)
    assert browse and browse.group(1) == f"{TYPED} serve --db {db}", first
    typed = shlex.split(browse.group(1).replace("serve", "stats", 1))
    stats = subprocess.run(typed, cwd=REPO, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PATH": SYSTEM_PATH})
    assert stats.returncode == 0 and "30" in stats.stdout, stats.stderr
    assert f"Archive your own blog (any page of it): {TYPED} crawl " in first
    assert f"run `source {BIN.relative_to(REPO) if BIN.is_relative_to(REPO) else BIN}/activate`" \
        in first
    assert f"✓ {url}/: 30 posts: 30 new, 0 changed, 0 unchanged" in first
    # Its videos and PDFs are recorded by URL, none fetched (the README's claim).
    assert re.search(r"Videos: [1-9]\d* \(0 archived\); documents: [1-9]\d* \(0 archived\)",
                     first), first
    images = int(re.search(r"Images: (\d+) of (\1) archived", first).group(1))
    # `stats` names the captures folder where it is, as the Images line does (it said
    # "(archive.captures/)", a folder not in the one `make demo` ran in).
    captures = f"{db.with_name('archive.captures')}/"
    assert f"in {captures}" in first and re.search(rf"MiB \({re.escape(captures)}\)", first), first
    with Archive.open(db, readonly=True) as archive:
        statuses = archive.conn.execute("SELECT status, count(*) FROM media GROUP BY 1").fetchall()
    assert images > 0 and [tuple(row) for row in statuses] == [("stored", images)]  # none failed

    second = demo(db)
    assert served_at(second) == url  # the same site, crawled again
    assert f"✓ {url}/: 30 posts: 0 new, 0 changed, 30 unchanged" in second
    assert f"Images: {images} of {images} archived" in second
    with Archive.open(db, readonly=True) as archive:
        sites = archive.stats()
    assert [(site["site"], site["posts"]) for site in sites] == [(f"{url}/", 30)]

    # The archive's port taken by another program: the demo serves on a free one, and says so.
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        third = demo(db, path=os.pathsep.join([str(BIN), SYSTEM_PATH]))
    assert f"Port {port}, where the archive holds the sample blog, is taken" in third
    # With the venv activated (its bin first on PATH), the commands are typed plain.
    assert f"Browse and search it in your web browser: wixarchive serve --db {db}" in third
    assert "activate" not in third
    assert served_at(third) != url
    assert "30 posts: 30 new" in third

"""An export of a big archive says how far it is on a terminal: 210,000 posts took a minute
(jsonl) with nothing on the screen until its last line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archive.store import Archive
from crawler.extract.record import Article
from tests.terminal import REPO, on_a_terminal


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "markdown", "wxr"])
def test_an_export_shows_its_progress_on_a_terminal_only(tmp_path: Path, fmt: str) -> None:
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([Article(url=f"https://blog.example/post/p{n}", title=f"Post {n}",
                                       body_text=f"Text {n}.", body_html=f"<p>Text {n}.</p>")
                               for n in range(30)])
    shown = on_a_terminal(["export", "--format", fmt, "--db", str(db),
                           str(tmp_path / f"out-{fmt}")])
    assert "Exporting posts" in shown and "100%" in shown
    piped = subprocess.run([sys.executable, "-m", "archive.cli", "export", "--format", fmt,
                            "--db", str(db), str(tmp_path / f"piped-{fmt}")],
                           capture_output=True, text=True, cwd=REPO, timeout=60)
    assert piped.returncode == 0 and "Exporting posts" not in piped.stderr

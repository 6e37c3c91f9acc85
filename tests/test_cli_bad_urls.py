"""A URL that does not parse ("http://[bad": an unclosed IPv6 bracket), given to any command
that takes a site, page or archive address: one line naming it, exit status 1, no traceback."""

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
    (["recover", BAD, "--from", "http://127.0.0.1:9/"], f"Error: not a URL: '{BAD}'"),
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
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert said in done.stdout + done.stderr

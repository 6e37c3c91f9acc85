"""A real headless Chromium opens the ranked search page and sees the highlighted snippets.

Chromium is driven from its command line only (--dump-dom, --screenshot): no browser library.
Visibility is checked on the screenshot itself: the highlight colour of <mark> must be painted.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from test_web import make_archive
from test_web_serve import running_server

BROWSER_TIMEOUT = 120  # seconds; a guard against a hang, not a speed assertion
HIGHLIGHT = (0xFF, 0xE0, 0x66)  # `.wxa-snippet mark` background in wixarchive_search.html


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium is not installed (Debian: apt-get install -y chromium); "
                ".ci/run installs it")


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The background-networking flags keep Chromium from waiting on a network it cannot reach.
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT)


def png_rows(path: Path) -> tuple[int, list[bytes]]:
    """Bytes per pixel and unfiltered rows of an 8-bit RGB/RGBA non-interlaced PNG (what
    Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, "unexpected PNG layout"
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride if kind else 0):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return bpp, rows


def highlighted_pixels(path: Path) -> int:
    bpp, rows = png_rows(path)
    return sum(1 for row in rows for x in range(0, len(row), bpp)
               if all(abs(row[x + c] - HIGHLIGHT[c]) <= 8 for c in range(3)))


def test_search_page_shows_highlighted_snippets_in_chromium(tmp_path: Path) -> None:
    binary = chromium()
    db = make_archive(tmp_path / "blogs.db")
    screenshot = tmp_path / "search.png"
    with running_server(db) as (_, url):
        page = url + "blogs/-/search?q=breathing"
        dom = run_chromium(binary, tmp_path / "profile", "--dump-dom", page)
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert "<h1>Search blogs</h1>" in dom.stdout
        # Each snippet in its post's language and direction (the sample posts are English).
        assert '<p class="wxa-snippet" lang="en" dir="auto">' in dom.stdout
        assert "<mark>breathing</mark>" in dom.stdout.lower()
        shot = run_chromium(binary, tmp_path / "profile", f"--screenshot={screenshot}",
                            "--window-size=1200,900", "--hide-scrollbars", page)
        assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.is_file()
    # Three hits, each with a highlighted word: hundreds of pixels in the highlight colour.
    assert highlighted_pixels(screenshot) > 300


def highlighted_columns(path: Path) -> tuple[int, list[int]]:
    """The screenshot's width and the x of every pixel in the highlight colour."""
    bpp, rows = png_rows(path)
    found = [x // bpp for row in rows for x in range(0, len(row), bpp)
             if all(abs(row[x + c] - HIGHLIGHT[c]) <= 8 for c in range(3))]
    return len(rows[0]) // bpp, found


def test_a_right_to_left_hit_starts_its_lines_at_the_right_in_chromium(tmp_path: Path) -> None:
    """Datasette's stylesheet aligns the page's text left; an Arabic snippet's lines must start
    at the right edge, so its last word (انستجرام, highlighted) sits right of the middle."""
    from intl import build_intl_archive

    binary = chromium()
    db = build_intl_archive(tmp_path / "intl.db")
    screenshot = tmp_path / "rtl.png"
    with running_server(db) as (_, url):
        shot = run_chromium(binary, tmp_path / "profile", f"--screenshot={screenshot}",
                            "--window-size=1200,900", "--hide-scrollbars",
                            url + "intl/-/search?q=انستجرام")
        assert shot.returncode == 0, shot.stderr[-2000:]
    width, columns = highlighted_columns(screenshot)
    assert len(columns) > 100  # the one highlighted word
    assert min(columns) > width // 2, (min(columns), width)

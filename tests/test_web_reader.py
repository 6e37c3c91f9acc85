"""A reader of a served archive, in a real headless Chromium (tests/devtools.py): someone who
reads a blog its owner can no longer keep, archived by someone close to her, whose site is
gone. What such a reader does must lead somewhere inside the archive."""

from __future__ import annotations

from pathlib import Path

import pytest
from devtools import browser
from test_web import article
from test_web_article_browser import open_page, wait_until
from test_web_serve import running_server

from archive.store import Archive

pytest.importorskip("datasette")

# The site is gone: Chromium resolves no host but loopback (a link to it fails at once).
SITE = "https://www.quiet-rooms.example"
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def linking_archive(path: Path) -> Path:
    """Post 1 links to her other posts as she wrote them: by their address with a trailing
    slash and a fragment, over http, by the old blog's address, relatively; and to a page the
    archive does not hold, an e-mail address and a place in the post itself."""
    body = (
        f'<p>As I wrote in <a href="{SITE}/post/on-grief/#second">on grief</a>, '
        f'and in <a href="http://quiet-rooms.example/post/sleep">sleep</a>, '
        f'<a href="{SITE}/single-post/2019/03/02/Small-Steps">small steps</a>, '
        '<a href="/post/sleep?utm_source=newsletter">sleep again</a>. '
        f'<a href="{SITE}/book-online">Book</a>, <a href="mailto:ann@example.org">mail</a>, '
        '<a href="#top">top</a>.</p>')
    with Archive.open(path) as archive:
        for slug, title, html in (("welcome", "Welcome", body),
                                  ("on-grief", "On grief", '<p id="second">Grief.</p>'),
                                  ("sleep", "Sleep", "<p>Sleep.</p>"),
                                  ("small-steps", "Small steps", "<p>Steps.</p>")):
            archive.save_article(article(SITE, slug, title=title, body_html=html,
                                         body_text=title),
                                 fetched_at="2024-01-01T00:00:00+00:00")
    return path


def test_a_link_to_her_other_post_opens_its_archived_copy(tmp_path: Path) -> None:
    db = linking_archive(tmp_path / "blog.db")
    with running_server(db) as (_, base), browser(tmp_path / "profile", OFFLINE) as tools:
        open_page(tools, f"{base}blog/-/post/1")
        hrefs = tools.evaluate(
            "[...document.querySelectorAll('.wxa-body a')].map(a => a.getAttribute('href'))")
        assert hrefs == ["/blog/-/post/2#second", "/blog/-/post/3", "/blog/-/post/4",
                         "/blog/-/post/3", f"{SITE}/book-online", "mailto:ann@example.org",
                         "#top"], hrefs
        # The reader clicks the first: the archived post opens, at the place linked to.
        tools.evaluate("document.querySelector('.wxa-body a').click()")
        assert wait_until(tools, "document.querySelector('h1') && "
                                 "document.querySelector('h1').textContent.trim() == 'On grief'")
        assert tools.evaluate("location.href") == f"{base}blog/-/post/2#second"

"""`wixarchive recover` of a blog whose web archive holds its phone pages. Wix serves a post
at one address to phones and computers (no `m.` host): the phone page (its viewport
`<meta id="wixMobileViewport" content="width=320, …">`, the blog's action bar
`data-hook="post-main-actions-mobile"`) is captured at the post's URL when a phone's browser
(or a crawler with a phone's user agent) asked, and at `?showMobileView=true`, the query
Wix's own "mobile view" switch adds, when a link carried it. No real capture of a Wix phone
page is at hand (../shared/realworld holds desktop pages only): the phone pages here are the
sample blog's, with those two marks as Wix's viewer code and public pages show them. A real
pywb (`wayback` on 127.0.0.1) holds a warcio WARC of the captures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.sample_site import SampleBlog
from crawler.sample_site.server import BlogServer
from tests.pywb import MISSING, pywb_bin, wayback
from tests.webarchives import recover_json, table, wixarchive, write_dated_warc

pytestmark = pytest.mark.skipif(pywb_bin() is None, reason=MISSING)

SITE = "https://www.pocket-garden.example"
HTML = "text/html; charset=utf-8"
DESKTOP_VIEWPORT = b'content="width=device-width, initial-scale=1" id="wixDesktopViewport"'
PHONE_VIEWPORT = b'content="width=320, user-scalable=yes" id="wixMobileViewport"'


def phone_page(desktop: bytes) -> bytes:
    """The post's page as Wix serves it to a phone: the phone's viewport, and the action bar
    under the post (shares, views) as the phone layout's, holding a view count."""
    assert desktop.count(DESKTOP_VIEWPORT) == 1
    assert desktop.count(b'data-hook="post-main-actions-desktop">') == 1
    return desktop.replace(DESKTOP_VIEWPORT, PHONE_VIEWPORT).replace(
        b'data-hook="post-main-actions-desktop">',
        b'data-hook="post-main-actions-mobile"><span>1.2K views</span>')


def test_phone_captures_of_a_post_are_that_post_seen_again(tmp_path: Path):
    """A post captured on a computer, then on a phone at its URL, then at ?showMobileView=true
    is one post, one version, last seen at the phone's latest capture; a post captured only
    at ?showMobileView=true is archived at its URL, with the text, title and fields its
    computer page gives (the phone's action bar is no text of it)."""
    blog = SampleBlog(seed=61, post_count=3, layout="new")
    server = BlogServer(blog)
    seen, phone_only, control = (f"{SITE}/post/{post.slug}" for post in blog.posts)
    desktop = {f"{SITE}/post/{post.slug}": server.respond(f"/post/{post.slug}", base=SITE,
                                                          record=False).body
               for post in blog.posts}
    warc = tmp_path / "holdings.warc.gz"
    write_dated_warc(warc, [
        (seen, "2021-03-01T10:00:00Z", HTML, desktop[seen]),
        (control, "2021-03-01T10:05:00Z", HTML, desktop[control]),
        (seen, "2022-03-01T10:00:00Z", HTML, phone_page(desktop[seen])),
        (phone_only + "?showMobileView=true", "2022-05-01T10:00:00Z", HTML,
         phone_page(desktop[phone_only])),
        (seen + "?showMobileView=true", "2023-03-01T10:00:00Z", HTML,
         phone_page(desktop[seen]))])
    db = tmp_path / "blog.db"
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        done = recover_json(SITE, base, db)
    assert done.returncode == 0, done.stderr
    assert sorted(table(db, "SELECT url, version, last_seen FROM posts")) == sorted([
        (seen, 1, "2023-03-01T10:00:00+00:00"), (phone_only, 1, "2022-05-01T10:00:00+00:00"),
        (control, 1, "2021-03-01T10:05:00+00:00")])
    counts = json.loads(done.stdout)["sites"][SITE + "/"]
    assert (counts["new_posts"], counts["new_versions"], counts["unchanged"]) == (3, 0, 2)
    # The same fields as the computer pages give, imported from a WARC of them alone.
    computers = tmp_path / "computers.warc.gz"
    write_dated_warc(computers, [(url, "2021-03-01T10:00:00Z", HTML, body)
                                 for url, body in desktop.items()])
    control_db = tmp_path / "control.db"
    imported = wixarchive("import", str(computers), "--db", str(control_db), "--json")
    assert imported.returncode == 0, imported.stderr
    fields = ("SELECT url, title, author, published, tags, categories, body, content_hash "
              "FROM posts ORDER BY url")
    assert table(db, fields) == table(control_db, fields)

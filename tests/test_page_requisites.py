"""crawler.page_requisites: which image URLs a post page shows without JavaScript (pure; the
crawl that fetches them is tested in tests/test_replayweb.py, the distributed one in
tests/test_media_kinds.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import captures
from archive.store import Archive
from crawler.extract import extract_article
from crawler.page_requisites import (
    UNINDEXED_LOOKS,
    RequisiteFinder,
    image_urls,
    largest_candidate,
)
from crawler.sample_site import SampleBlog
from crawler.sample_site.chrome import Site
from crawler.sample_site.render import post_page
from tests.webarchives import REALWORLD

RENDITION = ("https://static.wixstatic.com/media/ab12~mv2.jpg/v1/fill/"
             "w_{w},h_{h},al_c,q_80,usm_0.66_1.00_0.01/ab12~mv2.jpg")


def test_the_largest_srcset_candidate_by_width_else_density():
    small, large = RENDITION.format(w=300, h=200), RENDITION.format(w=900, h=600)
    # Wix rendition URLs hold commas: a URL runs to the next whitespace.
    assert largest_candidate(f"{large} 900w, {small} 300w") == large
    assert largest_candidate(f"{small} 1x,{large} 2x") == large
    assert largest_candidate(f"{small}, {large} 1.5x") == large  # no descriptor: 1x
    assert largest_candidate(f"{small} 2x 3x, {large}") == large  # invalid candidate dropped
    assert largest_candidate("") is None and largest_candidate(" , ") is None


def test_img_src_and_largest_srcset_resolved_once_each_in_page_order():
    html = (b'<html><head><base href="https://cdn.example.org/x/"></head><body>'
            b'<img src="a.png"><img src="data:image/gif;base64,R0lG" srcset="b.png 1x, c.png 2x">'
            b'<img src="a.png#frag"><img src="javascript:alert(1)"><img src="">'
            b'<picture><source srcset="d.webp"><img src="//static.example.org/e.jpg"></picture>'
            b'<wow-image data-image-info="{}"></wow-image><meta property="og:image" '
            b'content="https://x/og.jpg"></body></html>')
    assert image_urls(html, "https://site.example/post/p") == [
        "https://cdn.example.org/x/a.png", "https://cdn.example.org/x/c.png",
        "https://static.example.org/e.jpg"]
    assert image_urls(b"", "https://site.example/post/p") == []
    assert image_urls(b"\x89PNG\r\n\x1a\n\x00\x00", "https://site.example/post/p") == []


def test_a_sample_post_shows_its_images_as_renditions():
    blog = SampleBlog(seed=5, post_count=4)
    post = next(p for p in blog.posts if p.expected()["images"])
    shown = image_urls(post_page(Site(blog, "http://127.0.0.1:1"), post).encode(),
                       "http://127.0.0.1:1" + post.url_path)
    originals = post.expected()["images"]
    assert shown and all("/v1/fill/" in url for url in shown)
    assert all(any(url.startswith(o + "/v1/") for url in shown) for o in originals
               if "/media/" in o)


def test_real_wix_posts_name_renditions_of_their_images():
    pages = sorted((REALWORLD / "html").glob("*.html")) if (REALWORLD / "html").is_dir() else []
    if not pages:
        pytest.skip(f"real-world corpus not found at {REALWORLD}")
    renditions = [url for page in pages for url in image_urls(page.read_bytes(),
                                                              "https://www.example.com/post/x")
                  if "static.wixstatic.com/media/" in url and "/v1/" in url]
    assert len(renditions) > 50


def test_a_page_whose_capture_is_not_indexed_yet_is_read_once_it_is(tmp_path: Path):
    """The crawl indexes its captures apart from the versions naming them: a post page whose
    record is not in the index yet is looked at again, not passed over; and one never indexed
    is given up after UNINDEXED_LOOKS looks."""
    blog = SampleBlog(seed=5, post_count=2)
    base = "http://127.0.0.1:1"
    db = tmp_path / "archive.db"
    directory = captures.captures_dir(db)
    writer = captures.CaptureWriter(directory)
    rows = []
    with Archive.open(db) as archive:
        for post in blog.posts:
            html = post_page(Site(blog, base), post).encode()
            record_id = captures.new_record_id()
            rows.append(writer.write(captures.Exchange(
                base + post.url_path, "GET", [], 200, [("Content-Type", "text/html")], html,
                record_id)))
            archive.save_article(extract_article(html, base + post.url_path), capture=record_id)
        writer.close()
        finder = RequisiteFinder(directory, base + "/")
        assert finder.look(archive.conn) == [] and finder.more  # nothing indexed yet
        assert len(finder.unindexed) == 2
        archive.conn.execute("BEGIN")
        captures.index_rows(archive.conn, rows[:1])
        archive.conn.execute("COMMIT")
        first = finder.look(archive.conn)
        assert first and all("/v1/" in url for url in first)
        assert len(finder.unindexed) == 1 and finder.more
        for _ in range(UNINDEXED_LOOKS):
            finder.look(archive.conn)
        assert not finder.more  # the other one's record never came: given up

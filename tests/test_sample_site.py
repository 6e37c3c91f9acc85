"""The generated Wix-style blog: deterministic, Wix-shaped, mutable, and served over 127.0.0.1."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import urllib.robotparser
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import lxml.etree
import lxml.html
import pytest

from crawler.sample_site import SampleBlog, serve_blog

REPO = Path(__file__).resolve().parents[1]
BASE = "http://127.0.0.1:9"  # a fixed base for pages rendered without a socket
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
IMAGE_NS = "{http://www.google.com/schemas/sitemap-image/1.1}"


def page(blog: SampleBlog, path: str, **headers: str) -> tuple[int, str]:
    """Render one path in-process, exactly as the HTTP server would answer it."""
    from crawler.sample_site.server import route

    response = route(blog, BASE, path, headers, [])
    return response.status, response.body.decode("utf-8")


def doc(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def body_texts(root: lxml.html.HtmlElement) -> list[str]:
    """A naive Ricos walk of the main article: paragraphs, headings, list items, quote lines."""
    viewer = root.xpath('//article[@data-hook="post"]//*[@data-id="content-viewer"]')[0]
    nodes = viewer.xpath('.//*[starts-with(@id, "viewer-")]'
                         '[self::p or self::h2 or self::h3 or ancestor::blockquote]')
    return [text for node in nodes if (text := node.text_content().strip())]


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def blog() -> SampleBlog:
    return SampleBlog(seed=7, post_count=25, site_name="Test & Garden")


# -- model ---------------------------------------------------------------------------------


def test_same_seed_gives_a_byte_identical_site_and_another_seed_does_not():
    first, second = SampleBlog(seed=5, post_count=30), SampleBlog(seed=5, post_count=30)
    for path in ("/", "/blog", "/blog/page/2", "/sitemap.xml", "/blog-posts-sitemap.xml",
                 "/blog-feed.xml", first.posts[0].url_path, first.posts[7].url_path):
        assert page(first, path) == page(second, path), path
    assert [p.expected() for p in first.posts] == [p.expected() for p in second.posts]
    other = SampleBlog(seed=6, post_count=30)
    assert [p.title for p in other.posts] != [p.title for p in first.posts]


def test_ten_thousand_posts_build_with_unique_slugs_and_ids_newest_first():
    big = SampleBlog(seed=1, post_count=10_000)
    assert len(big.posts) == 10_000
    assert len({p.slug for p in big.posts}) == 10_000
    assert len({p.post_id for p in big.posts}) == 10_000
    assert all(re.fullmatch(r"[0-9a-f]{24}", p.post_id) for p in big.posts)
    assert all(a.published > b.published for a, b in zip(big.posts, big.posts[1:], strict=False))
    assert big.post(big.posts[9_999].slug) is big.posts[9_999]


def test_expected_ground_truth_has_the_promised_shape(blog: SampleBlog):
    post = blog.posts[0]
    expected = post.expected()
    for key in ("title", "author", "published", "modified", "reading_minutes", "tags",
                "categories", "body_text", "images", "post_id"):
        assert key in expected
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", expected["published"])
    assert expected["body_text"] == "\n\n".join(expected["body_blocks"])
    assert post.url_path == f"/post/{post.slug}"
    assert expected["reading_minutes"] >= 1


def test_tricky_titles_and_every_layout_is_present(blog: SampleBlog):
    titles = [p.title for p in blog.posts]
    assert any("&" in t and '"' in t for t in titles)
    assert any(re.search(r"[^\x00-\x7f]", t) for t in titles)
    assert {p.layout for p in blog.posts} == {"classic", "new", "elements", "cms"}
    kinds = {b.kind for p in blog.posts for b in p.blocks}
    assert {"paragraph", "heading", "image", "blockquote", "empty-line", "spacer"} <= kinds
    assert kinds & {"bulleted_list", "ordered_list"}


# -- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["classic", "new"])
def test_post_page_carries_the_wix_chrome_and_its_ground_truth(blog: SampleBlog, layout: str):
    post = next(p for p in blog.posts if p.layout == layout and p.tags and p.images)
    status, html = page(blog, post.url_path)
    assert status == 200
    root = doc(html)
    one = lambda css: root.cssselect(css)  # noqa: E731
    assert len(one("article[data-hook=post]")) == 1
    assert one("article[data-hook=recent-post-list-item]")
    assert not one("article[data-hook=post] article[data-hook=recent-post-list-item]")
    for css in ("#SITE_CONTAINER #main_MF #SCROLL_TO_TOP", "#SCROLL_TO_BOTTOM", "#SITE_HEADER",
                "#SITE_FOOTER", "nav[aria-label=Site]", "[data-hook=blog-desktop-header-container]",
                "[data-hook=search-input]", "[data-hook=login-button]",
                "button[data-hook=share-button__facebook]", "[data-hook=share-button__linked-in]",
                "div.wc-comments-root", "[data-hook=comment-box-placeholder]",
                "[data-hook=ccsu-banner-wrapper]", "script#wix-essential-viewer-model",
                "div[data-rce-version] > div[data-id=content-viewer]"):
        assert one(css), css
    text = root.text_content()
    for chrome in ("top of page", "bottom of page", "Use tab to navigate through the menu items.",
                   "Proudly created with Wix.com", "Log in / Sign up", "Recent Posts", "See All",
                   "Comments", "Write a comment..."):
        assert chrome in text, chrome
    assert "window.thunderboltVersion" in html
    if layout == "classic":
        assert re.search(r"\d+ views?0 comments", one("[data-hook=post-stats]")[0].text_content())
        assert "Post not marked as liked" in text
        assert one("header#SITE_HEADER_WRAPPER > div#SITE_HEADER")
    else:
        assert one("[data-hook=post-stats] [data-hook=skeleton-loader]")
        assert one("section[data-hook=recent-posts] [data-hook=recent-post-list-item] "
                   "[data-hook=post-description]")
        assert one("[data-hook=recent-post-list-item] footer[data-hook=post-footer]")

    expected = post.expected()
    article = one("article[data-hook=post]")[0]
    assert article.cssselect("h1[data-hook=post-title]")[0].text_content() == expected["title"]
    assert article.cssselect("[data-hook=user-name]")[0].text_content() == expected["author"]
    minutes = article.cssselect("[data-hook=time-to-read]")[0].text_content()
    assert minutes == f"{expected['reading_minutes']} min read"
    assert [a.text_content() for a in root.cssselect(
        "nav[aria-label=Tags][data-hook=tag-cloud-root] a")] == expected["tags"]
    assert [a.text_content() for a in root.cssselect(
        "a[data-hook=category-label-list__item]")] == expected["categories"]
    assert body_texts(root) == expected["body_blocks"]
    images = article.cssselect("figure[data-hook=figure-IMAGE] wow-image[data-image-info] > img")
    assert [img.get("data-pin-media") for img in images] == expected["images"]
    assert all("blur_" in img.get("src") for img in images)
    assert root.cssselect("p[id^=viewer-] > span > span")  # spacer paragraphs exist somewhere
    meta = {m.get("property"): m.get("content") for m in root.cssselect("meta[property]")}
    assert meta["article:published_time"] == expected["published"]
    assert meta["article:modified_time"] == expected["modified"]
    assert meta["article:author"] == expected["author"]
    assert meta["og:type"] == "article"
    assert root.cssselect("link[rel=canonical]")[0].get("href") == BASE + post.url_path
    assert root.cssselect("link[rel=alternate][type='application/rss+xml']")
    assert one(f'div[data-hook="wc-root {expected["post_id"]}"]')


def test_title_with_ampersand_and_quotes_is_escaped_in_html_and_json_ld(blog: SampleBlog):
    post = next(p for p in blog.posts if "&" in p.title and '"' in p.title)
    status, html = page(blog, post.url_path)
    assert status == 200
    assert post.title not in html  # never raw
    root = doc(html)
    assert root.cssselect("h1[data-hook=post-title]")[0].text_content() == post.title
    assert root.findtext(".//title") == post.title
    ld = json.loads(root.cssselect("script[type='application/ld+json']")[0].text)
    assert ld["@type"] == "BlogPosting"
    assert ld["mainEntityOfPage"]["@type"] == "itemPage"
    assert "&quot;" in ld["headline"]  # Wix HTML-escapes inside its JSON-LD
    assert lxml.html.fromstring(f"<p>{ld['headline']}</p>").text_content() == post.title
    assert ld["datePublished"] == post.published_iso


def test_unknown_paths_get_a_wix_like_404_and_bad_pages_too(blog: SampleBlog):
    for path in ("/nope", "/post/not-a-post", "/blog/page/999", "/blog/page/0"):
        status, html = page(blog, path)
        assert status == 404, path
        root = doc(html)
        assert root.cssselect("#SITE_CONTAINER") and not root.cssselect("article")
        assert "Page Not Found" in root.text_content()
    status, html = page(blog, "/blog/categories/robots.txt")  # Wix: empty listing, not 404
    assert status == 200 and not doc(html).cssselect("[data-hook=post-list-item]")


def test_listing_pages_paginate_over_every_post(blog: SampleBlog):
    found, path, pages = [], "/blog", 0
    while path:
        status, html = page(blog, path)
        assert status == 200
        root = doc(html)
        assert root.cssselect("[data-hook=feed-page-root] [data-hook=feed-pagination-container]")
        found += [a.get("href") for a in root.cssselect(
            "[data-hook=post-list-item] a[href*='/post/']")]
        pages += 1
        assert root.cssselect(f"[data-hook=pagination__{pages}]")[0].tag == "div"  # current
        nxt = root.cssselect("link[rel=next]")
        assert bool(root.cssselect("a[data-hook=pagination__next]")) == bool(nxt)
        path = nxt[0].get("href").removeprefix(BASE) if nxt else ""
        if pages > 1:
            assert root.cssselect("link[rel=prev]")
    assert found == [BASE + p.url_path for p in blog.posts]
    assert pages == 3


def test_category_and_tag_pages_list_exactly_their_posts(blog: SampleBlog):
    name, slug, _ = blog.categories()[1]  # "Kitchen & Pantry"
    status, html = page(blog, f"/blog/categories/{slug}")
    assert status == 200 and "&amp;" in html
    cards = doc(html).cssselect("[data-hook=post-list-item] h2")
    assert [c.text_content() for c in cards] == [
        p.title for p in blog.posts if name in p.categories][:blog.page_size]
    tag = next(t for p in blog.posts for t in p.tags)
    tag_slug = dict(blog.tags())[tag]
    status, html = page(blog, f"/blog/tags/{tag_slug}")
    root = doc(html)
    assert status == 200 and root.cssselect("meta[name=robots][content=noindex]")
    assert [c.text_content() for c in root.cssselect("[data-hook=post-list-item] h2")] == [
        p.title for p in blog.posts if tag in p.tags][:blog.page_size]


def test_robots_sitemaps_and_feed_look_like_wix(blog: SampleBlog):
    _, robots = page(blog, "/robots.txt")
    assert f"Sitemap: {BASE}/sitemap.xml" in robots
    _, index = page(blog, "/sitemap.xml")
    root = lxml.etree.fromstring(index.encode())
    assert root.tag == f"{SM}sitemapindex" and root.get("generatedBy") == "WIX"
    assert sorted(loc.text for loc in root.iter(f"{SM}loc")) == [
        f"{BASE}/{n}" for n in ("blog-categories-sitemap.xml", "blog-posts-sitemap.xml",
                                "pages-sitemap.xml")]
    _, posts = page(blog, "/blog-posts-sitemap.xml")
    urls = lxml.etree.fromstring(posts.encode()).findall(f"{SM}url")
    assert [u.findtext(f"{SM}loc") for u in urls] == [BASE + p.url_path for p in blog.posts]
    for url, post in zip(urls, blog.posts, strict=True):
        assert url.findtext(f"{SM}lastmod") == post.modified.strftime("%Y-%m-%d")
        image = url.findtext(f"{IMAGE_NS}image/{IMAGE_NS}loc")
        assert image == (post.cover.url if post.cover else None)
    for path in ("/blog-categories-sitemap.xml", "/pages-sitemap.xml"):
        status, text = page(blog, path)
        assert status == 200 and lxml.etree.fromstring(text.encode()).findall(f"{SM}url")

    _, feed = page(blog, "/blog-feed.xml")
    assert "<![CDATA[" in feed
    channel = lxml.etree.fromstring(feed.encode()).find("channel")
    assert channel.findtext("generator") == "RSS for Node"
    assert channel.find("{http://www.w3.org/2005/Atom}link").get("rel") == "self"
    items = channel.findall("item")
    assert len(items) == 20
    for item, post in zip(items, blog.posts, strict=False):
        assert item.findtext("guid") == post.post_id
        assert item.find("guid").get("isPermaLink") == "false"
        assert item.findtext("title") == post.title
        assert item.findtext("link") == BASE + post.url_path
        assert parsedate_to_datetime(item.findtext("pubDate")) == post.published.replace(
            microsecond=0)
        assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == post.author
        assert [c.text for c in item.findall("category")] == post.categories
        assert (item.find("enclosure") is not None) == (post.cover is not None)


def test_forced_layout_and_full_content_feed():
    blog = SampleBlog(seed=4, post_count=6, layout="classic", feed_content=True)
    assert {p.layout for p in blog.posts} == {"classic"}
    _, feed = page(blog, "/blog-feed.xml")
    first = lxml.etree.fromstring(feed.encode()).find("channel/item")
    encoded = first.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert lxml.html.fromstring(encoded).text_content().startswith(blog.posts[0].body_blocks[0])
    with pytest.raises(ValueError):
        SampleBlog(layout="fancy")


# -- mutation ------------------------------------------------------------------------------


def test_edit_add_delete_show_up_in_pages_sitemap_and_feed():
    blog = SampleBlog(seed=11, post_count=30, layout="new")  # the blog app's "Updated:" line
    target, doomed = blog.posts[12], blog.posts[5]
    old_lastmod, old_etag = target.modified, target.etag
    blog.edit_post(target.slug, title="Rewritten: a new title",
                   paragraphs=["First new paragraph.", "Second one, with é and ’."])
    assert target.modified > old_lastmod and target.etag != old_etag
    assert target.expected()["body_text"] == "First new paragraph.\n\nSecond one, with é and ’."
    _, html = page(blog, target.url_path)
    root = doc(html)
    assert body_texts(root) == ["First new paragraph.", "Second one, with é and ’."]
    assert root.cssselect("h1[data-hook=post-title]")[0].text_content() == "Rewritten: a new title"
    assert "Updated: " in root.cssselect("article[data-hook=post]")[0].text_content()
    _, sitemap = page(blog, "/blog-posts-sitemap.xml")
    assert (f"<loc>{BASE}{target.url_path}</loc>\n<lastmod>"
            f"{target.modified:%Y-%m-%d}</lastmod>") in sitemap

    added = blog.add_post(title="Brand new", paragraphs=["Hello."], tags=["jam"])
    assert blog.posts[0] is added and added.published > target.modified
    _, feed = page(blog, "/blog-feed.xml")
    assert feed.index(added.post_id) < feed.index(blog.posts[1].post_id)

    blog.delete_post(doomed.slug)
    assert blog.post(doomed.slug) is None
    assert page(blog, doomed.url_path)[0] == 404
    for path in ("/blog-posts-sitemap.xml", "/blog-feed.xml", "/blog", "/blog/page/2",
                 "/blog/page/3"):
        assert doomed.post_id not in page(blog, path)[1]
        assert doomed.url_path not in page(blog, path)[1], path
    with pytest.raises(KeyError):
        blog.delete_post(doomed.slug)


# -- HTTP ----------------------------------------------------------------------------------


def test_real_http_with_conditional_gets_and_request_counting():
    blog = SampleBlog(seed=3, post_count=12)
    post = blog.posts[4]
    with serve_blog(blog) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        status, headers, body = fetch(server.url + post.url_path)
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert f'"{server.url}{post.url_path}"' in body.decode()  # absolute URLs to itself
        etag, last_modified = headers["ETag"], headers["Last-Modified"]
        assert fetch(server.url + post.url_path, **{"If-None-Match": etag})[0] == 304
        assert fetch(server.url + post.url_path, **{"If-Modified-Since": last_modified})[0] == 304
        older = format_datetime(post.modified.replace(year=post.modified.year - 1), usegmt=True)
        assert fetch(server.url + post.url_path, **{"If-Modified-Since": older})[0] == 200
        assert fetch(server.url + post.url_path, **{"If-None-Match": '"stale"'})[0] == 200
        blog.edit_post(post.slug, paragraphs=["Changed."])
        status, headers, _ = fetch(server.url + post.url_path, **{"If-None-Match": etag})
        assert status == 200 and headers["ETag"] != etag
        assert fetch(server.url + "/missing")[0] == 404
        assert fetch(server.url + "/blog/")[0] == 200  # redirected to /blog
        assert server.hits[post.url_path] == 6
        assert server.request_log[:2] == [post.url_path, post.url_path]
        assert server.request_log[-2:] == ["/blog/", "/blog"]


def test_fault_injection_errors_slowness_redirect_loops_and_robots():
    blog = SampleBlog(seed=2, post_count=8)
    broken, slow = blog.posts[0].url_path, blog.posts[1].url_path
    with serve_blog(blog) as server:
        server.fail_paths.add(broken)
        server.slow_paths[slow] = 3.0
        server.redirect_loop_paths.add("/loop")
        server.robots_disallow.append("/blog/tags/")
        assert fetch(server.url + broken)[0] == 500
        with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
            urllib.request.urlopen(server.url + slow, timeout=0.2)
        status, headers, _ = fetch(server.url + "/loop")
        assert status == 302  # urllib gives up on the endless chain
        assert server.hits["/loop"] > 5
        assert server.respond("/loop?hop=4").headers["Location"] == "/loop?hop=5"
        robots = urllib.robotparser.RobotFileParser(server.url + "/robots.txt")
        robots.read()
        assert not robots.can_fetch("*", server.url + "/blog/tags/jam")
        assert robots.can_fetch("*", server.url + blog.posts[2].url_path)
        server.fail_paths.clear()
        assert fetch(server.url + broken)[0] == 200


def test_unicode_slugs_are_served_percent_encoded_and_listed_raw_in_the_sitemap():
    blog = SampleBlog(seed=1, post_count=40, unicode_slugs=True)
    post = next(p for p in blog.posts if re.search(r"[^\x00-\x7f]", p.slug))
    with serve_blog(blog) as server:
        assert fetch(server.url + quote(post.url_path))[0] == 200
        assert server.request_log[-1] == post.url_path
        assert fetch(server.url + quote(post.url_path) + "/")[0] == 200  # via a 301
        _, _, sitemap = fetch(server.url + "/blog-posts-sitemap.xml")
        assert f"<loc>{server.url}{post.url_path}</loc>" in sitemap.decode()


def test_cli_serves_until_ctrl_c_and_exits_cleanly():
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.sample_site", "--posts", "3", "--seed", "1"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert fetch(url + "/blog-feed.xml")[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Traceback" not in err


def test_cli_help_gives_every_option_a_line_with_its_default():
    result = subprocess.run([sys.executable, "-m", "crawler.sample_site", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    options = " ".join(result.stdout.split()).split(" --")[1:]  # one entry per option
    described = {entry.split()[0]: entry for entry in options if "(default" in entry}
    assert set(described) >= {"posts", "seed", "port", "host", "site-name", "layout",
                              "page-size", "attachments", "post-prefix", "edit", "fail",
                              "hang"}, result.stdout
    assert "(default 500)" in described["fail"] and "(default 120" in described["hang"]
    assert "(default 127.0.0.1)" in described["host"]
    assert "(default Willow Lane Notes)" in described["site-name"]
    assert "(default 0: a free port" in described["port"]


def test_cli_help_names_the_media_and_video_bases_a_crawl_fetches_the_blog_s_files_with():
    """The blog names its images on static.wixstatic.com and its videos (--attachments) on
    video.wixstatic.com: the help says both variables, and with the server's URL for URL each
    leads the crawl's fetcher to the file the blog serves."""
    pytest.importorskip("PIL.Image", reason="Pillow (the test extra) draws the blog's images")
    from archive.attachments import file_fetch_url
    from crawler.media import WIX_MEDIA

    result = subprocess.run([sys.executable, "-m", "crawler.sample_site", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    help_text = " ".join(result.stdout.split())
    bases = dict(re.findall(r"(WIXARCHIVE_\w+_BASE)=(URL/[\w/]*)", help_text))
    assert set(bases) == {"WIXARCHIVE_MEDIA_BASE", "WIXARCHIVE_VIDEO_BASE"}, result.stdout
    blog = SampleBlog(seed=3, post_count=8, attachments=True)
    image = next(url for post in blog.posts for url in post.images)
    video = next(url for post in blog.posts for url in post.videos)
    with serve_blog(blog) as server:
        media_base = bases["WIXARCHIVE_MEDIA_BASE"].replace("URL", server.url)
        status, headers, _ = fetch(media_base + image[len(WIX_MEDIA):])
        assert status == 200 and headers["Content-Type"].startswith("image/"), image
        video_base = bases["WIXARCHIVE_VIDEO_BASE"].replace("URL", server.url)
        status, headers, _ = fetch(file_fetch_url(video, video_base))
        assert status == 200 and headers["Content-Type"] == "video/mp4", video


class _CLIServer:
    """`python -m crawler.sample_site ARGS` in a subprocess, stopped with Ctrl-C (SIGINT)."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crawler.sample_site", "--posts", "6", "--seed", "3", *args],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.process.stdout.readline()
        self.url = re.search(r"http://127\.0\.0\.1:\d+", first).group(0)
        self.lines: list[str] = []  # one line per post changed, then the server just serves
        for _ in range(len([arg for arg in args if arg.startswith("--")])):
            self.lines.append(self.process.stdout.readline().strip())

    def post_urls(self) -> list[str]:
        """The posts' URLs, newest first (the sitemap lists them so)."""
        _, _, sitemap = fetch(self.url + "/blog-posts-sitemap.xml")
        return [loc.text for loc in lxml.etree.fromstring(sitemap).iter(f"{SM}loc")]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=10)
        assert self.process.returncode == 0 and "Traceback" not in err, err


def test_cli_edits_a_post_so_a_recrawl_by_hand_sees_the_change():
    """The same seed served again with --edit: that post has a new body, ETag and lastmod (a
    conditional GET with the first copy's ETag gets it anew); the others answer 304."""
    before = _CLIServer()
    try:
        urls = before.post_urls()
        first = {url.rsplit("/", 1)[1]: fetch(url) for url in urls}
    finally:
        before.stop()
    after = _CLIServer("--edit", "2")
    try:
        slugs = [url.rsplit("/", 1)[1] for url in after.post_urls()]
        assert slugs == list(first)  # the same blog, in the same order
        assert after.lines == [f"Edited: {after.url}/post/{slugs[1]}"
                               f"{after.lines[0].rsplit(slugs[1], 1)[1]}"]
        assert after.lines[0].endswith("Z)")  # "(modified <its new date>)"
        for number, slug in enumerate(slugs, 1):
            status, headers, html = fetch(f"{after.url}/post/{slug}",
                                          **{"If-None-Match": first[slug][1]["ETag"]})
            if number == 2:
                assert status == 200 and b"Edited by hand (--edit 2)" in html
                assert b"Edited by hand" not in first[slug][2]
            else:
                assert status == 304, slug
    finally:
        after.stop()


def test_cli_fails_and_hangs_posts_by_number_or_slug():
    probe = _CLIServer()
    try:
        slugs = [url.rsplit("/", 1)[1] for url in probe.post_urls()]
    finally:
        probe.stop()
    server = _CLIServer("--fail", "1", "--fail", f"{slugs[1]}:503", "--hang", "3:1.5")
    try:
        assert server.lines == [f"Answers 500: {server.url}/post/{slugs[0]}",
                                f"Answers 503: {server.url}/post/{slugs[1]}",
                                f"Answers after 1.5 s: {server.url}/post/{slugs[2]}"]
        assert fetch(f"{server.url}/post/{slugs[0]}")[0] == 500
        assert fetch(f"{server.url}/post/{slugs[1]}")[0] == 503
        started = time.monotonic()
        assert fetch(f"{server.url}/post/{slugs[2]}")[0] == 200
        assert time.monotonic() - started >= 1.5
        started = time.monotonic()
        assert fetch(f"{server.url}/post/{slugs[3]}")[0] == 200  # the others as ever
        assert time.monotonic() - started < 1.5
    finally:
        server.stop()


@pytest.mark.parametrize(("args", "message"), [
    (["--edit", "7"], "--edit '7': no such post (the blog has 6 posts"),
    (["--fail", "nope"], "--fail 'nope': no such post"),
    (["--fail", "1:200"], "--fail '1:200': STATUS must be an HTTP error, 400 to 599"),
    (["--hang", "1:soon"], "--hang '1:soon': SECONDS after the colon must be a number"),
])
def test_cli_rejects_a_post_it_does_not_have_in_one_line(args: list[str], message: str):
    result = subprocess.run(
        [sys.executable, "-m", "crawler.sample_site", "--posts", "6", *args], cwd=REPO,
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith(
        f"python -m crawler.sample_site: error: {message}"), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("layout", ["elements", "cms"])
def test_element_built_layouts_render_editor_elements(layout: str):
    blog = SampleBlog(seed=4, post_count=6, layout=layout)
    post = blog.posts[1]
    status, html = page(blog, post.url_path)
    root = doc(html)
    assert status == 200
    assert not root.cssselect("article[data-hook=post]")  # no blog-app article
    title = root.cssselect("#PAGES_CONTAINER [data-testid=richTextElement] h1")
    # Wix ends rich text with a zero-width "wixGuard" space, as real pages do.
    assert title[0].text_content() == post.title + "\u200b"
    assert root.cssselect("[data-hook=related-posts-root] [data-hook=post-list-item]")
    assert root.cssselect('[data-testid^="wixui_ShareButtons_"]')
    published = root.cssselect('meta[property="article:published_time"]')[0].get("content")
    assert published.endswith("Time)") and " GMT" in published
    assert post.expected()["published"].endswith(".000Z")  # JavaScript dates: no milliseconds

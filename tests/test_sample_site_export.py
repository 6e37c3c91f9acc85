"""The sample blog as a list of static files (crawler.sample_site.export), for nginx."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

from crawler.sample_site import SampleBlog
from crawler.sample_site.export import media_answers, media_paths, site_answers, site_paths
from crawler.sample_site.server import route

BASE = "http://127.0.0.1:9"
LINK = re.compile(r'(?:href="|src="|<loc>|<link>)' + re.escape(BASE) + r'(/[^"<#?]*)')


def test_every_linked_page_is_exported_and_answers_200() -> None:
    blog = SampleBlog(seed=5, post_count=45, unicode_slugs=True, attachments=True)
    answers = dict(site_answers(blog, BASE))
    assert len(answers) == len(site_paths(blog)), "each path once"
    assert all(answer.status == 200 for answer in answers.values())
    linked = {unquote(html.unescape(path)) for answer in answers.values()
              for path in LINK.findall(answer.body.decode("utf-8", "replace"))}
    served = {path for path in linked if route(blog, BASE, path, {}, []).status == 200}
    assert served, "the pages link their own site"
    assert served <= set(answers), sorted(served - set(answers))
    for path in ("/robots.txt", "/blog-posts-sitemap.xml", "/blog-feed.xml", "/blog",
                 "/blog/page/2", *(post.url_path for post in blog.posts)):
        assert path in answers
    assert any(path.startswith("/_files/ugd/") for path in answers)


def test_media_are_every_post_image_once_and_real_images() -> None:
    blog = SampleBlog(seed=5, post_count=30)
    wanted = {url for post in blog.posts
              for url in [post.expected()["cover_image"], *post.expected()["images"]] if url}
    assert {"https://static.wixstatic.com" + path for path in media_paths(blog)} == wanted
    answers = dict(media_answers(blog))
    assert len(answers) == len(wanted)
    assert all(a.status == 200 and a.headers["Content-Type"].startswith("image/")
               for a in answers.values())


def test_an_edited_post_is_exported_with_its_new_body_and_validators() -> None:
    blog = SampleBlog(seed=5, post_count=12)
    post = blog.posts[4]
    before = dict(site_answers(blog, BASE))[post.url_path]
    blog.edit_post(post.slug, paragraphs=["Rewritten for the export test."])
    after = dict(site_answers(blog, BASE))[post.url_path]
    assert b"Rewritten for the export test." in after.body
    assert before.body != after.body
    assert before.headers["Last-Modified"] != after.headers["Last-Modified"]
    assert before.headers["ETag"] != after.headers["ETag"]

"""Every URL of a SampleBlog as (path, answer) pairs, for serving the site as static files.

A static server (the crawl benchmarks' nginx, benchmarks/static_site.py) cannot render pages per
request; it serves what `site_answers` renders once, with the same bytes and validators
BlogServer gives. The paths are the ones the site answers 200 for: robots.txt, the sitemaps and
the feed, the home and about pages, every listing page (blog, categories, tags, each page of
them), every post, and the documents and videos the posts link; `media_answers` are the images
of the posts, which the tests' and benchmarks' second loopback host serves under /media/.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from crawler.sample_site.model import MEDIA_HOST, SampleBlog
from crawler.sample_site.server import _FEEDS, Response, media_response, route


def site_paths(blog: SampleBlog) -> list[str]:
    """The (percent-decoded) paths of every page and file of the blog's own host."""
    paths = ["/robots.txt", *_FEEDS, "/", "/about"]
    roots = [("/blog", len(blog.posts))]
    roots += [(f"/blog/categories/{slug}", len(blog.in_category(slug)))
              for _name, slug, _text in blog.categories()]
    roots += [(f"/blog/tags/{slug}", len(blog.with_tag(slug))) for _tag, slug in blog.tags()]
    for root, count in roots:
        pages = max(1, -(-count // blog.page_size))
        paths += [root, *(f"{root}/page/{page}" for page in range(2, pages + 1))]
    for post in blog.posts:
        paths.append(post.url_path)
        paths += post.documents
        paths += [urlsplit(video).path for video in post.videos]
    return paths


def image_urls(blog: SampleBlog) -> list[str]:
    """The original (static.wixstatic.com) address of every post's cover and body images, each
    once."""
    return list(dict.fromkeys(url for post in blog.posts
                              for url in [*([post.cover.url] if post.cover else []),
                                          *post.images]))


def media_paths(blog: SampleBlog) -> list[str]:
    """/media/<id> of every post's cover and body images, each once."""
    return [f"/media/{url[len(MEDIA_HOST):]}" for url in image_urls(blog)]


def site_answers(blog: SampleBlog, base: str) -> Iterator[tuple[str, Response]]:
    """What BlogServer answers a plain GET of each of `site_paths` with, on `base`."""
    for path in site_paths(blog):
        yield path, route(blog, base, path, {}, [])


def media_answers(blog: SampleBlog) -> Iterator[tuple[str, Response]]:
    """What the media host answers for each of `media_paths`."""
    for path in media_paths(blog):
        yield path, media_response(path[len("/media/"):])

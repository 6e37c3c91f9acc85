"""A deterministic Wix-style sample blog and its local HTTP server, for tests, demo and benchmarks.

    blog = SampleBlog(seed=7, post_count=25)
    with serve_blog(blog) as server:
        ...  # crawl server.url; read server.request_log

Each post's ground truth is `post.expected()`.
"""

from crawler.sample_site.model import Block, Image, SampleBlog, SamplePost, Segment
from crawler.sample_site.server import BlogServer, Response, serve_blog

__all__ = [
    "Block", "BlogServer", "Image", "Response", "SampleBlog", "SamplePost", "Segment",
    "serve_blog",
]

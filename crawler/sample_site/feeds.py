"""robots.txt, the Wix sitemap family and the RSS feed, shaped like the ones Wix serves."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from email.utils import format_datetime
from html import escape
from urllib.parse import quote

from crawler.sample_site.model import SampleBlog, SamplePost
from crawler.sample_site.ricos import feed_html

FEED_ITEMS = 20  # Wix's feed only ever holds the latest 20 posts
STATIC_PAGES = ("", "/blog", "/about")


def robots_txt(base: str, disallow: list[str], crawl_delay: str | None = None) -> str:
    """Wix's default robots.txt, plus any extra Disallow rules and a Crawl-delay."""
    rules = "".join(f"Disallow: {path}\n" for path in disallow)
    delay = f"Crawl-delay: {crawl_delay}\n" if crawl_delay else ""
    return (
        "# By Wix: a sample site for crawler tests\n"
        "User-agent: *\n"
        f"{delay}"
        f"{rules}"  # before "Allow: /": first-match parsers (urllib) must see them too
        "Allow: /\n"
        "Disallow: *?lightbox=\n"
        "\n"
        "# Optimization for Google Ads Bot\n"
        "User-agent: AdsBot-Google-Mobile\n"
        "User-agent: AdsBot-Google\n"
        "Disallow: /_api/*\n"
        "Disallow: /_partials*\n"
        "\n"
        "# Block PetalBot\n"
        "User-agent: PetalBot\n"
        "Disallow: /\n"
        "\n"
        f"Sitemap: {base}/sitemap.xml\n"
    )


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def sitemap_index(blog: SampleBlog, base: str) -> str:
    newest = _day(blog.last_modified)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             'generatedBy="WIX">\n']
    for name in ("blog-categories-sitemap.xml", "blog-posts-sitemap.xml", "pages-sitemap.xml"):
        parts.append(f"<sitemap>\n<loc>{base}/{name}</loc>\n<lastmod>{newest}</lastmod>\n"
                     "</sitemap>\n")
    parts.append("</sitemapindex>")
    return "".join(parts)


def posts_sitemap(blog: SampleBlog, base: str, hidden: Collection[str] = ()) -> str:
    """One <url> per live post but the `hidden` paths (Wix leaves noindex posts out); non-ASCII
    slugs stay unencoded, as on Wix."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"\n'
             'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" generatedBy="WIX">\n']
    for post in blog.posts:
        if post.url_path in hidden:
            continue
        image = (f"<image:image>\n<image:loc>{post.cover.url}</image:loc>\n</image:image>\n"
                 if post.cover else "")
        parts.append(f"<url>\n<loc>{escape(base + post.url_path)}</loc>\n"
                     f"<lastmod>{_day(post.modified)}</lastmod>\n{image}</url>\n")
    parts.append("</urlset>")
    return "".join(parts)


def categories_sitemap(blog: SampleBlog, base: str) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" generatedBy="WIX">\n']
    for _name, slug, _text in blog.categories():
        posts = blog.in_category(slug)
        if posts:
            newest = max(post.modified for post in posts)
            parts.append(f"<url>\n<loc>{base}/blog/categories/{slug}</loc>\n"
                         f"<lastmod>{_day(newest)}</lastmod>\n</url>\n")
    parts.append("</urlset>")
    return "".join(parts)


def pages_sitemap(blog: SampleBlog, base: str) -> str:
    day = _day(blog.last_modified)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" generatedBy="WIX">\n']
    for path in STATIC_PAGES:
        parts.append(f"<url>\n<loc>{base}{path}</loc>\n<lastmod>{day}</lastmod>\n</url>\n")
    parts.append("</urlset>")
    return "".join(parts)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _item(blog: SampleBlog, post: SamplePost, base: str) -> str:
    link = base + quote(post.url_path)  # the feed percent-encodes non-ASCII slugs
    link = escape(f"{link}?{blog.feed_link_query}" if blog.feed_link_query else link)
    parts = [f"<item><title>{_cdata(post.title)}</title>",
             f"<description>{_cdata(post.description)}</description>",
             f"<link>{link}</link>",
             f'<guid isPermaLink="false">{post.post_id}</guid>']
    parts += [f"<category>{_cdata(name)}</category>" for name in post.categories]
    parts.append(f"<pubDate>{_rfc822(post.published)}</pubDate>")
    if post.cover_url:
        parts.append(f'<enclosure url="{escape(post.cover_url)}" length="0" type="image/jpeg"/>')
    parts.append(f"<dc:creator>{escape(post.author)}</dc:creator>")
    if blog.feed_content:
        parts.append(f"<content:encoded>{_cdata(feed_html(post.blocks))}</content:encoded>")
    parts.append("</item>")
    return "".join(parts)


def rss_feed(blog: SampleBlog, base: str) -> str:
    """RSS 2.0 as Wix's 'RSS for Node' writes it: one line, latest 20 posts only."""
    head = (
        '<?xml version="1.0" encoding="UTF-8"?><rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" version="2.0"><channel>'
        f"<title>{_cdata(blog.site_name)}</title><description>{_cdata(blog.site_name)}"
        f"</description><link>{base}/blog</link><generator>RSS for Node</generator>"
        f"<lastBuildDate>{_rfc822(blog.last_modified)}</lastBuildDate>"
        f'<atom:link href="{base}/blog-feed.xml" rel="self" type="application/rss+xml"/>'
    )
    items = "".join(_item(blog, post, base) for post in blog.posts[:FEED_ITEMS])
    return f"{head}{items}</channel></rss>"

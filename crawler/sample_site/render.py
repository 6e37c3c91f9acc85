"""Page templates: post pages (classic and new layout), listings, home, about and 404.

The DOM follows /work/shared/reference/wix-dom.md: `article[data-hook=post]` once per post page,
with the Recent Posts cards and the comments widget after it, outside the article.
"""

from __future__ import annotations

import json
import math
from html import escape

from crawler.sample_site.chrome import (
    Site,
    blog_app,
    blog_header,
    document,
    head,
    og_meta,
    stable_uuid,
)
from crawler.sample_site.content import slugify
from crawler.sample_site.elements import ELEMENT_LAYOUTS, element_post_page, unknown_post_page
from crawler.sample_site.model import UNKNOWN_LAYOUT, SamplePost, display_date
from crawler.sample_site.ricos import render_body

RECENT_POSTS = 3
_ICON = '<svg viewBox="0 0 19 19" width="19" height="19"><path d="M2 2h15v15H2z"/></svg>'
_SHARE = (("facebook", "Facebook"), ("twitter", "X (Twitter)"), ("linked-in", "LinkedIn"),
          ("link", "link"))


def _ld_text(value: str) -> str:
    # Wix HTML-escapes string values inside its JSON-LD (`&quot;` in headlines).
    return escape(value, quote=True)


def _post_meta(site: Site, post: SamplePost, url: str) -> list[str]:
    props = [("og:title", post.title), ("og:description", post.description)]
    if post.cover:
        props += [("og:image", post.cover_url or ""), ("og:image:width", str(post.cover.width)),
                  ("og:image:height", str(post.cover.height))]
    props += [("og:url", url), ("og:site_name", site.blog.site_name), ("og:type", "article"),
              ("article:author", post.author), ("article:published_time", post.published_iso),
              ("article:modified_time", post.modified_iso),
              ("twitter:card", "summary_large_image"), ("twitter:title", post.title),
              ("twitter:description", post.description)]
    if post.cover:
        props.append(("twitter:image", post.cover_url or ""))
    ld: dict = {
        "@context": "https://schema.org", "@type": "BlogPosting",
        "author": {"@type": "Person", "name": _ld_text(post.author),
                   "url": f"{site.base}/profile/{slugify(post.author)}/profile"},
        "dateModified": post.modified_iso, "datePublished": post.published_iso,
        "headline": _ld_text(post.title),
        "mainEntityOfPage": {"@id": url, "@type": "itemPage", "url": url},
        "description": _ld_text(post.description), "url": url,
    }
    if post.cover:
        ld["image"] = {"@type": "ImageObject", "url": post.cover_url,
                       "width": str(post.cover.width), "height": str(post.cover.height)}
    ld["publisher"] = {"@type": "Organization", "name": _ld_text(site.blog.site_name),
                       "url": site.base}
    script = ('<script type="application/ld+json">'
              f"{json.dumps(ld, ensure_ascii=False, separators=(',', ':'))}</script>")
    return [*og_meta(props), script]


def _share_buttons(with_print: bool) -> str:
    buttons = [f'<button class="qXlEOR" aria-label="Share via {label}" '
               f'data-hook="share-button__{hook}">{_ICON}<span class="hV4Sgn"></span></button>'
               for hook, label in _SHARE]
    if with_print:
        buttons.append('<button class="qXlEOR" aria-label="Print post" '
                       f'data-hook="share-button__print">{_ICON}</button>')
    return "".join(buttons)


def _tag_cloud(site: Site, post: SamplePost) -> str:
    if not post.tags:
        return ""
    links = "".join(f'<li><a href="{site.base}/blog/tags/{slugify(tag)}" class="_u2fqx" '
                    f'rel="noopener noreferrer">{escape(tag)}</a></li>' for tag in post.tags)
    return ('<section class="JJ6Vcq"><p class="OY6C7u">Tags:</p><nav dir="ltr" aria-label="Tags"'
            f' data-hook="tag-cloud-root"><ul class="zmug2R">{links}</ul></nav></section>')


def _category_links(site: Site, post: SamplePost) -> str:
    items = []
    for n, name in enumerate(post.categories):
        if n:
            items.append('<li class="dczcyO"><span>•</span></li>')
        items.append(f'<li class="TZ6_II"><a href="{site.base}/blog/categories/{slugify(name)}" '
                     'class="blog-link-hover-color post-categories-list__link" '
                     f'data-hook="category-label-list__item">{escape(name)}</a></li>')
    return f'<ul class="lXjgWq">{"".join(items)}</ul>' if items else ""


def _like_button() -> str:
    return ('<button class="Kh5HMz"><span class="laz8E8">Post not marked as liked</span>'
            '<span class="h7K_lu" data-hook="like-button-with-count__like-count">'
            f'<div class="like-button LtaU1R" data-hook="like-button">{_ICON}</div></span>'
            "</button>")


def _updated(post: SamplePost, today, css: str) -> str:
    if not post.is_updated:
        return ""
    day = display_date(post.modified, today)
    return (f'<p class="{css}">Updated: <span title="{day}" class="time-ago" '
            f'data-hook="time-ago">{day}</span></p>')


def _classic_article(site: Site, post: SamplePost, url: str) -> str:
    today = site.blog.today
    day = display_date(post.published, today)
    minutes = f"{post.reading_minutes} min read"
    uid = stable_uuid("post", post.post_id)
    views = f"{post.views} view" + ("" if post.views == 1 else "s")
    profile = f"{site.base}/profile/{slugify(post.author)}/profile"
    return (
        '<article class="j3D9DG blog-post-page-font blog-card-background-color" data-hook="post">'
        '<div class="OSxNQL"><div class="OFA52E"><div class="IeNfNP"><ul class="xUuoH9 v0bFi9">'
        f'<li class="F4tRtJ"><a href="{profile}" data-hook="profile-link" class="lBv2XN avatar">'
        '<span class="ERF5R1 avatar-image"><div aria-label="Writer\'s picture" '
        'class="lR3yj5 fluid-avatar-image" data-hook="avatar-image"></div></span>'
        f'<span title="{escape(post.author)}" class="tQ0Q1A user-name" data-hook="user-name">'
        f"{escape(post.author)}</span></a></li>"
        '<li class="F4tRtJ"><div class="Ki_0_s blog-separator-background-color"></div></li>'
        '<li class="F4tRtJ"><ul class="xUuoH9 MBUSKJ"><li class="UZa2Xr">'
        f'<span title="{day}" class="post-metadata__date time-ago" data-hook="time-ago">{day}'
        '</span></li><li class="UZa2Xr"><div class="Ki_0_s"></div></li><li class="UZa2Xr">'
        f'<span class="post-metadata__readTime" title="{minutes}" data-hook="time-to-read">'
        f"{minutes}</span></li></ul></li></ul>"
        '<div class="UPa2xo JDQ812"><div class="more-button"><button type="button" '
        f'class="Bvf4SR" tabindex="0" aria-label="More actions" id="more-button-{uid}" '
        f'data-hook="more-button">{_ICON}</button></div></div></div>'
        '<div tabindex="-1" class="cD_92h UitnHM" data-hook="post-title">'
        '<h1 class="UbhFJ7 blog-post-title-font blog-post-title-color post-title" '
        'data-hook="post-title"><span class="post-title__text blog-post-title-font">'
        f'<span class="blog-post-title-font">{escape(post.title)}</span></span></h1></div>'
        f"{_updated(post, today, 'lkwdFf OFA52E')}"
        '<div class="nLG8d5" data-hook="post-description"><article class="blog-post-page-font">'
        '<div class="post-content__body"><div class="moHCnT"><div class="moHCnT">'
        f"{render_body(post.blocks, 'classic', url)}</div></div></div></article></div></div>"
        f'<div id="post-footer" class="OFA52E jG7PL8">{_tag_cloud(site, post)}'
        '<div class="ux83lW" data-hook="post-main-actions-desktop">'
        '<div class="tmHsxH blog-separator-background-color"></div><div class="bVF0DD lnKYSq">'
        f'<div class="ynI4j0 blog-text-color" id="post-social-actions_{uid}" tabindex="-1">'
        f"{_share_buttons(False)}</div>{_category_links(site, post)}</div>"
        '<div class="tmHsxH blog-separator-background-color"></div>'
        '<div class="bVF0DD xIs1Bi" data-hook="post-main-actions__stats">'
        f'<div data-hook="post-stats" class="asGom3"><span tabindex="0">{views}</span>'
        '<span tabindex="0">0 comments</span></div>'
        f"{_like_button()}</div></div></div></div></article>"
    )


def _skeleton(count: int) -> str:
    return '<div data-hook="skeleton-loader" class="bEeZ1_"></div>' * count


def _new_article(site: Site, post: SamplePost, url: str) -> str:
    today = site.blog.today
    day = display_date(post.published, today)
    minutes = f"{post.reading_minutes} min read"
    uid = stable_uuid("post", post.post_id)
    profile = f"{site.base}/profile/{slugify(post.author)}/profile"
    categories = _category_links(site, post)
    if categories:  # not seen in the samples' SSR; shown so categories stay recoverable
        categories = f'<section class="Cg4Zf1" data-hook="post-categories-list">{categories}' \
                     "</section>"
    return (
        '<article class="tgMH9T" data-hook="post"><section data-hook="post-hero-image"></section>'
        '<div class="HW6ttf"><header class="PhCafd"><div class="PKQ95p"><div class="MbPQSQ">'
        '<div class="apmiGT" data-hook="post-title"><h1 class="H3vOVf" data-hook="post-title">'
        f'{escape(post.title)}</h1></div><div class="a5JqMF"><ul class="NtBDdE">'
        '<li class="MABqta"><div class="bZrSjY"><wow-image class="S7Q4bF fluid-avatar-image">'
        f'<img alt="Writer: {escape(post.author)}" role="img"/></wow-image></div>'
        f'<a href="{profile}" data-hook="profile-link" class="IkAhjA">'
        f'<span data-hook="user-name">{escape(post.author)}</span></a></li>'
        f'<li class="wBTynn"><span title="{day}" class="time-ago" data-hook="time-ago">{day}'
        f'</span></li><li class="F56Ope"><span title="{minutes}" data-hook="time-to-read">'
        f'{minutes}</span></li></ul><div class="hSZsuG"><button class="MHuRVq" type="button" '
        f'aria-label="More actions" id="more-button-{uid}" data-hook="more-button">{_ICON}'
        f"</button></div></div></div></div>{_updated(post, today, 'NfKpG_')}</header>"
        '<section class="VQDdIN" data-hook="post-description"><div class="moHCnT">'
        f'<div class="moHCnT">{render_body(post.blocks, "new", url)}</div></div></section>'
        '<footer class="PhCafd B6ltWa" data-hook="post-footer"><div class="PKQ95p">'
        f'<div class="KVKbzt aQg0ny">{_tag_cloud(site, post)}{categories}'
        '<section class="Xyiv4I" data-hook="post-main-actions-desktop"><div class="eFSltK">'
        f'<div class="Zt1NVN">{_share_buttons(True)}</div></div>'
        '<div class="FyFkaC" data-hook="post-main-actions__stats">'
        f'<div data-hook="post-stats" class="TAdeda">{_skeleton(2)}</div>{_skeleton(1)}</div>'
        "</section></div></div></footer></div></article>"
    )


def _recent(site: Site, post: SamplePost) -> str:
    others = [p for p in site.blog.posts[:RECENT_POSTS + 1] if p.slug != post.slug][:RECENT_POSTS]
    if not others:
        return ""
    cards = []
    for other in others:
        link = site.base + other.url_path
        title = escape(other.title)
        cover = ""
        if other.cover:
            cover = (f'<a aria-label="{title}" href="{link}" class="blog-link-hover-color" '
                     f'data-hook="link" tabindex="-1"><wow-image class="S7Q4bF HNM0p2">'
                     f'<img src="{other.cover.resized(454, 256)}" alt=""/></wow-image></a>')
        if post.layout == "classic":
            cards.append(
                f'<article class="QltRG0" tabindex="0" data-hook="recent-post-list-item">{cover}'
                '<div class="blog-post-title-font" data-hook="recent-post__title">'
                f'<p class="GF4Dud"><a href="{link}" class="blog-link-hover-color">{title}</a></p>'
                '</div><div class="NT9zC5 post-footer"><div class="E54HWO post-stats" '
                f'data-hook="post-stats"><span data-hook="view-count-compact"><span>{other.views}'
                '</span></span><span data-hook="comment-count-compact"><span>0</span></span>'
                f"</div>{_like_button()}</div></article>")
        else:
            cards.append(
                f'<article class="qbu2Gh" data-hook="recent-post-list-item">{cover}'
                f'<header data-hook="recent-post__title"><a class="hPl9QB" href="{link}">{title}'
                '</a></header><section data-hook="recent-post__description"><span class="j1Y_aa">'
                f'<p class="pAfFB0" data-hook="post-description">{escape(other.description)}</p>'
                '</span></section><footer data-hook="post-footer" class="LO60EX">'
                f'<div class="LVcAxq post-stats" data-hook="post-stats">{_skeleton(2)}</div>'
                f"{_skeleton(1)}</footer></article>")
    if post.layout == "classic":
        return ('<div class="KYa5Ob"><div class="MS7sOC blog-text-color" data-hook="recent-posts">'
                '<div class="E8Zofv"><h2 class="up1lc0">Recent Posts</h2>'
                f'<a href="{site.base}/blog" class="blog-link-hover-color" '
                'data-hook="recent-posts-desktop__link">See All</a></div>'
                f'<div class="AMlRJt recent-posts-list__list">{"".join(cards)}</div></div></div>')
    return ('<section class="oY1ew3" data-hook="recent-posts"><header class="qmDeKd">'
            f'<h2>Recent Posts</h2><a href="{site.base}/blog" class="vz0Mhy">See All</a></header>'
            f'<section><div class="zHLEBV">{"".join(cards)}</div></section></section>')


def _comments(post: SamplePost) -> str:
    return (f'<div class="wc-comments-root" data-hook="wc-root {post.post_id}" '
            'data-render="SSR_LOADED"><div class="wc-header">'
            '<h2 data-hook="wc-header-title">Comments</h2></div>'
            '<button type="button" data-hook="comment-box-placeholder">Write a comment...'
            '</button><div data-hook="top-level-comment-list"></div></div>')


def post_page(site: Site, post: SamplePost) -> str:
    if post.layout in ELEMENT_LAYOUTS:
        return element_post_page(site, post)
    if post.layout == UNKNOWN_LAYOUT:
        return unknown_post_page(site, post)
    url = site.base + post.url_path
    article = (_classic_article if post.layout == "classic" else _new_article)(site, post, url)
    inner = (f"{blog_header(site, 'post')}"
             '<div class="mbKyhH blog-post-page-font" data-hook="post-page">'
             f'<div class="KYa5Ob"><div class="EcwjNF">{article}</div></div>'
             f"{_recent(site, post)}{_comments(post)}</div>")
    html_head = head(site, title=post.title, layout=post.layout, canonical=url,
                     meta=_post_meta(site, post, url), page_url=url)
    return document(site, head_html=html_head, layout=post.layout, page_id="pst7x",
                    current="/blog", content=blog_app("post01", "post-page-root", inner))


# -- listings ------------------------------------------------------------------------------


def _card(site: Site, post: SamplePost) -> str:
    link = site.base + site.blog.listing_path(post)
    day = display_date(post.published, site.blog.today)
    uid = stable_uuid("card", post.post_id)
    image = ""
    if post.cover:
        image = ('<div data-hook="item-wrapper" class="gallery-item-wrapper">'
                 '<div class="gallery-item-content image-item" data-hook="image-item">'
                 f'<img class="gallery-item" data-hook="gallery-item-image-img" '
                 f'src="{post.cover.resized(454, 341)}" alt="{escape(post.title)}"/></div></div>')
    return (
        f'<div data-id="{uid}" class="item-link-wrapper" data-hook="item-link-wrapper" '
        f'tabindex="-1"><div class="gallery-item-container" data-hook="item-container" '
        f'aria-label="{escape(post.title)}">{image}'
        '<article class="RiOfiW blog-post-description-font blog-text-color" '
        'data-hook="post-list-item"><div class="post-metadata">'
        f'<span title="{escape(post.author)}" class="tQ0Q1A user-name" data-hook="user-name">'
        f'{escape(post.author)}</span><span title="{day}" class="time-ago" data-hook="time-ago">'
        f'{day}</span><span data-hook="time-to-read">{post.reading_minutes} min read</span></div>'
        f'<a class="O16KGI" href="{link}"><div class="FbwBsX blog-post-title-font" '
        'data-hook="post-list-item__title"><div class="T5UMT5 post-title" data-hook="post-title">'
        f'<h2 class="bD0vt9 KNiaIk">{escape(post.title)}</h2></div></div></a>'
        '<div class="nebVix blog-post-description-style-font" data-hook="post-description">'
        f'<div class="BOlnTh"><div class="mJ89ha">{escape(post.description)}</div></div></div>'
        '<div class="post-footer"><div data-hook="post-stats">'
        f'<span data-hook="view-count-compact"><span>{post.views}</span></span>'
        '<span data-hook="comment-count-compact"><span>0</span></span></div>'
        f"{_like_button()}</div></article></div></div>"
    )


def _pagination(hook: str, root: str, page: int, pages: int) -> str:
    def href(n: int) -> str:
        return root if n == 1 else f"{root}/page/{n}"

    parts = []
    if page > 1:
        parts.append(f'<a href="{href(page - 1)}" aria-label="Previous page" '
                     'data-hook="pagination__previous">‹</a>')
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    previous = 0
    for n in shown:
        if n - previous > 1:
            parts.append('<span class="pagination-ellipsis">…</span>')
        if n == page:
            parts.append(f'<div class="KhVdjt blog-button-color" aria-label="Page {n}" '
                         f'aria-current="page" data-hook="pagination__{n}">{n}</div>')
        else:
            parts.append(f'<a href="{href(n)}" class="KhVdjt" aria-label="Page {n}" '
                         f'data-hook="pagination__{n}">{n}</a>')
        previous = n
    if page < pages:
        parts.append(f'<a href="{href(page + 1)}" aria-label="Next page" '
                     'data-hook="pagination__next">›</a>')
    return f'<div data-hook="{hook}">{"".join(parts)}</div>'


def listing_page(site: Site, posts: list[SamplePost], page: int, kind: str, slug: str = "",
                 name: str = "", description: str = "") -> str | None:
    """A blog feed (`kind` 'feed'), category or tag page; None when `page` is past the end."""
    size = site.blog.page_size
    pages = max(1, math.ceil(len(posts) / size))
    if page < 1 or page > pages:
        return None
    path = {"feed": "/blog", "category": f"/blog/categories/{slug}",
            "tag": f"/blog/tags/{slug}"}[kind]
    root = site.base + path
    url = root if page == 1 else f"{root}/page/{page}"
    label = {"feed": "Blog", "category": name, "tag": name}[kind]
    title = f"{label} | {site.blog.site_name}"
    if page > 1:
        title = (f"{label} {page}/{pages}" if kind == "category"
                 else f"{title} | Page {page} of {pages}")
    meta = og_meta([("og:title", title), ("og:url", url), ("og:site_name", site.blog.site_name),
                    ("og:type", "website"), ("robots", "noindex" if kind == "tag" else "index")])
    if page > 1:
        meta.append(f'<link rel="prev" href="{root if page == 2 else f"{root}/page/{page - 1}"}"/>')
    if page < pages:
        meta.append(f'<link rel="next" href="{root}/page/{page + 1}"/>')
    heading = ""
    if kind != "feed":
        hook = "category-header" if kind == "category" else "tag-header"
        text = f"<p>{escape(description)}</p>" if description else ""
        heading = f'<div data-hook="{hook}"><h1>{escape(name)}</h1>{text}</div>'
    cards = "".join(_card(site, post) for post in posts[(page - 1) * size:page * size])
    current = {"feed": "", "category": slug}.get(kind, "other")
    inner = (f"{blog_header(site, current)}{heading}"
             '<div data-hook="post-list-pro-gallery-container" '
             'class="post-list-pro-gallery-pg-grid homepage"><div id="pro-gallery-pro-blog" '
             'class="pro-gallery"><div class="pro-gallery-parent-container" role="region" '
             'aria-label="Blog Feed. Select a post to read.">'
             f'<div id="pro-gallery-container-pro-blog">{cards}</div></div></div></div>'
             f"{_pagination(f'{kind}-pagination-container', root, page, pages)}")
    html_head = head(site, title=title, layout="new", canonical=url, meta=meta, page_url=url)
    return document(site, head_html=html_head, layout="new", page_id="blg3k", current="/blog",
                    content=blog_app("feed01", "feed-page-root", inner))


# -- static pages --------------------------------------------------------------------------


def _static(site: Site, *, title: str, path: str, page_id: str, body: str,
            robots: str = "index") -> str:
    url = site.base + path
    meta = og_meta([("og:title", title), ("og:url", url), ("og:site_name", site.blog.site_name),
                    ("og:type", "website"), ("robots", robots)])
    content = (f'<section id="comp-{page_id}" class="wixui-section"><div class="wixui-rich-text" '
               f'id="comp-{page_id}-text">{body}</div></section>')
    return document(site, head_html=head(site, title=title, layout="new", canonical=url,
                                         meta=meta, page_url=url),
                    layout="new", page_id=page_id, current=path, content=content)


def home_page(site: Site) -> str:
    latest = "".join(f'<li><a href="{site.base}{p.url_path}">{escape(p.title)}</a></li>'
                     for p in site.blog.posts[:3])
    name = escape(site.blog.site_name)
    body = (f'<h1 class="font_0">{name}</h1><p class="font_8">A small journal about gardens, '
            'kitchens and slow weekends.</p><h2 class="font_2">Latest from the blog</h2>'
            f'<ul class="font_8">{latest}</ul><p class="font_8"><a href="{site.base}/blog">'
            "Read the blog</a></p>")
    return _static(site, title=site.blog.site_name, path="", page_id="hme0a", body=body)


def about_page(site: Site) -> str:
    body = ('<h1 class="font_0">About</h1><p class="font_8">We are a few neighbours who write '
            "down what worked, what failed and what we would try again.</p>"
            '<h2 class="font_2" id="privacy">Privacy</h2><p class="font_8">This sample site keeps'
            " no data about its visitors.</p>")
    return _static(site, title=f"About | {site.blog.site_name}", path="/about", page_id="abt1c",
                   body=body)


def not_found_page(site: Site, path: str) -> str:
    body = ('<h1 class="font_0">Page Not Found</h1><p class="font_8">We can’t find the page you’re'
            f' looking for.</p><p class="font_8"><a href="{site.base}">Go to Home Page</a></p>')
    return _static(site, title=f"404 | {site.blog.site_name}", path=path, page_id="nf404",
                   body=body, robots="noindex")

"""Element-built post pages: Wix's customisable post page ("elements") and CMS item pages ("cms").

No blog-app article here: the page is editor elements inside Thunderbolt sections. The title is
an h1 in a `data-testid="richTextElement"` component with the post's categories as links in one
above it (these pages show no tags: `SamplePost.expected()` lists none for them), the body a
run of rich-text components
with image elements between them, and around it a share-buttons row
(`data-testid="wixui_ShareButtons_…"`), a related-posts block (`data-hook=related-posts-root`
with `post-list-item` cards) and, on CMS pages, a site-wide newsletter text section. Dates in
the head are JavaScript `Date.toString()` strings, as these pages print them.

Each post takes one of several shapes (from its body seed), so every page kind below is served:
- the post header as one "author · date · N min read" line, or one paragraph each;
- labels in their own text elements: "Share this post:" above the share row (customisable post
  page), a "Related Posts" heading above the related posts (CMS pages);
- CMS item pages whose head says og:type "website" and binds the posting as an `ItemPage`'s
  mainEntity (as Wix writes a CMS page's SEO), and ones with a second copy of the posting that
  disagrees (another dateModified) — the page's own metadata decides;
- Wix's zero-width `wixGuard` spaces in the title and on empty lines, as real rich text has.

With `SampleBlog(attachments=True)` a post's video is a video box element between the text runs
(`<wix-video data-video-info>` listing its encodings, in the element's own background layers)
and its PDF a link in the text; the body's section then has a background video, as a column of
a real page has (printdreams3d): site design, which extraction must not record.
"""

from __future__ import annotations

import json
from datetime import timedelta
from html import escape

from crawler.sample_site.chrome import Site, document, head, og_meta, stable_uuid
from crawler.sample_site.content import slugify
from crawler.sample_site.files import VIDEO_HOST
from crawler.sample_site.model import Block, SamplePost, display_date, iso

ELEMENT_LAYOUTS = ("elements", "cms")
RELATED_POSTS = 3
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# CMS pages here print their dates in the site's zone, as a browser-side Date would.
_ZONES = {"elements": (0, "Coordinated Universal Time"), "cms": (2, "Central European Summer Time")}


def js_date(post: SamplePost, moment) -> str:
    """`Wed Jul 24 2024 15:39:55 GMT+0000 (Coordinated Universal Time)`."""
    hours, name = _ZONES[post.layout]
    local = moment + timedelta(hours=hours)
    return (f"{_DAYS[local.weekday()]} {_MONTHS[local.month - 1]} {local.day:02d} {local.year} "
            f"{local:%H:%M:%S} GMT{'+' if hours >= 0 else '-'}{abs(hours):02d}00 ({name})")


_WIX_GUARD = '<span class="wixGuard wixui-rich-text__text">\u200b</span>'


def _shape(post: SamplePost, bit: int) -> bool:
    """One of the post's structural choices, fixed by its body seed."""
    return bool(post.body_seed >> bit & 1)


def _rich_text(comp: str, inner: str) -> str:
    return (f'<div id="comp-{comp}" class="HcOXKn c9GqVL QxJLC3 comp-{comp} wixui-rich-text" '
            f'data-testid="richTextElement">{inner}</div>')


def _runs(block: Block) -> str:
    out = []
    for segment in block.segments:
        inner = escape(segment.text)
        if segment.mark == "strong":
            inner = f'<span style="font-weight:bold;">{inner}</span>'
        elif segment.mark == "em":
            inner = f'<span style="font-style:italic;">{inner}</span>'
        if segment.href:
            inner = (f'<span style="text-decoration:underline;"><a href="{escape(segment.href)}"'
                     f' target="_blank">{inner}</a></span>')
        out.append(inner)
    return "".join(out)


def _text_block(block: Block) -> str:
    css = 'class="font_8 wixui-rich-text__text"'
    if block.kind == "paragraph":
        return f'<p {css}><span class="wixui-rich-text__text">{_runs(block)}</span></p>'
    if block.kind == "heading":
        return (f'<h{block.level} class="font_{block.level} wixui-rich-text__text">'
                f"{_runs(block)}</h{block.level}>")
    if block.kind in ("bulleted_list", "ordered_list"):
        tag = "ol" if block.kind == "ordered_list" else "ul"
        items = "".join(f'<li class="wixui-rich-text__text"><p {css}>{escape(item)}</p></li>'
                        for item in block.items)
        return f'<{tag} {css}>{items}</{tag}>'
    if block.kind == "blockquote":
        return f'<blockquote {css}><p {css}>{_runs(block)}</p></blockquote>'
    if block.kind == "spacer":
        return f"<p {css}>\u00a0</p>"
    return f"<p {css}>{_WIX_GUARD}</p>"  # an empty line, as the Wix editor writes it


def _image(block: Block) -> str:
    image = block.image
    assert image is not None
    info = {"containerId": f"comp-{block.node_id}", "displayMode": "fill",
            "imageData": {"width": image.width, "height": image.height, "uri": image.media_id,
                          "name": "", "displayMode": "fill"}}
    return (f'<div id="comp-{block.node_id}" class="comp-{block.node_id} wixui-image" '
            f'data-testid="imageX"><div data-testid="linkElement" class="j7pOnl">'
            f'<wow-image id="img_comp-{block.node_id}" class="HlRz5e BI8PVQ" '
            f'data-image-info="{escape(json.dumps(info, separators=(",", ":")))}">'
            f'<img src="{image.placeholder}" alt="" style="width:740px;object-fit:cover"/>'
            "</wow-image></div></div>")


def _wix_video(comp: str, path: str, *, loop: bool) -> str:
    """A `<wix-video>` in background layers, as Wix renders a video box or a section's
    background; `path` is the largest encoding's (`video/<id>/480p/mp4/file.mp4`)."""
    smaller = path.replace("/480p/", "/360p/")
    info = {"videoId": path.split("/")[1], "videoWidth": 854, "videoHeight": 480,
            "qualities": [{"quality": "360p", "url": smaller}, {"quality": "480p", "url": path}],
            "isVideoDataExists": "1", "videoFormat": "mp4", "autoPlay": loop,
            "containerId": f"comp-{comp}"}
    flags = ' muted="" loop=""' if loop else ""
    return (f'<div id="bgLayers_comp-{comp}" data-hook="bgLayers" class="MW5IWV">'
            f'<div data-testid="colorUnderlay" class="LWbAav"></div>'
            f'<div id="bgMedia_comp-{comp}" class="VgO9Yg"><wix-video id="videoContainer_comp-'
            f'{comp}" data-video-info="{escape(json.dumps(info, separators=(",", ":")))}">'
            f'<video id="comp-{comp}_video" playsinline="" preload="none"{flags}></video>'
            "</wix-video></div></div>")


def _video_box(block: Block) -> str:
    assert block.video is not None
    comp = block.node_id
    return (f'<div id="comp-{comp}" class="comp-{comp} wixui-video-box" data-testid="videoBox">'
            f"{_wix_video(comp, block.video.removeprefix(VIDEO_HOST), loop=False)}"
            '<button data-testid="playPause" aria-label="Play video"></button></div>')


def _body(post: SamplePost) -> str:
    """Rich-text runs split at images; CMS pages split text into runs of three blocks too."""
    parts: list[str] = []
    run: list[str] = []
    per_run = 3 if post.layout == "cms" else 1000

    def close() -> None:
        if run:
            parts.append(_rich_text(f"body{len(parts)}", "".join(run)))
            run.clear()

    for block in post.blocks:
        if block.kind == "image" and block.image is not None:
            close()
            parts.append(_image(block))
            continue
        if block.kind == "video" and block.video:
            close()
            parts.append(_video_box(block))
            continue
        run.append(_text_block(block))
        if len(run) >= per_run:
            close()
    close()
    return "".join(parts)


def _share_row(comp: str) -> str:
    links = "".join(
        f'<a href="https://www.{site}.com/sharer?u=" aria-label="Share on {label}" '
        f'target="_blank" class="wixui-share-buttons__button"><span>{label}</span></a>'
        for site, label in (("facebook", "Facebook"), ("x", "X"), ("linkedin", "LinkedIn")))
    return (f'<div id="comp-{comp}" class="comp-{comp} wixui-share-buttons" '
            f'data-testid="wixui_ShareButtons_comp-{comp}"><div class="share-label">Share this '
            f"post</div>{links}</div>")


def _related(site: Site, post: SamplePost, label: bool = False) -> str:
    """The related-posts block; with `label`, its heading is a text element of its own."""
    others = [p for p in site.blog.posts if p.slug != post.slug][:RELATED_POSTS]
    if not others:
        return ""
    cards = "".join(
        f'<article data-hook="post-list-item" class="post-list-item">'
        f'<a href="{site.base}{other.url_path}" data-hook="post-list-item__title">'
        f'<h3 class="blog-post-title-font">{escape(other.title)}</h3></a>'
        f'<p data-hook="post-description">{escape(other.description)}</p>'
        f'<span data-hook="time-ago">{display_date(other.published, site.blog.today)}</span>'
        "</article>" for other in others)
    heading = "" if label else "<h2>Related Posts</h2>"
    block = (f'<div data-hook="related-posts-root" class="related-posts">{heading}'
             f'<a href="{site.base}/blog">See All</a><div data-hook="post-list">{cards}</div>'
             "</div>")
    if label:
        block = _rich_text("relatedlabel", '<h2 class="font_4 wixui-rich-text__text">'
                                           "Related Posts</h2>") + block
    return block


def _section(comp: str, inner: str, background: str = "") -> str:
    return (f'<section id="comp-{comp}" class="comp-{comp} wixui-section" '
            f'data-block-level-container="ClassicSection">{background}<div data-testid="columns" '
            f'class="V5AUxf"><div class="wixui-column-strip__column">{inner}</div></div>'
            "</section>")


def _header_lines(site: Site, post: SamplePost) -> str:
    day = display_date(post.published, site.blog.today)
    minutes = f"{post.reading_minutes} min read"
    p = 'class="font_9 wixui-rich-text__text"'
    if post.layout == "elements":
        if _shape(post, 0):  # one paragraph each, in one text element
            return _rich_text("meta", "".join(f"<p {p}>{escape(part)}</p>"
                                              for part in (post.author, day, minutes)))
        return _rich_text("meta", f"<p {p}>{escape(post.author)} · {day} · {minutes}</p>")
    return (_rich_text("author", f"<p {p}>By {escape(post.author)}</p>")
            + _rich_text("date", f"<p {p}>{day}</p>")
            + _rich_text("readtime", f"<p {p}>{minutes}</p>"))


def _main(site: Site, post: SamplePost) -> str:
    category = ""
    if post.categories:  # every category, as links above the title
        links = " · ".join(f'<a href="{site.base}/blog/categories/{slugify(name)}">'
                           f"{escape(name)}</a>" for name in post.categories)
        category = _rich_text("category", f'<p class="font_9">{links}</p>')
    title = _rich_text("title", f'<h1 class="font_0 wixui-rich-text__text">'
                                f"{escape(post.title)}{_WIX_GUARD}</h1>")
    hero = category + title + _header_lines(site, post)
    # The body's section has a background video on a blog with attachments (site design).
    background = _wix_video("content", "video/a1c0de_sectionbackground/480p/mp4/file.mp4",
                            loop=True) if site.blog.attachments else ""
    content = _section("content", _body(post), background)
    if post.layout == "elements":  # the customisable post page shares above the body
        if _shape(post, 1):
            hero += _rich_text("sharelabel", '<p class="font_8">Share this post:</p>')
        hero += _share_row("sharetop")
        return (_section("hero", hero) + content
                + _section("related", _related(site, post)))
    newsletter = _rich_text("newsletter", '<h2 class="font_2">Join our mailing list</h2>'
                                          '<p class="font_8">Never miss an update</p>')
    return (_section("hero", hero) + content
            + _section("share", _share_row("share"))
            + _section("related", _related(site, post, label=_shape(post, 1)))
            + _section("subscribe", newsletter + '<form><input type="email"/>'
                                                 "<button>Subscribe</button></form>"))


def _meta(site: Site, post: SamplePost, url: str) -> list[str]:
    published, modified = js_date(post, post.published), js_date(post, post.modified)
    item_page = post.layout == "cms" and _shape(post, 2)
    props = [("og:title", post.title), ("og:description", post.description), ("og:url", url),
             ("og:site_name", site.blog.site_name),
             ("og:type", "website" if item_page else "article"),
             ("article:published_time", published), ("article:modified_time", modified)]
    if post.cover:
        props.append(("og:image", post.cover_url or ""))
    ld = {"@context": "https://schema.org", "@type": "BlogPosting",
          "headline": escape(post.title), "author": {"@type": "Person",
                                                     "name": escape(post.author)},
          "datePublished": published, "dateModified": modified,
          "mainEntityOfPage": {"@id": url, "@type": "itemPage", "url": url}, "url": url,
          "publisher": {"@type": "Organization", "name": escape(site.blog.site_name)}}
    data: list[dict] = [ld]
    if item_page:  # a CMS page's SEO: the page, with the post as its main entity
        data = [{"@context": "https://schema.org", "@type": "ItemPage", "url": url,
                 "mainEntity": ld}]
    if post.layout == "cms" and _shape(post, 3):  # a stale second copy, pasted by hand
        data.append(dict(ld, dateModified=js_date(post, post.published - timedelta(days=30))))
    scripts = [f'<script type="application/ld+json">'
               f"{json.dumps(item, ensure_ascii=False, separators=(',', ':'))}</script>"
               for item in data]
    return [*og_meta(props), *scripts]


def element_post_page(site: Site, post: SamplePost) -> str:
    url = site.base + post.url_path
    html_head = head(site, title=post.title, layout="new", canonical=url,
                     meta=_meta(site, post, url), page_url=url)
    page_id = "itm" + stable_uuid("page", post.layout)[:4]
    return document(site, head_html=html_head, layout="new", page_id=page_id, current="/blog",
                    content=_main(site, post))


def _other_posts(site: Site, post: SamplePost) -> str:
    """Cards of other posts (cover, linked title, excerpt, date) with no blog-app hooks."""
    others = [p for p in site.blog.posts if p.slug != post.slug][:RELATED_POSTS]
    cards = "".join(
        f'<div class="card"><a href="{site.base}{other.url_path}"><img src="'
        f'{other.cover.placeholder if other.cover else ""}" alt=""/><h3>{escape(other.title)}'
        f'</h3></a><p>{escape(other.description)}</p>'
        f"<span>{display_date(other.published, site.blog.today)}</span></div>"
        for other in others)
    return f'<div class="more-posts"><h2>Keep reading</h2><div class="cards">{cards}</div></div>'


def unknown_post_page(site: Site, post: SamplePost) -> str:
    """A post in a layout no extractor knows: its head says "a post" (og:type article, one
    BlogPosting), its text sits in plain paragraphs with no Wix element or blog-app markup,
    above cards of other posts with none either."""
    url = site.base + post.url_path
    ld = {"@context": "https://schema.org", "@type": "BlogPosting",
          "headline": escape(post.title), "author": {"@type": "Person", "name": post.author},
          "datePublished": iso(post.published), "dateModified": iso(post.modified), "url": url}
    meta = [*og_meta([("og:title", post.title), ("og:url", url), ("og:type", "article"),
                      ("article:published_time", iso(post.published))]),
            f'<script type="application/ld+json">{json.dumps(ld)}</script>']
    paragraphs = "".join(f"<p>{escape(block.text)}</p>" for block in post.blocks
                         if block.kind == "paragraph" and block.text)
    content = _section("custom", f'<div class="custom-post"><h1>{escape(post.title)}</h1>'
                                 f"{paragraphs}</div>{_other_posts(site, post)}")
    html_head = head(site, title=post.title, layout="new", canonical=url, meta=meta, page_url=url)
    return document(site, head_html=html_head, layout="new", page_id="unk0x", current="/blog",
                    content=content)

"""The public entry point: one page's HTML in, one `Article` out, never an exception."""

from __future__ import annotations

from lxml import etree

from crawler.clean.html import sanitize_html
from crawler.extract.attachments import (
    MEDIA_NOT_IN_HTML,
    find_attachments,
    media_not_in_html,
    media_warning,
)
from crawler.extract.body import extract_body, find_body, find_post_scope
from crawler.extract.elements import fill_element_post, fill_unlocated_body
from crawler.extract.fallback import extract_with_trafilatura
from crawler.extract.limits import cap_input, fallback_region
from crawler.extract.metadata import (
    clean_space,
    count_blog_postings,
    extract_metadata,
    read_head,
    read_postings,
)
from crawler.extract.page import BadInput, classify, parse
from crawler.extract.record import Article
from crawler.extract.warmup import complete_from_document, find_rich_content, rich_content_html


def extract_article(
    html: str | bytes, url: str | None = None, *, content_type: str | None = None
) -> Article:
    """Extract one page. Problems are reported in `article.warnings`, not raised.

    `page_kind` says what the page is; only "post" pages carry a Wix post body. A non-Wix page
    that trafilatura recognises as an article gets its body from trafilatura (kind "not-wix").
    """
    try:
        return _extract(html, url, content_type)
    except Exception as exc:  # last resort: one bad page must never stop a crawl
        return Article(
            url=url or "",
            page_kind="error",
            warnings=[f"extraction failed: {type(exc).__name__}: {exc}"],
        )


def _extract(html: str | bytes, url: str | None, content_type: str | None) -> Article:
    if html is None or not isinstance(html, str | bytes | bytearray | memoryview):
        return Article(url=url or "", page_kind="error", warnings=["no HTML given"])
    cuts: list[str] = []
    html = cap_input(html, cuts)
    try:
        page = parse(bytes(html) if not isinstance(html, str) else html, content_type)
    except BadInput as exc:
        return Article(url=url or "", page_kind="error", warnings=[*cuts, str(exc)])
    warnings = cuts + page.warnings
    root = page.root
    # Only post pages have article[data-hook=post] (cards are post-list-item/recent-post-…).
    scope = find_post_scope(root)
    body_el = find_body(scope) if scope is not None else None
    head = read_head(root)
    postings = read_postings(head.json_ld, warnings)
    kind = classify(root, scope, url, head, count_blog_postings(postings, warnings),
                    bound=postings.bound)
    if kind != "post":
        scope = body_el = None  # e.g. a blog home showing a post inline: its header is not ours
    meta = extract_metadata(head, scope, url, warnings, postings)
    og_type = meta.pop("og_type")
    article = Article(url=meta.pop("url") or "", page_kind=kind, warnings=warnings, **meta)

    if kind == "post":
        if scope is None:  # a post by its own metadata, without the blog app's article
            titles = (head.meta.get("og:title") or "", head.title or "")
            fill_element_post(article, root, url or article.canonical_url, titles)
        elif body_el is None:
            fill_unlocated_body(article, scope, url or article.canonical_url)
        else:
            warnings.extend(complete_from_document(body_el, html))
            _fill_body(article, body_el, url or article.canonical_url)
        if scope is not None and not (article.body_text.strip() or article.images
                                      or article.attachments):
            _fill_from_warmup(article, html, url or article.canonical_url)
        if og_type and og_type != "article" and not postings.bound:
            warnings.append(f"post body found but og:type is {og_type!r}: generic head")
        if article.published is None:
            warnings.append("no published date in meta or JSON-LD")
    elif kind == "not-wix":
        _fill_fallback(article, root, url)
    else:
        warnings.append(f"not a post page ({kind}): no body extracted")
    if kind in ("post", "not-wix") and not article.title:
        warnings.append("no title found")
    return article


def _fill_body(article: Article, body_el: etree._Element, base: str | None) -> None:
    article.attachments = find_attachments(body_el, base)  # before the walk detaches lists
    missing = media_not_in_html(body_el)
    body = extract_body(body_el, base)
    article.body_text = body.text
    article.body_html = sanitize_html(body.html)
    article.body_markdown = body.markdown
    article.images = body.images
    article.warnings.extend(body.warnings)
    if missing:
        article.warnings.append(media_warning(missing))
    if not body.blocks:
        article.warnings.append("empty post body")


def _fill_from_warmup(article: Article, html: str | bytes, base: str | None) -> None:
    """A blog-app post whose HTML shows no body text: the body from the post's Ricos document in
    the page's warmup data, when the page carries it (crawler/extract/warmup.py)."""
    raw = html.encode("utf-8", "replace") if isinstance(html, str) else bytes(html)
    content = find_rich_content(raw)
    if content is None:
        return
    body = extract_body(rich_content_html(content), base)
    if not body.blocks:
        return
    article.body_text = body.text
    article.body_html = sanitize_html(body.html)
    article.body_markdown = body.markdown
    article.images = body.images
    # Both said what the HTML's body lacked; the body now comes from elsewhere.
    article.warnings[:] = [w for w in article.warnings
                           if w != "empty post body" and MEDIA_NOT_IN_HTML not in w]
    article.warnings.append("post body read from the page's embedded post data (warmup data): "
                            "its HTML shows none")


def _fill_fallback(article: Article, root: etree._Element, url: str | None) -> None:
    result = extract_with_trafilatura(fallback_region(root, article.warnings), url)
    if not result.blocks:
        article.warnings.append("not a Wix page and no article found by trafilatura")
        return
    article.warnings.append("not a Wix page: body extracted by the trafilatura fallback")
    article.body_text = "\n\n".join(result.blocks)
    article.body_html = sanitize_html(result.html)
    article.body_markdown = result.markdown
    # Head metadata read by us stays; trafilatura only fills the gaps.
    for key, value in result.meta.items():
        if value and not getattr(article, key):
            setattr(article, key, clean_space(value) if isinstance(value, str) else value)

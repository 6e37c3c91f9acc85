"""Element-built variants of the real corpus, measured like the real pages.

    .venv/bin/python benchmarks/element_layouts.py [CORPUS_DIR] [--pages] [--json]
    .venv/bin/python benchmarks/element_layouts.py --without-json-ld [--pages]
    .venv/bin/python benchmarks/element_layouts.py --sample [--pages] [--json]

`--sample` scores the sample site's own element-built posts instead (SampleBlog(seed=5,
post_count=40): its `elements` and `cms` posts in every shape the fixtures render).

Each real post page of CORPUS_DIR (default $WIXARCHIVE_CORPUS, else ../shared/realworld; absent: an
error, exit 3) is rewritten the way Wix's customisable post page and CMS item pages are built: the
blog app's article becomes editor elements (a category link and the title h1 in rich-text elements,
an "author · date · N min read" line, a share-buttons row, the body as runs of
`data-testid="richTextElement"`), Recent Posts become a related-posts block, and the head states one
JSON-LD BlogPosting with JavaScript `Date.toString()` dates. Everything else (the site's real
header, footer, menus, site-wide text elements and sections) stays as served, so chrome leaks are
measured against real chrome. Each post is rebuilt in two shapes: "elements" (the customisable post
page: header on one line, four paragraphs per text element) and "cms" (a CMS item page as Wix writes
its SEO: og:type "website" and the posting as an `ItemPage`'s mainEntity; one paragraph per text
element; the header one paragraph each; labels in their own text elements above the share row and
the related posts; Wix's zero-width wixGuard spaces in the title). `--without-json-ld` rebuilds the
"elements" shape with no JSON-LD at all (og:type "article" and the article:* meta tags only, as some
pages are served): a post by its og:type alone, whose header's author line no metadata names. Its
visible date is the variant's fixed one and no metadata names the author, so only the body figures
(F1, chrome) are meaningful there.
The derived pages go to a temporary directory (never into git) and benchmarks/extraction.py
scores them: ours vs trafilatura vs readability, body F1, metadata, speed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import datetime
from html import escape
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import extraction  # noqa: E402

from benchmarks.corpus import corpus_missing  # noqa: E402
from crawler.extract.page import parse  # noqa: E402

RUN = 4  # body paragraphs per rich-text element ("elements" shape; "cms" has one each)
SHAPES = ("elements", "cms")
WIX_GUARD = '<span class="wixGuard">\u200b</span>'


def js_date(iso: str) -> str:
    moment = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")
    return moment.strftime("%a %b %d %Y %H:%M:%S") + " GMT+0000 (Coordinated Universal Time)"


def _rich_text(inner: str) -> str:
    return f'<div data-testid="richTextElement" class="wixui-rich-text">{inner}</div>'


def element_variant(raw: bytes, truth: dict, shape: str = "elements", json_ld: bool = True,
                    ) -> tuple[bytes, dict] | None:
    """The page rebuilt in an element-built shape and its truth; None without a blog article."""
    root = parse(raw).root
    article = root.find('.//article[@data-hook="post"]')
    head = root.find("head")
    if article is None or head is None:
        return None
    body = truth["body"]
    minutes = truth.get("reading_minutes")
    cms = shape == "cms"
    header = [part for part in (truth.get("author"), "Jul 24, 2024",
                                f"{minutes} min read" if minutes else None) if part]
    lines = header if cms else [" · ".join(header)]
    guard = WIX_GUARD if cms else ""
    parts = [_rich_text('<p class="font_9"><a href="/blog/categories/news">News</a></p>'),
             _rich_text(f'<h1 class="font_0">{escape(truth["title"])}{guard}</h1>'),
             _rich_text("".join(f'<p class="font_9">{escape(line)}</p>' for line in lines))]
    if cms:
        parts.append(_rich_text('<p class="font_8">Share this post:</p>'))
    parts.append('<div data-testid="wixui_ShareButtons_comp-share"><a>Share on Facebook</a>'
                 "</div>")
    run = 1 if cms else RUN
    for start in range(0, len(body), run):
        parts.append(_rich_text("".join(f'<p class="font_8">{escape(text)}</p>'
                                        for text in body[start:start + run])))
    if cms:
        parts.append(_rich_text('<h2 class="font_4">Related Posts</h2>'))
    parts.append(f'<div data-hook="related-posts-root">{"" if cms else "<h2>Related Posts</h2>"}'
                 '<article data-hook="post-list-item"><h3>Another post</h3><p>An excerpt.</p>'
                 "</article></div>")
    built = etree.fromstring(f"<div>{''.join(parts)}</div>", etree.HTMLParser())
    article.getparent().replace(article, built.find(".//body/div"))
    for recent in root.xpath('//*[@data-hook="recent-posts"]'):
        recent.getparent().remove(recent)
    for old in head.xpath('script[@type="application/ld+json"]'):
        head.remove(old)
    posting = {"@context": "https://schema.org", "@type": "BlogPosting",
               "headline": truth["title"],
               "author": {"@type": "Person", "name": truth.get("author") or ""},
               "datePublished": js_date(truth["published"]),
               "dateModified": js_date(truth["modified"]),
               "mainEntityOfPage": {"@type": "itemPage"}}
    data = {"@context": "https://schema.org", "@type": "ItemPage", "mainEntity": posting} \
        if cms else posting
    if json_ld:
        etree.SubElement(head, "script", type="application/ld+json").text = json.dumps(data)
    if cms:  # Wix leaves a CMS page's og:type at "website"
        for meta in head.xpath('meta[@property="og:type"]'):
            meta.set("content", "website")
    for key, field in (("article:published_time", "published"),
                       ("article:modified_time", "modified")):
        for meta in head.xpath(f'meta[@property="{key}"]'):
            meta.set("content", js_date(truth[field]))
    # JavaScript dates have no milliseconds.
    expected = dict(truth, published=truth["published"][:19] + ".000Z",
                    modified=truth["modified"][:19] + ".000Z")
    return etree.tostring(root, encoding="utf-8", method="html"), expected


def derive(corpus: Path, out: Path, shapes: tuple[str, ...] = SHAPES,
           json_ld: bool = True) -> int:
    (out / "html").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    count = 0
    for truth_file in sorted((corpus / "truth").glob("*.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        raw = (corpus / "html" / truth["file"]).read_bytes()
        for shape in shapes:
            variant = element_variant(raw, truth, shape, json_ld)
            if variant is None:
                continue
            html, expected = variant
            name = f"{shape}__{truth['file']}"
            (out / "html" / name).write_bytes(html)
            expected["file"] = name
            (out / "truth" / f"{shape}__{truth_file.stem}.json").write_text(
                json.dumps(expected, ensure_ascii=False), encoding="utf-8")
            count += 1
    return count


def derive_sample(out: Path) -> int:
    from crawler.sample_site import SampleBlog
    from crawler.sample_site.chrome import Site
    from crawler.sample_site.render import post_page

    (out / "html").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    blog = SampleBlog(seed=5, post_count=40)
    site = Site(blog, "http://127.0.0.1:9")
    count = 0
    for post in blog.posts:
        if post.layout not in SHAPES:
            continue
        expected, name = post.expected(), f"{post.layout}__{post.slug}"
        (out / "html" / f"{name}.html").write_text(post_page(site, post), encoding="utf-8")
        truth = {key: expected[key] for key in ("title", "author", "published", "modified",
                                                "reading_minutes")}
        truth.update(file=f"{name}.html", body=expected["body_text"].split("\n\n"))
        (out / "truth" / f"{name}.json").write_text(json.dumps(truth, ensure_ascii=False),
                                                    encoding="utf-8")
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=extraction.DEFAULT_CORPUS,
                        help="the real corpus (default $WIXARCHIVE_CORPUS, else "
                             "../shared/realworld)")
    parser.add_argument("--sample", action="store_true",
                        help="the sample site's element-built posts instead of the corpus")
    parser.add_argument("--without-json-ld", action="store_true",
                        help='the "elements" shape with no JSON-LD')
    parser.add_argument("--pages", action="store_true", help="per-page table")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    scoring = [*(["--pages"] if args.pages else []), *(["--json"] if args.json else [])]
    if args.sample:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{derive_sample(Path(tmp))} element-built posts of the sample site")
            return extraction.main([tmp, *scoring])
    if not (args.corpus / "truth").is_dir() or not (args.corpus / "html").is_dir():
        return corpus_missing(args.corpus, "html/ and truth/")
    json_ld = not args.without_json_ld
    shapes = SHAPES if json_ld else ("elements",)
    with tempfile.TemporaryDirectory() as tmp:
        count = derive(args.corpus, Path(tmp), shapes, json_ld)
        print(f"{count} element-built variants ({', '.join(shapes)}"
              f"{'' if json_ld else ', no JSON-LD'}) of the real posts in {args.corpus}")
        return extraction.main([tmp, *scoring])


if __name__ == "__main__":
    sys.exit(main())

"""`wixarchive extract`: one page (file, stdin or URL) -> the extracted Article.

Light on purpose: urllib + the lxml extractor only, never Scrapy/Twisted/Datasette.
"""

from __future__ import annotations

import json

import click

from archive.cli.common import fail, read_input
from archive.iri import display_url, uri, uri_fields
from crawler.extract import extract_article
from crawler.extract.limits import MAX_INPUT_BYTES
from crawler.extract.page import NO_MARKUP
from crawler.extract.record import Article

FETCH_TIMEOUT = 20  # seconds
MAX_FETCH = MAX_INPUT_BYTES + 1  # the extractor reads no more (and says so when cut)
USER_AGENT = "wixarchive-extract (+https://github.com/wixarchive)"


def _fetch(url: str) -> tuple[bytes, str | None, str]:
    """GET a page: body bytes, Content-Type header, final URL after redirects. A URL typed
    with non-Latin characters (an IRI) is sent percent-encoded: urllib takes ASCII only."""
    # Imported here: urllib.request brings http.client, ssl and email (~20 ms), which
    # extracting a file or stdin does not need.
    import urllib.error
    import urllib.request

    try:
        request = urllib.request.Request(uri(url), headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
            return (
                response.read(MAX_FETCH + 1),
                response.headers.get("Content-Type"),
                response.geturl(),
            )
    except urllib.error.HTTPError as exc:
        exc.close()  # the error carries the open response
        fail(f"HTTP {exc.code} {exc.reason} for {display_url(url)}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        fail(f"cannot fetch {display_url(url)}: {reason}")
    raise AssertionError("unreachable")


def render_text(article: Article) -> str:
    """A readable rendering: a short header block, then the body paragraphs."""
    lines = [article.title or "(no title)"]
    facts = [
        ("Author", article.author),
        ("Published", article.published),
        # The labels `wixarchive show` uses for the same fields.
        ("Updated", article.modified if article.modified != article.published else None),
        ("Reading time", f"{article.reading_minutes} min" if article.reading_minutes else None),
        ("Kind", article.page_kind),
        ("URL", display_url(article.url) if article.url else None),
        ("Language", article.language),
        ("Categories", ", ".join(article.categories) or None),
        ("Tags", ", ".join(article.tags) or None),
        ("Images", str(len(article.images)) if article.images else None),
    ]
    lines += [f"{label}: {value}" for label, value in facts if value]
    lines += [f"Warning: {warning}" for warning in article.warnings]
    if article.body_text:
        lines += ["", article.body_text]
    return "\n".join(lines)


@click.argument("source", metavar="FILE_OR_URL")
@click.option(
    "--url", help="The page's URL when reading a file or stdin (resolves relative links)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the Article as JSON.")
def extract(source: str, url: str | None, as_json: bool) -> None:
    """Extract the article from one Wix page: a file, '-' for stdin, or an http(s) URL.

    Exits 1 with one Error line when the input is no page to read (a feed, a sitemap, a text
    file, binary data) or is an error page ("Page Not Found"); a listing, category or other page
    without a post is a valid page and prints its record.

    \b
    Example:
        wixarchive extract page.html --url https://www.example.com/post/hello --json
        curl -s https://www.example.com/post/hello | wixarchive extract -
    """
    content_type = None
    name = "stdin" if source == "-" else source
    fetched = source.startswith(("http://", "https://"))
    if fetched:
        data, content_type, final_url = _fetch(source)
        url = url or final_url
    else:
        data = read_input(source, MAX_FETCH)
    article = extract_article(data, url, content_type=content_type)
    if article.page_kind == "error":
        # The record of an input that is no page is empty: say why on stderr, and exit 1 so a
        # script does not take it for an extracted page.
        if article.title:  # a page that parsed: the site's error page
            fail(f"{name} is an error page ({article.title!r}), not a post")
        problem = article.warnings[-1] if article.warnings else "no readable page"
        if problem == NO_MARKUP and not fetched:  # the page module's check, said for a file
            fail(f"{name} holds no HTML tag: a text dump of a page? `wixarchive clean {source}` "
                 "reads those")
        fail(f"{name}: {problem}")
    if as_json:
        click.echo(json.dumps(uri_fields(article.to_dict()), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(article))


command = click.command("extract")(extract)

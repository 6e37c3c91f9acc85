"""The <img> tags of HTML, and the alt text a post's body gives its images. The archive keeps
no alt column: the body's <img alt> (crawler.extract.body writes each image's alt there, its src
the image's full-size URL, as in the post's `images`) is where it is; the article page and the
WXR export read it. And a body whose every <img> shows an archived copy, any other a link
(archived_images_only): the article page and the HTML export. Standard library and
archive.export only: no Scrapy, no Datasette."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import urljoin

from archive.export import full_size
from archive.sanitize import IMAGE_SCHEMES, safe_url


class ImageTags(HTMLParser):
    """The <img> tags of an HTML fragment: where each starts, its text and its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # Each <img>: where it starts, its tag's text, its attributes and whether it stands
        # inside a link (a linked image), where no other link may go.
        self.found: list[tuple[tuple[int, int], str, list[tuple[str, str | None]], bool]] = []
        self.open_links = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.found.append((self.getpos(), self.get_starttag_text() or "", attrs,
                               self.open_links > 0))
        elif tag == "a":
            self.open_links += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.open_links:
            self.open_links -= 1


def body_images(body_html: str) -> dict[str, str]:
    """Each image the HTML body shows, by its full-size URL (its <img src>, a resized Wix
    copy made full-size) -> its alt text, whitespace collapsed ("" for an image without one)."""
    parser = ImageTags()
    parser.feed(body_html or "")
    parser.close()
    alts: dict[str, str] = {}
    for _, _, attrs, _ in parser.found:
        values = {name: value or "" for name, value in attrs}
        if not values.get("src"):
            continue
        url = full_size(values["src"])
        # An image shown twice keeps the first alt text it has.
        if not alts.get(url):
            alts[url] = " ".join(values.get("alt", "").split())
    return alts


def archived_images_only(fragment: str, local: dict[str, str], page_url: str) -> str:
    """Sanitized HTML whose every <img> shows a copy served from the archive: an image
    archived (a key of `local`) points at its copy, and any other becomes a plain link to its
    URL (resolved against the post's URL), so a page never loads an image from the site."""
    parser = ImageTags()
    parser.feed(fragment)
    parser.close()
    if not parser.found:
        return fragment
    # getpos() is (line, column), lines counted by "\n" only (as html.parser counts them).
    line_starts = [0] + [i + 1 for i, char in enumerate(fragment) if char == "\n"]
    served = set(local.values())
    out, last = [], 0
    for (line, column), text, attrs, in_link in parser.found:
        start = line_starts[line - 1] + column
        values = {name: value or "" for name, value in attrs}
        src = local.get(values.get("src", ""), values.get("src", ""))
        out.append(fragment[last:start])
        if src in served:
            out.append("<img" + "".join(
                f' {name}="{html.escape(src if name == "src" else value)}"'
                for name, value in values.items()) + ">")
        else:
            out.append(_not_archived(src, values.get("alt", ""), page_url, in_link))
        last = start + len(text)
    out.append(fragment[last:])
    return "".join(out)


def _not_archived(src: str, alt: str, page_url: str, in_link: bool = False) -> str:
    """An image not archived, named; a link to its URL unless it stands in the post's own link
    (a linked image), which a link inside would break (a browser closes the outer one)."""
    label = html.escape(f"Image: {alt} (not archived)" if alt.strip() else "Image (not archived)")
    href = safe_url(urljoin(page_url, src), IMAGE_SCHEMES) if src else None
    if not href or in_link:
        return f"<span class=\"wxa-unarchived\">{label}</span>"
    return (f'<a class="wxa-unarchived" href="{html.escape(href)}" '
            f'rel="noopener noreferrer nofollow">{label}</a>')

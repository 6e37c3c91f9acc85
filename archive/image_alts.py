"""The <img> tags of HTML, and the alt text a post's body gives its images. The archive keeps
no alt column: the body's <img alt> (crawler.extract.body writes each image's alt there, its src
the image's full-size URL, as in the post's `images`) is where it is; the article page and the
WXR export read it. Standard library and archive.export only: no Scrapy, no Datasette."""

from __future__ import annotations

from html.parser import HTMLParser

from archive.export import full_size


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

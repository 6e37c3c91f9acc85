"""The alt text a post's body gives its images. The archive keeps no alt column: the body's
<img alt> (crawler.extract.body writes each image's alt there, its src the image's full-size
URL, as in the post's `images`) is where it is; the article page and the WXR export read it."""

from __future__ import annotations

from html.parser import HTMLParser


class _BodyImages(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.alts: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag != "img" or not values.get("src"):
            return
        alt = " ".join(values.get("alt", "").split())
        # An image shown twice keeps the first alt text it has.
        if not self.alts.get(values["src"]):
            self.alts[values["src"]] = alt


def body_images(body_html: str) -> dict[str, str]:
    """Each image URL the HTML body shows (its <img src>) -> its alt text, whitespace
    collapsed ("" for an image without one)."""
    parser = _BodyImages()
    parser.feed(body_html or "")
    parser.close()
    return parser.alts

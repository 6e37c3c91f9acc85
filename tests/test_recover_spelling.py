"""Which spelling of a site `recover` archives it under when the archive does not hold it:
the one most of its post captures have (archive.recover.captured_spelling). The CDX server
lists captures as they were made: http or https, `www.` or not, a default port spelled out."""

from __future__ import annotations

from archive.recover import captured_spelling
from crawler.wayback import Row


def row(url: str, status: int = 200) -> Row:
    return Row(url, "20200101000000", status, "text/html", "digest")


def test_the_spelling_most_post_pages_were_captured_at_wins():
    """Pages count before 404s, and `:443` spelled out is the same spelling."""
    rows = [row("https://www.fenicio.es:443/post/a"), row("https://www.fenicio.es:443/post/b"),
            row("https://www.fenicio.es/post/c"), row("https://fenicio.es/post/d"),
            row("https://fenicio.es/post/e"), row("https://fenicio.es/post/c", 404),
            row("https://fenicio.es/post/f", 404)]
    assert captured_spelling("https://fenicio.es/", rows) == "https://www.fenicio.es/"
    assert captured_spelling("https://fenicio.es/", [row("http://www.fenicio.es:80/post/a")]) \
        == "http://www.fenicio.es/"


def test_a_tie_goes_to_the_spelling_given_then_its_host_then_its_scheme():
    given = "https://www.counsel.example/"
    assert captured_spelling(given, [row("https://counsel.example/post/a"),
                                     row("https://www.counsel.example/post/b")]) == given
    assert captured_spelling(given, [row("http://counsel.example/post/a"),
                                     row("http://www.counsel.example/post/b")]) == \
        "http://www.counsel.example/"


def test_a_free_plan_site_keeps_its_path_and_no_capture_keeps_the_site_given():
    assert captured_spelling("https://jane.wixsite.com/studio/",
                             [row("http://jane.wixsite.com/studio/post/a")]) == \
        "http://jane.wixsite.com/studio/"
    assert captured_spelling("https://fenicio.es/", []) == "https://fenicio.es/"
    # Only 404s: they still say where the blog was.
    assert captured_spelling("https://fenicio.es/",
                             [row("https://www.fenicio.es/post/a", 404)]) == \
        "https://www.fenicio.es/"

"""The Wayback client's pure parts: CDX listings as the Internet Archive documents them
(https://github.com/internetarchive/wayback/tree/master/wayback-cdx-server) and as pywb writes
them, collapsing, and the archived headers of an `id_` replay. (The client against a real
pywb: tests/test_recover.py.)"""

from __future__ import annotations

import json

import pytest

from crawler import wayback

# The README's own example of `output=json&limit=5&showResumeKey=true`.
IA_PAGE = [
    ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
    ["org,archive)/", "19970126045828", "http://www.archive.org:80/", "text/html", "200",
     "Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY", "1415"],
    ["org,archive)/", "19971011050034", "http://www.archive.org:80/", "text/html", "200",
     "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3", "1402"],
    [],
    ["org%2Carchive%29%2F+19980109140106%21"],
]


def answer(body: str, kind: str = "text/plain", status: int = 200) -> wayback.Answer:
    return wayback.Answer(status, [("Content-Type", kind)], body.encode(), "http://x/cdx")


def test_the_ia_json_listing_and_its_resumption_key():
    rows, resume = wayback._parse(answer(json.dumps(IA_PAGE)), "http://x/cdx")
    assert resume == "org%2Carchive%29%2F+19980109140106%21"
    assert rows == [
        wayback.Row("http://www.archive.org:80/", "19970126045828", 200, "text/html",
                    "Q4YULN754FHV2U6Q5JUT6Q2P57WEWNNY"),
        wayback.Row("http://www.archive.org:80/", "19971011050034", 200, "text/html",
                    "XAHDNHZ5P3GSSSNJ3DMEOJF7BMCCPZR3")]
    last, resume = wayback._parse(answer(json.dumps(IA_PAGE[:2])), "http://x/cdx")
    assert resume is None and len(last) == 1
    assert wayback._parse(answer(""), "http://x/cdx") == ([], None)  # nothing captured
    # A revisit's status is "-" in the IA's CDX.
    revisit = [IA_PAGE[0], ["k", "2020", "http://a/", "warc/revisit", "-", "D", "1"]]
    assert wayback._parse(answer(json.dumps(revisit)), "x")[0][0].status is None


def test_pywb_json_lines():
    line = {"urlkey": "k", "timestamp": "20261203224835", "url": "http://a/post/x",
            "mime": "text/html", "status": "404", "digest": "D"}
    rows, resume = wayback._parse(answer(json.dumps(line) + "\n", "text/x-ndjson"), "x")
    assert rows == [wayback.Row("http://a/post/x", "20261203224835", 404, "text/html", "D")]
    assert resume is None


def test_rows_whose_url_does_not_parse_are_left_out():
    """The IA's CDX holds what clients once asked for: "http://[bad" would stop a recover."""
    page = [IA_PAGE[0], ["k", "2020", "http://[bad/post/x", "text/html", "200", "D", "1"],
            ["k", "2021", "http://a/post/x", "text/html", "200", "E", "1"]]
    rows, _ = wayback._parse(answer(json.dumps(page)), "x")
    assert [row.url for row in rows] == ["http://a/post/x"]


@pytest.mark.parametrize("body,kind,said", [
    ("<!doctype html><title>Maintenance</title>", "text/html", "answered an HTML page"),
    ("<html>", "text/plain", "answered an HTML page"),
    ("Service busy", "text/plain", "not a CDX listing"),
])
def test_what_is_not_a_listing_is_one_clear_error(body: str, kind: str, said: str):
    with pytest.raises(wayback.WaybackError, match=said):
        wayback._parse(answer(body, kind), "http://x/cdx")


def test_collapse_keeps_each_change_of_digest_in_time_order():
    rows = [wayback.Row("u", "3", 200, "text/html", "A"),
            wayback.Row("u", "1", 200, "text/html", "A"),
            wayback.Row("u", "2", 200, "text/html", "A"),
            wayback.Row("u", "4", 200, "text/html", "B"),
            wayback.Row("u", "5", 200, "text/html", "A"),
            wayback.Row("v", "2", 200, "text/html", "A"),
            wayback.Row("v", "7", 200, "text/html", "A"),
            wayback.Row("v", "6", 200, "text/html", "A")]
    # v's newest capture is kept though unchanged: when the web archive last saw the page.
    assert [(r.url, r.timestamp) for r in wayback.collapse(rows)] == [
        ("u", "1"), ("v", "2"), ("u", "4"), ("u", "5"), ("v", "7")]


def test_the_archived_headers_of_a_raw_replay():
    headers = [("X-Archive-Orig-Server", "Pepyaka"), ("X-Archive-Orig-Content-Length", "9"),
               ("X-Archive-Orig-ETag", 'W/"1"'), ("Content-Type", "text/html; charset=utf-8"),
               ("Content-Length", "14075"), ("Memento-Datetime", "Thu, 03 Dec 2026 22:48:35 GMT"),
               ("Link", "<http://a/>; rel=original")]
    assert wayback._archived_headers(headers) == [
        ("Server", "Pepyaka"), ("ETag", 'W/"1"'), ("Content-Type", "text/html; charset=utf-8")]


def test_retry_after_and_endpoints():
    assert wayback._retry_after("7") == 7.0
    assert wayback._retry_after("Thu, 01 Jan 2000 00:00:00 GMT") == 0.0
    assert wayback._retry_after("soon") is None
    assert wayback.cdx_for("https://web.archive.org/web/") == wayback.IA_CDX
    assert wayback.cdx_for("http://127.0.0.1:8080/coll/") == "http://127.0.0.1:8080/coll/cdx"
    assert wayback._original_of("http://h/coll/", "http://h/coll/20200101000000id_/http://a/b") \
        == ("20200101000000", "http://a/b")
    assert wayback._original_of("http://h/coll/", "http://parking.example/") is None


def test_a_sites_captures_are_asked_for_and_archived_under_the_address_given():
    from archive.recover import _Site

    site = _Site("https://www.example.com")
    assert site.cdx_url("post/") == "www.example.com/post/"
    # The IA lists captures under the URL crawled: http, :80, with or without www.
    assert site.owns("http://example.com:80/post/hello")
    assert site.canonical("http://example.com:80/post/hello?lang=fr") == \
        "https://www.example.com/post/hello?lang=fr"
    assert not site.owns("https://other.com/post/hello")
    free = _Site("https://jane.wixsite.com/studio")
    assert free.cdx_url("post/") == "jane.wixsite.com/studio/post/"
    assert free.owns("http://jane.wixsite.com/studio/post/hello")
    assert not free.owns("https://jane.wixsite.com/other/post/hello")


def test_the_path_words_a_renamed_post_prefix_may_be():
    """recover probes a site's pages one per path word; which pages have one."""
    from archive.recover import _Site

    site = _Site("https://www.example.com")
    assert site.path_word("http://example.com/journal/hello-world") == "journal"
    assert site.path_word("https://www.example.com/articles/hello/") == "articles"
    # The old Wix blog's dated post URLs.
    assert site.path_word("http://example.com/single-post/2016/05/10/hello") == "single-post"
    # A multilingual site's translations, under their language's path.
    assert site.path_word("https://www.example.com/es/post/hola") == "es/post"
    assert site.path_word("https://www.example.com/pt-br/artigos/ola") == "pt-br/artigos"
    assert site.path_word("https://www.example.com/es/sobre") == "es"  # a page, probed once
    for url in ("https://www.example.com/post/hello",  # listed apart, never probed
                "https://www.example.com/about",  # one word: a page of the site
                "https://www.example.com/blog/categories/news",  # a listing
                "https://www.example.com/blog/page/2",
                "https://www.example.com/profile/ann/profile",
                "https://other.com/journal/hello"):
        assert site.path_word(url) is None, url
    free = _Site("https://jane.wixsite.com/studio")
    assert free.path_word("http://jane.wixsite.com/studio/journal/hello") == "journal"
    assert free.path_word("http://jane.wixsite.com/studio/about") is None

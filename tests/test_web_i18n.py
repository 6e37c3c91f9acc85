"""The Datasette pages for a multilingual archive: a right-to-left post reads right to left
(its `lang` and `dir` on the article, its title and body), search box and snippets find their
own direction, and URLs with a non-Latin slug read decoded while their links stay as archived."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from intl import AR_TITLE, AR_URL, JA_IRI, JA_URL, PLAIN_URL, build_intl_archive
from test_web import Client

from archive.store import Archive

pytest.importorskip("datasette")

from archive.cli.serve import make_datasette


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_intl_archive(tmp_path_factory.mktemp("intl") / "intl.db")


@pytest.fixture
def client(db: Path) -> Iterator[Client]:
    c = Client(make_datasette(db))
    yield c
    c.close()


def page(client: Client, db: Path, url: str) -> lxml.html.HtmlElement:
    with Archive.open(db, readonly=True) as archive:
        post = archive.post(url)
    assert post is not None
    response = client.get(f"/intl/-/post/{post['id']}")
    assert response.status_code == 200
    return lxml.html.fromstring(response.text)


def test_an_arabic_post_is_marked_right_to_left_on_its_article_title_and_body(
        client: Client, db: Path) -> None:
    html = page(client, db, AR_URL)
    article = html.find(".//article")
    title = article.find("h1")
    body = article.find_class("wxa-body")[0]
    for element in (article, title, body):
        assert (element.get("lang"), element.get("dir")) == ("ar", "rtl"), element.tag
    assert title.text_content() == AR_TITLE
    # The page's own English labels around the post stay left to right.
    for ui in article.find_class("wxa-ui"):
        assert (ui.get("lang"), ui.get("dir")) == ("en", "ltr")
    assert article.find_class("wxa-meta")[0].xpath("ancestor::div[@class='wxa-ui']")


def test_a_post_of_unknown_language_lets_the_browser_find_its_direction(
        client: Client, db: Path) -> None:
    article = page(client, db, PLAIN_URL).find(".//article")
    assert article.get("lang") is None and article.get("dir") == "auto"
    assert article.find("h1").get("dir") == "auto"
    # A left-to-right language keeps auto too: the page's language is often the site's.
    japanese = page(client, db, JA_URL).find(".//article")
    assert (japanese.get("lang"), japanese.get("dir")) == ("ja", "auto")


def test_a_hostile_language_stays_an_attribute_value(tmp_path: Path) -> None:
    from intl import intl_article

    path = tmp_path / "hostile.db"
    with Archive.open(path) as archive:
        archive.save_article(intl_article("https://x.example/post/a", "T", "A",
                                      'ar" onmouseover="alert(1)', "Body."))
    c = Client(make_datasette(path))
    try:
        text = c.get("/hostile/-/post/1").text
    finally:
        c.close()
    assert 'onmouseover="alert(1)"' not in text
    article = lxml.html.fromstring(text).find(".//article")
    assert article.get("lang") == 'ar" onmouseover="alert(1)' and article.get("dir") == "auto"


def test_search_box_snippets_and_titles_take_their_own_direction(client: Client) -> None:
    """The search box reads in the direction typed; a hit's title and snippet take its post's
    language and direction as its article page does (a screen reader reads them in Arabic)."""
    html = lxml.html.fromstring(client.get("/intl/-/search?q=انستجرام").text)
    assert html.xpath("//input[@name='q']")[0].get("dir") == "auto"
    (snippet,) = html.find_class("wxa-snippet")
    title = html.xpath("//li[@class='wxa-hit']//h3/a")[0]
    assert title.text_content() == AR_TITLE
    for element in (title, snippet):
        assert (element.get("lang"), element.get("dir")) == ("ar", "rtl")
    # A post of unknown language: no lang (the page's does not apply to it either way).
    unknown = lxml.html.fromstring(client.get("/intl/-/search?q=without").text)
    (snippet,) = unknown.find_class("wxa-snippet")
    assert (snippet.get("lang"), snippet.get("dir")) == (None, "auto")


def test_urls_read_decoded_in_datasette_and_link_as_archived(client: Client,
                                                             db: Path) -> None:
    hit = lxml.html.fromstring(client.get("/intl/-/search?q=喫茶店").text)
    assert [u.text_content() for u in hit.find_class("wxa-url")] == [JA_IRI]
    original = page(client, db, JA_URL).xpath("//dt[.='Original']/following-sibling::dd[1]/a")[0]
    assert original.text_content() == JA_IRI and original.get("href") == JA_URL
    # The posts table: the url column reads decoded, links to the URL as stored.
    table = lxml.html.fromstring(client.get("/intl/posts").text)
    links = {a.get("href"): a.text_content() for a in table.xpath("//td[contains(@class,"
                                                                  "'col-url')]//a")}
    assert links[JA_URL] == JA_IRI
    # Its JSON keeps the stored value.
    rows = client.get("/intl/posts.json?_shape=array").json()
    assert JA_URL in {row["url"] for row in rows}


def test_a_hits_right_to_left_site_and_author_leave_its_date_in_order(client: Client) -> None:
    """The hit's line "site · author · date · lang" is the page's English, left to right: an
    Arabic author next to the date, not isolated, turned 2024-05-01 into 01-05-2024 and the
    parts' order around, so each name is isolated (<bdi>) from the text around it."""
    html = lxml.html.fromstring(client.get("/intl/-/search?q=انستجرام").text)
    (meta,) = html.xpath("//li[@class='wxa-hit']/p[@class='wxa-meta']")
    assert [bdi.text_content() for bdi in meta.findall("bdi")] == ["Blög 東京", "أحمد الخطيب"]
    assert meta.text_content().endswith("· 2024-05-01 · ar")


def test_an_article_tags_and_version_titles_take_their_own_direction(
        client: Client, db: Path) -> None:
    html = page(client, db, JA_URL)
    (category,) = html.xpath("//dt[.='Categories']/following-sibling::dd[1]/a")
    assert (category.text_content(), category.get("dir")) == ("カフェ", "auto")
    title_cells = html.xpath("//table[@class='wxa-versions']/tbody/tr/td[4]")
    assert [cell.get("dir") for cell in title_cells] == ["auto"]


def test_a_tag_or_category_beyond_ascii_is_chosen_in_any_case_as_search_tag_does(
        tmp_path: Path) -> None:
    """?_tag= and ?_category= compared names by SQLite's NOCASE, which folds ASCII only:
    `_tag=çay` did not find the tag Çay, nor `_tag=STRASSE` Straße or `_category=ΕΛΛΆΔΑ`
    Ελλάδα, which `search --tag` and `export --tag` find. And the facet's chosen value was
    marked by str.lower(), another rule again."""
    from urllib.parse import quote

    from archive.search import SearchQuery, search
    from crawler.extract.record import Article

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([
            Article(url="https://a.example/post/tea", title="Tea", body_text="demlik",
                    tags=["Çay", "Straße", "İzmir"], categories=["Ελλάδα"]),
            Article(url="https://a.example/post/other", title="Other", body_text="other",
                    tags=["Kahve"], categories=["Misc"])])
        asked = [("_tag", "çay"), ("_tag", "STRASSE"), ("_tag", "izmir"),
                 ("_category", "ΕΛΛΆΔΑ")]
        for arg, name in asked:  # what the command line finds
            query = SearchQuery("", **{arg.removeprefix("_"): name})
            assert [hit.title for hit in search(archive, query)] == ["Tea"], name
    client = Client(make_datasette(db))
    try:
        for arg, name in asked:
            rows = client.get(f"/archive/posts.json?_shape=array&{arg}={quote(name)}").json()
            assert [row["title"] for row in rows] == ["Tea"], name
        facet = client.get("/archive/posts.json?_size=0&_tag=" + quote("çay")).json()
        chosen = {value["value"]: value["selected"]
                  for value in facet["facet_results"]["tags"]["results"]}
        assert chosen == {"Çay": True, "Straße": False, "İzmir": False}
    finally:
        client.close()


def test_the_spellings_of_a_tag_beyond_ascii_are_one_facet_value(tmp_path: Path) -> None:
    """Çay on one post and çay on another were two rows of the tags table (its NOCASE folds
    ASCII alone), so two facet values of one post each, where `_tag=çay` chose both posts."""
    from urllib.parse import quote

    from crawler.extract.record import Article

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([
            Article(url="https://a.example/post/tea", title="Tea", body_text="demlik",
                    tags=["Çay", "Straße"]),
            Article(url="https://a.example/post/chai", title="Chai", body_text="chai",
                    tags=["çay", "STRASSE"])])
    client = Client(make_datasette(db))
    try:
        facet = client.get("/archive/posts.json?_size=0").json()
        counts = {value["value"]: value["count"]
                  for value in facet["facet_results"]["tags"]["results"]}
        assert counts == {"Çay": 2, "Straße": 2}
        rows = client.get("/archive/posts.json?_shape=array&_tag=" + quote("çay")).json()
        assert sorted(row["title"] for row in rows) == ["Chai", "Tea"]
    finally:
        client.close()

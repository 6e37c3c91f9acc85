"""docs/fields.md lists, per output, exactly the fields the commands print, in their order and
with their JSON types: run every documented command (a subprocess, on a real archive file) and
compare, so the page cannot drift from the outputs."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from outputs import POST, REPO, build_outputs_archive
from outputs import wixarchive as run

from archive.export.wxr import NS
from archive.schema import CJK_COLUMNS, UNMARKED_COLUMNS

PAGE = REPO / "docs" / "fields.md"
DUMP = REPO / "tests" / "fixtures" / "text" / "a_fullpage_en.txt"

_HEADING = re.compile(r"^#{2,3} (.+)$", re.M)
_ROW = re.compile(r"^\| `(\w+)` \| ([^|]+) \|", re.M)
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "array": (list,), "object": (dict,), "null": (type(None),)}


def documented() -> dict[str, list[tuple[str, str]]]:
    """Per `wixarchive ...` section heading: its table's (field, type) rows, in order."""
    text = PAGE.read_text(encoding="utf-8")
    headings = list(_HEADING.finditer(text))
    sections = {}
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        if heading.group(1).startswith("`wixarchive "):
            body = text[heading.end():following.start() if following else len(text)]
            sections[heading.group(1)] = [(m.group(1), m.group(2).strip())
                                          for m in _ROW.finditer(body)]
    return sections


def wixarchive(*args: str, db: Path | None = None) -> str:
    return run(*args, *(["--db", str(db)] if db else []), check=True).stdout


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_outputs_archive(tmp_path_factory.mktemp("fields") / "archive.db",
                                 lastmod="2024-06-01", etag='"abc"',
                                 http_last_modified="Sat, 01 Jun 2024 00:00:00 GMT")


def _first(text: str) -> dict[str, Any]:
    data = json.loads(text)
    return data[0] if isinstance(data, list) else data


def _jsonl_and_csv(db: Path) -> dict[str, Any]:
    record = json.loads(wixarchive("export", "--format", "jsonl", "-", db=db).splitlines()[0])
    header = next(csv.reader(io.StringIO(wixarchive("export", "--format", "csv", "-", db=db))))
    assert header == list(record), "the CSV export's columns differ from the JSON lines'"
    return record


# What each documented section is checked against: the first record the command prints.
OUTPUTS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "`wixarchive extract --json`": lambda db: _first(wixarchive("extract", str(POST), "--json")),
    "`wixarchive clean --json`": lambda db: _first(wixarchive("clean", str(DUMP), "--json")),
    "`wixarchive show --json`": lambda db: _first(wixarchive("show", "1", "--json", db=db)),
    "`wixarchive history --json`": lambda db: _first(wixarchive(
        "history", json.loads(wixarchive("show", "1", "--json", db=db))["url"], "--json",
        db=db)),
    "`wixarchive export --format jsonl` and `--format csv`": _jsonl_and_csv,
    "`wixarchive export --format jsonl --json`": lambda db: json.loads(run(
        "export", "--format", "jsonl", "-", "--json", "--db", str(db), check=True).stderr),
    "`wixarchive export --format markdown --json`": lambda db: json.loads(wixarchive(
        "export", "--format", "markdown", str(db.with_name("markdown")), "--json", db=db)),
    "`wixarchive search --json`": lambda db: _first(wixarchive("search", "fern", "--json",
                                                               db=db)),
    "`wixarchive stats --json`": lambda db: json.loads(wixarchive("stats", "--json", db=db)),
    "`wixarchive stats --json`: each of `sites`": lambda db: json.loads(wixarchive(
        "stats", "--images", "--json", db=db))["sites"][0],  # the image counts asked for too
    "`wixarchive stats --json`: `captures`": lambda db: json.loads(wixarchive(
        "stats", "--json", db=db))["captures"],
    "`wixarchive runs --json`": lambda db: _first(wixarchive("runs", "--json", db=db)),
    "`wixarchive runs --failing --json`": lambda db: _first(  # exits 1: a site is failing
        run("runs", "--failing", "--json", "--db", str(db)).stdout),
}


@dataclass(frozen=True)
class Crawled:
    """A sample blog crawled for real (`crawl --json`, images and their renditions fetched),
    its sites file, and what each command printed about it."""

    db: Path
    printed: dict[str, Any]


def _printed_json(*args: str, env: dict[str, str] | None = None, check: bool = True) -> Any:
    return json.loads(run(*args, env=env, check=check).stdout)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    from crawler.sample_site import SampleBlog, serve_blog

    folder = tmp_path_factory.mktemp("crawled")
    db = folder / "archive.db"
    printed: dict[str, Any] = {}
    with serve_blog(SampleBlog(seed=1, post_count=3)) as server:
        media = {"WIXARCHIVE_MEDIA_BASE": f"{server.url}/media/"}
        printed["crawl"] = _printed_json("crawl", server.url, "--db", str(db), "--json",
                                         "--delay", "0", "--no-autothrottle",
                                         "--page-requisites", env=media)
        assert printed["crawl"]["status"] == "ok", printed["crawl"]
        assert printed["crawl"]["counts"]["new"] == 3
        run("sites", "add", server.url, "--db", str(db), check=True)
        # Crawled just now: not due, so run-due prints its record without crawling again.
        printed["run-due"] = _printed_json("run-due", "--db", str(db), "--json")[0]
        assert printed["run-due"]["status"] == "not-due"
        printed["sites list"] = _printed_json("sites", "list", "--db", str(db), "--json")[0]
    sites_file = folder / "urls.txt"
    sites_file.write_text("ftp://not-a-site\n", encoding="utf-8")
    printed["crawl refused"] = _printed_json("crawl", "--sites", str(sites_file), "--db",
                                             str(db), "--json", check=False)  # exits 1
    printed["check"] = _printed_json("check", "--db", str(db), "--json")
    printed["reextract"] = _printed_json("reextract", "--db", str(db), "--json")
    printed["search --count"] = _printed_json("search", "the", "--count", "--json", "--db",
                                            str(db))
    printed["wxr"] = _printed_json("export", "--format", "wxr", str(folder / "wp.xml"), "--db",
                                   str(db), "--json")
    printed["wxr images"] = _printed_json("export", "--format", "wxr", str(folder / "wp2.xml"),
                                          "--images-url", "https://example.org/img/", "--db",
                                          str(db), "--json")
    printed["html"] = _printed_json("export", str(folder / "blog.html"), "--db", str(db),
                                    "--json")
    assert printed["html"]["images"]
    printed["wacz"] = _printed_json("export", "--format", "wacz", str(folder / "blog.wacz"),
                                    "--db", str(db), "--json")
    assert printed["wacz"]["renditions"] and printed["wxr images"]["archived_images"]
    # The crawl's own capture file, imported into another archive: a small WARC.
    warcs = sorted(map(str, db.with_suffix(".captures").glob("*.warc.gz")))
    printed["import"] = _printed_json("import", *warcs, "--db", str(folder / "imported.db"),
                                      "--json")
    assert len(printed["import"]["sites"]) == 1
    return Crawled(db, printed)


def _after(longer: dict[str, Any], shorter: dict[str, Any]) -> dict[str, Any]:
    """The fields `longer` prints after all of `shorter`'s, which it starts with."""
    assert list(longer)[:len(shorter)] == list(shorter)
    return {name: longer[name] for name in list(longer)[len(shorter):]}


# The commands that need a crawled blog: each section's first record, as printed above.
CRAWLED_OUTPUTS: dict[str, Callable[[Crawled], dict[str, Any]]] = {
    "`wixarchive export --format wxr --json`": lambda c: c.printed["wxr"],
    "`wixarchive export --format wxr --images-url URL --json`: after `files`":
        lambda c: _after(c.printed["wxr images"], c.printed["wxr"]),
    "`wixarchive export --format html --json`": lambda c: c.printed["html"],
    "`wixarchive export --format wacz --json`": lambda c: c.printed["wacz"],
    "`wixarchive search --count --json`": lambda c: c.printed["search --count"],
    "`wixarchive crawl --json`": lambda c: c.printed["crawl"],
    "`wixarchive crawl --json`: `counts`": lambda c: c.printed["crawl"]["counts"],
    "`wixarchive crawl --json`: a site refused before crawling":
        lambda c: c.printed["crawl refused"],
    "`wixarchive run-due --json`": lambda c: c.printed["run-due"],
    "`wixarchive check --json`": lambda c: c.printed["check"],
    "`wixarchive reextract --json`": lambda c: c.printed["reextract"],
    "`wixarchive import --json`": lambda c: c.printed["import"],
    "`wixarchive import --json`: each value of `sites`":
        lambda c: next(iter(c.printed["import"]["sites"].values())),
    "`wixarchive sites list --json`": lambda c: c.printed["sites list"],
}
# Checked apart: recover against a real pywb (test_recover_json_is_as_documented), the worker
# against what run_worker returns (test_worker_json_is_as_documented).
APART = ("`wixarchive recover --json`", "`wixarchive worker --json`",
         "`wixarchive sites merge --json`", "`wixarchive sites forget --json`")


def test_every_documented_output_is_checked():
    assert sorted(documented()) == sorted([*OUTPUTS, *CRAWLED_OUTPUTS, *APART])


def _check_fields(record: dict[str, Any], section: str) -> None:
    fields = documented()[section]
    assert [name for name, _ in fields] == list(record)
    for name, kind in fields:
        allowed = tuple(t for word, types in _TYPES.items() if word in kind for t in types)
        value = record[name]
        assert allowed and isinstance(value, allowed), (name, kind, value)
        assert not (isinstance(value, bool) and bool not in allowed), (name, kind, value)


@pytest.mark.parametrize("section", list(OUTPUTS))
def test_documented_fields_are_the_output_fields(db: Path, section: str):
    _check_fields(OUTPUTS[section](db), section)


@pytest.mark.parametrize("section", list(CRAWLED_OUTPUTS))
def test_documented_fields_are_the_crawl_commands_output_fields(crawled: Crawled, section: str):
    _check_fields(CRAWLED_OUTPUTS[section](crawled), section)


def test_recover_json_is_as_documented(crawled: Crawled, tmp_path: Path):
    """A real recover from a real pywb holding the crawl's own capture file."""
    from tests.pywb import MISSING, pywb_bin, wayback

    if pywb_bin() is None:
        pytest.skip(MISSING)
    site = crawled.printed["crawl"]["site"]
    warcs = sorted(crawled.db.with_suffix(".captures").glob("*.warc.gz"))
    with wayback(tmp_path / "pywb", warcs=warcs) as base:
        printed = _printed_json("recover", site, "--from", base, "--db",
                                str(tmp_path / "recovered.db"), "--delay", "0", "--json")
    _check_fields(printed, "`wixarchive recover --json`")
    assert list(printed["requests"]) == ["cdx", "replay", "retries"]
    _check_fields(printed["sites"][site], "`wixarchive import --json`: each value of `sites`")


def test_every_export_of_a_recovered_post_says_where_its_text_came_from(crawled: Crawled,
                                                                        tmp_path: Path):
    """A journalist reading one exported file could not tell a recovered post's source: only
    `export --versions` rows named the capture. Now the JSON lines and CSV rows carry
    `recovered` (the current version's), the Markdown front matter `recovered_from` and the HTML
    export a line under the title, each the capture's page in the web archive; a crawled post
    says none. A real recover from a real pywb holding the crawl's own capture file."""
    from tests.pywb import MISSING, pywb_bin, wayback

    if pywb_bin() is None:
        pytest.skip(MISSING)
    site = crawled.printed["crawl"]["site"]
    recovered_db = tmp_path / "recovered.db"
    with wayback(tmp_path / "pywb", warcs=sorted(
            crawled.db.with_suffix(".captures").glob("*.warc.gz"))) as base:
        run("recover", site, "--from", base, "--db", str(recovered_db), "--delay", "0",
            check=True)
    for db, recovered in ((recovered_db, True), (crawled.db, False)):
        rows = [json.loads(line) for line in wixarchive("export", "--format", "jsonl", "-",
                                                        db=db).splitlines()]
        assert len(rows) == 3
        cited = {row["url"]: row["recovered"] and row["recovered"]["capture_url"]
                 for row in rows}
        if recovered:
            assert all(capture == f"{base}{row['recovered']['timestamp']}/{row['url']}"
                       for row in rows for capture in [cited[row["url"]]]), cited
        else:
            assert set(cited.values()) == {None}
        table = csv.DictReader(io.StringIO(wixarchive("export", "--format", "csv", "-", db=db)))
        assert {row["url"]: json.loads(row["recovered"])["capture_url"] if recovered
                else row["recovered"] for row in table} == {
            url: capture or "" for url, capture in cited.items()}
        folder = tmp_path / f"markdown-{recovered}"
        wixarchive("export", "--format", "markdown", str(folder), db=db)
        front = [page.read_text(encoding="utf-8").split("\n---\n", 1)[0]
                 for page in folder.rglob("index.md")]
        assert sorted(re.findall(r'^recovered_from: "(.*)"$', "\n".join(front), re.M)) == (
            sorted(filter(None, cited.values())))
        page = tmp_path / f"posts-{recovered}.html"
        wixarchive("export", str(page), db=db)
        said = re.findall(r'text recovered from <a href="([^"]+)">', page.read_text("utf-8"))
        assert sorted(said) == sorted(filter(None, cited.values()))
        # The WordPress export, as a custom field of the post (until 2026-12-07 it said none).
        wxr = etree.fromstring(wixarchive("export", "--format", "wxr", "-", db=db).encode())
        meta = {item.findtext("link"): [value.text for value in item.xpath(
            "wp:postmeta[wp:meta_key='recovered_from']/wp:meta_value", namespaces=NS)]
            for item in wxr.iter("item") if item.findtext("wp:post_type", namespaces=NS) == "post"}
        assert meta == {url: [capture] if capture else [] for url, capture in cited.items()}
        if recovered:
            recovered_cited = cited
    # Re-extracted (as by a later extractor: the posts' stored text made to differ), each
    # post's current version is a `reextract` of the same capture, which still says where
    # from; until 2026-12-07 it said nothing.
    with sqlite3.connect(recovered_db) as conn:
        conn.execute("UPDATE posts SET content_hash = 'older'")
    conn.close()
    wixarchive("reextract", db=recovered_db)
    rows = [json.loads(line) for line in wixarchive("export", "--format", "jsonl", "-",
                                                    db=recovered_db).splitlines()]
    assert {row["version"] for row in rows} == {2}
    assert {row["url"]: row["recovered"]["capture_url"] for row in rows} == recovered_cited
    history = wixarchive("history", rows[0]["url"], db=recovered_db).splitlines()
    [line] = [line for line in history if line.startswith("  v2 ")]
    assert " reextract " in line and line.endswith(f"(from {recovered_cited[rows[0]['url']]})")
    shown = wixarchive("show", rows[0]["url"], "--version", "2", db=recovered_db)
    assert ("re-extracted from the page recovered from "
            f"{recovered_cited[rows[0]['url']]}, captured" in shown), shown
    current = wixarchive("show", rows[0]["url"], db=recovered_db)
    assert f"recovered from {recovered_cited[rows[0]['url']]}" in current, current


def test_sites_merge_json_is_as_documented():
    """The merge's object is MergeResult's (a real merge's, field for field:
    tests/test_site_merge.py)."""
    from archive.site_merge import MergeResult

    root = "https://old.example/"
    _check_fields(MergeResult(site=root, merged=root, address=root).to_dict(),
                  "`wixarchive sites merge --json`")


def test_sites_forget_json_is_as_documented():
    """The object is ForgetResult's (a real forget's: tests/test_site_forget.py)."""
    from archive.site_forget import ForgetResult

    _check_fields(ForgetResult(site="https://typo.example/", runs=1).to_dict(),
                  "`wixarchive sites forget --json`")


def test_worker_json_is_as_documented():
    """The worker's object is the dict run_worker returns (a real run needs Redis, a writer and
    a site): its keys, in order, are the documented fields."""
    import ast

    source = (REPO / "crawler" / "distributed" / "worker.py").read_text(encoding="utf-8")
    function = next(node for node in ast.walk(ast.parse(source))
                    if isinstance(node, ast.FunctionDef) and node.name == "run_worker")
    returned = [node.value for node in ast.walk(function)
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict)]
    assert len(returned) == 1
    keys = [key.value for key in returned[0].keys if isinstance(key, ast.Constant)]
    assert keys == [name for name, _ in documented()["`wixarchive worker --json`"]]


def test_the_import_example_in_recovering_md_has_the_printed_fields(crawled: Crawled):
    text = (REPO / "docs" / "recovering.md").read_text(encoding="utf-8")
    start = text.index('{"files": ')
    end = text.index('"errors": []}', start) + len('"errors": []}')
    example = json.loads(text[start:end])
    printed = crawled.printed["import"]
    assert list(example) == list(printed)
    assert list(next(iter(example["sites"].values()))) == list(
        next(iter(printed["sites"].values())))


def test_clean_help_names_every_json_field():
    printed = json.loads(wixarchive("clean", str(DUMP), "--json"))
    said = " ".join(wixarchive("clean", "--help").split())
    assert all(re.search(rf"\b{name}\b", said) for name in printed), said


def test_show_html_adds_body_html_after_body(db: Path):
    plain = list(_first(wixarchive("show", "1", "--json", db=db)))
    with_html = list(_first(wixarchive("show", "1", "--json", "--html", db=db)))
    assert with_html == [*plain[:plain.index("body") + 1], "body_html",
                         *plain[plain.index("body") + 1:]]


def test_show_version_adds_what_made_the_version_after_images(db: Path):
    plain = list(_first(wixarchive("show", "1", "--json", db=db)))
    version = _first(wixarchive("show", "1", "--version", "1", "--json", db=db))
    added = ["fetched_at", "source", "run_id", "recovered", "stored_at"]
    assert list(version) == [*plain, *added]
    assert (version["source"], version["recovered"]) == ("crawl", None)
    assert ("five more fields follow `images`, as in\n[Datasette's article JSON]"
            "(#datasettes-article-json): `fetched_at`, `source`, `run_id`,\n`recovered` and "
            "`stored_at`" in PAGE.read_text(encoding="utf-8"))
    # The article JSON's version fields, as documented there, are the same.
    text = PAGE.read_text(encoding="utf-8")
    part = text[text.index("## Datasette's article JSON"):text.index("For version N")]
    assert [m.group(1) for m in _ROW.finditer(part)] == added


def test_export_is_show_plus_site_id_body_html_attachments_and_the_posts_table_as_documented(
        db: Path):
    show = list(_first(wixarchive("show", "1", "--json", db=db)))
    export = [name for name, _ in documented()["`wixarchive export --format jsonl` and "
                                                "`--format csv`"]]
    assert sorted(export) == sorted([*show, "site_id", "body_html", "attachments", "recovered"])
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(posts)")]
    assert sorted(columns) == sorted({*export} - {"site", "site_name", "images", "attachments",
                                                  "recovered"}
                                     | set(CJK_COLUMNS) | set(UNMARKED_COLUMNS))


def test_the_python_api_gives_the_fields_the_page_says(db: Path):
    import wixarchive

    export = [name for name, _ in documented()["`wixarchive export --format jsonl` and "
                                                "`--format csv`"]]
    stats = [name for name, _ in documented()["`wixarchive stats --json`: each of `sites`"]]
    with wixarchive.open(db, readonly=True) as archive:
        # posts() and post() give the export's fields but its `attachments` and `recovered`,
        # as the page says.
        assert export[-2:] == ["attachments", "recovered"]
        assert list(next(iter(wixarchive.posts(archive)))) == export[:-2]
        assert list(archive.post(1)) == export[:-2]
        out = io.StringIO()
        wixarchive.export(archive, out, format="jsonl")
        assert list(json.loads(out.getvalue().splitlines()[0])) == export
        assert list(archive.stats()[0]) == stats[:8]  # the media counts are the command's
    assert list(wixarchive.extract(POST.read_bytes()).to_dict()) == [
        name for name, _ in documented()["`wixarchive extract --json`"]]


def test_the_url_fields_are_uris_in_json_and_csv_as_the_page_says(tmp_path: Path):
    from intl import JA_IRI, JA_URL, build_intl_archive

    from archive.iri import URL_FIELDS

    text = PAGE.read_text(encoding="utf-8")
    section = text[text.index("## URLs"):text.index("## `wixarchive extract --json`")]
    said = re.search(r"the fields converted are ((?:`\w+`(?:,?\s(?:and\s)?)?)+)", section)
    assert said, "docs/fields.md's URLs section should name the fields it converts"
    assert set(re.findall(r"`(\w+)`", said.group(1))) == {*URL_FIELDS, "images"}
    db = build_intl_archive(tmp_path / "intl.db")
    records = [_first(wixarchive("show", JA_URL, "--json", db=db)),
               *map(json.loads, wixarchive("export", "--format", "jsonl", "-", db=db)
                    .splitlines()),
               *csv.DictReader(io.StringIO(wixarchive("search", "喫茶店", "--csv", db=db))),
               _first(wixarchive("stats", "--json", db=db))]
    for record in records:
        for name in {*URL_FIELDS, "images"} & set(record):
            assert json.dumps(record[name], ensure_ascii=False).isascii(), (name, record)
    assert f"URL: {JA_IRI}" in wixarchive("show", JA_URL, db=db)  # and text reads decoded


def test_the_datasette_tables_documented_have_the_archives_columns(db: Path):
    text = PAGE.read_text(encoding="utf-8")
    part = text[text.index("## Datasette's other tables"):]
    documented_columns: dict[str, list[str]] = {}
    headings = list(re.finditer(r"^### `(\w+)`.*$", part, re.M))
    ends = [following.start() for following in headings[1:]] + [len(part)]
    for heading, end in zip(headings, ends, strict=True):
        body = part[heading.end():end]
        for cell in re.findall(r"^\| ([^|]+) \|", body, re.M):
            for name in re.findall(r"`([\w.]+)`", cell):
                table, _, column = name.rpartition(".")
                documented_columns.setdefault(table or heading.group(1), []).append(column)
    assert {"sites", "crawl_runs", "post_versions", "images", "media", "tags", "post_tags",
            "categories", "post_categories"} <= set(documented_columns)
    with sqlite3.connect(db) as conn:
        for table, columns in documented_columns.items():
            actual = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            assert sorted(columns) == sorted(actual), table


def test_a_versions_export_is_the_export_plus_the_version_fields_documented(db: Path):
    text = PAGE.read_text(encoding="utf-8")
    part = text[text.index("### `--versions`"):
                text.index("## `wixarchive export --format jsonl --json`")]
    added = [m.group(1) for m in _ROW.finditer(part)]
    export = [name for name, _ in documented()["`wixarchive export --format jsonl` and "
                                                "`--format csv`"]]
    rows = wixarchive("export", "--format", "jsonl", "--versions", "-", db=db).splitlines()
    # The version's own `recovered` among them, its `attachments` last.
    assert list(json.loads(rows[0])) == [*export[:-2], *added, "attachments"]
    header = next(csv.reader(io.StringIO(wixarchive("export", "--format", "csv", "--versions",
                                                    "-", db=db))))
    assert header == list(json.loads(rows[0]))

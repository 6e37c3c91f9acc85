"""WXR as WordPress's importer reads it: every post imports, none taken for another.

The importer (wordpress-importer) skips an item as "already exists" when WordPress's
post_exists() finds one of its type with its title at its date. Checked two ways: by those
rules, read in the importer's and WordPress's source (tests/test_export.py
`wordpress_import`), always; and, where WordPress (Debian's `wordpress` package), PHP with
mysqli and MariaDB are installed, by WordPress's own post_exists() and wp_insert_post() on a
real database (tests/wordpress/import_posts.php; the plugin is not packaged, so its loop is
written out there)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from archive.export.wxr import NS, Identities
from archive.store import Archive
from tests.outputs import next_second
from tests.processes import HANG_GUARD
from tests.test_export import CAFE, run, save, wordpress_import

WORDPRESS = Path(os.environ.get("WORDPRESS_DIR", "/usr/share/wordpress"))
IMPORT_POSTS = Path(__file__).parent / "wordpress" / "import_posts.php"
PHOTO = "https://static.wixstatic.com/media/ef56~mv2.jpg"


def same_titles(db: Path) -> dict[str, str]:
    """An archive of posts WordPress's importer took for one another before 2026-12-07: two
    undated "Our menu" (sharing an image), three "Weekly news" of one day in other cases and
    accents, and another post of that day. Returns each post's URL with its first_seen."""
    with Archive.open(db) as archive:
        save(archive, f"{CAFE}/post/menu", title="Our menu", images=[PHOTO])
        save(archive, f"{CAFE}/post/menu-1", title="Our menu", images=[PHOTO])
        save(archive, f"{CAFE}/post/news-a", title="Weekly news", published="2024-03-10")
        save(archive, f"{CAFE}/post/news-b", title="WEEKLY NEWS ", published="2024-03-10")
        save(archive, f"{CAFE}/post/news-c", title="Wéekly news", published="2024-03-10")
        save(archive, f"{CAFE}/post/other", title="Other", published="2024-03-10")
        return dict(archive.conn.execute("SELECT url, first_seen FROM posts"))


def test_wxr_gives_posts_of_one_title_dates_the_importer_tells_apart(tmp_path: Path) -> None:
    """WordPress's importer skips a post as "already exists" when an earlier one has its title
    (any case or accents) at its date, or its title alone when it has no date: two undated
    "Our menu" posts imported as one, and so did two "Weekly news" of one day. Each now
    imports: an undated post is dated when the archive first captured it, and a post whose
    title and date an earlier one has is a second later; a file attached to two posts keeps
    the date the importer's copy of it serves both by. The same export gives the same dates."""
    db = tmp_path / "blog.db"
    first_seen = same_titles(db)
    dates = []
    for name in ("one.xml", "two.xml"):
        out = tmp_path / name
        assert run("--format", "wxr", "--db", str(db), str(out)).exit_code == 0
        imported = wordpress_import(out)
        assert imported["skipped"] == {}
        assert len(imported["posts"]) == 6
        channel = etree.parse(str(out)).getroot().find("channel")
        dates.append({item.findtext("link"): item.findtext("wp:post_date", namespaces=NS)
                      for item in channel.findall("item")
                      if item.findtext("wp:post_type", namespaces=NS) == "post"})
    assert dates[0] == dates[1]
    assert [dates[0][f"{CAFE}/post/{slug}"] for slug in ("news-a", "news-b", "news-c", "other")] \
        == ["2024-03-10 00:00:00", "2024-03-10 00:00:01", "2024-03-10 00:00:02",
            "2024-03-10 00:00:00"]
    for slug in ("menu", "menu-1"):
        seen = datetime.fromisoformat(first_seen[f"{CAFE}/post/{slug}"]).astimezone(UTC)
        assert dates[0][f"{CAFE}/post/{slug}"] in (
            seen.strftime("%Y-%m-%d %H:%M:%S"),  # captured in another second than the other
            (seen + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S"))
    assert len({dates[0][f"{CAFE}/post/menu"], dates[0][f"{CAFE}/post/menu-1"]}) == 2


def autumn_hour(db: Path) -> None:
    """Two "Weekly news" posts an hour apart, at 02:30 in Berlin on the night its clocks go
    back (CEST, then CET): one local time, which is what WordPress compares."""
    with Archive.open(db) as archive:
        save(archive, f"{CAFE}/post/news-summer", title="Weekly news",
             published="2024-10-27T00:30:00Z")
        save(archive, f"{CAFE}/post/news-winter", title="Weekly news",
             published="2024-10-27T01:30:00Z")


def test_wxr_tells_apart_posts_of_one_local_time_in_the_autumn_hour(tmp_path: Path) -> None:
    """Dates were told apart by instant, the importer tells them apart by the local
    `post_date`: two posts of one title in the hour the clocks go back both said
    2024-10-27 02:30:00 and imported as one. The second is now a second later."""
    db = tmp_path / "blog.db"
    autumn_hour(db)
    out = tmp_path / "berlin.xml"
    assert run("--format", "wxr", "--timezone", "Europe/Berlin", "--db", str(db),
               str(out)).exit_code == 0
    imported = wordpress_import(out)
    assert imported["skipped"] == {}
    assert len(imported["posts"]) == 2
    channel = etree.parse(str(out)).getroot().find("channel")
    assert [(item.findtext("wp:post_date", namespaces=NS),
             item.findtext("wp:post_date_gmt", namespaces=NS))
            for item in channel.findall("item")] == [
        ("2024-10-27 02:30:00", "2024-10-27 00:30:00"),
        ("2024-10-27 02:30:01", "2024-10-27 01:30:01")]


def grown_blog(db: Path) -> tuple[Path, Path]:
    """An archive exported whole while it held one "Weekly news" of 10 March 09:00 with its
    photo.jpg, and a later crawl's two posts of that very second: another "Weekly news", and
    "Other" with another site's photo.jpg. Returns the first export and the export of what
    changed since (the two new posts only)."""
    with Archive.open(db) as archive:
        save(archive, f"{CAFE}/post/news-a", title="Weekly news",
             published="2024-03-10T09:00:00Z", images=["https://a.example/photo.jpg"])
    first = db.parent / "first.xml"
    assert run("--format", "wxr", "--db", str(db), str(first)).exit_code == 0
    exported = next_second()
    with Archive.open(db) as archive:
        save(archive, f"{CAFE}/post/news-b", title="Weekly news",
             published="2024-03-10T09:00:00Z")
        save(archive, f"{CAFE}/post/other", title="Other", published="2024-03-10T09:00:00Z",
             images=["https://b.example/photo.jpg"])
    changes = db.parent / "changes.xml"
    assert run("--format", "wxr", "--changed-since", exported, "--db", str(db),
               str(changes)).exit_code == 0
    return first, changes


def item_dates(path: Path) -> dict[tuple[str, str], str]:
    """Each item's post_date by its type and link (an attachment's: its URL)."""
    channel = etree.parse(str(path)).getroot().find("channel")
    return {(item.findtext("wp:post_type", namespaces=NS), item.findtext("link")):
            item.findtext("wp:post_date", namespaces=NS) for item in channel.findall("item")}


def test_a_filtered_wxr_dates_its_items_as_the_whole_export_does(tmp_path: Path) -> None:
    """A `--changed-since` export held the second "Weekly news" alone, so it kept 09:00:00,
    the date of the one WordPress already held, which took it for that one; "Other"'s photo
    kept the date of the photo.jpg already there. Each item now has the date the whole export
    gives it (09:00:01 both), which WordPress holds no item of that name at."""
    first, changes = grown_blog(tmp_path / "blog.db")
    whole = tmp_path / "whole.xml"
    assert run("--format", "wxr", "--db", str(tmp_path / "blog.db"), str(whole)).exit_code == 0
    written = item_dates(changes)
    assert written == {key: date for key, date in item_dates(whole).items() if key in written}
    assert written == {("post", f"{CAFE}/post/news-b"): "2024-03-10 09:00:01",
                       ("post", f"{CAFE}/post/other"): "2024-03-10 09:00:00",
                       ("attachment", "https://b.example/photo.jpg"): "2024-03-10 09:00:01"}
    assert item_dates(first) == {("post", f"{CAFE}/post/news-a"): "2024-03-10 09:00:00",
                                 ("attachment", "https://a.example/photo.jpg"):
                                 "2024-03-10 09:00:00"}


def item_titles(path: Path) -> dict[str, str]:
    """Each attachment item's title by its URL."""
    channel = etree.parse(str(path)).getroot().find("channel")
    return {item.findtext("link"): item.findtext("title") for item in channel.findall("item")
            if item.findtext("wp:post_type", namespaces=NS) == "attachment"}


def test_a_file_whose_url_names_none_has_one_title_in_every_export(tmp_path: Path) -> None:
    """An image at a URL with no file name was titled `image-<attachment id>`, and the ids
    follow the posts exported: `--since 2024-03` titled the March post's photo `image-3`, the
    whole export `image-4`, so WordPress holding the whole export's copy imported the part's as
    another file. Now its kind and the start of its URL's digest, in both."""
    db = tmp_path / "blog.db"
    with Archive.open(db) as archive:
        save(archive, f"{CAFE}/post/feb", title="February", published="2024-02-01",
             images=["https://a.example/photos/"])
        save(archive, f"{CAFE}/post/mar", title="March", published="2024-03-01",
             images=["https://b.example/photos/"])
    whole, part = tmp_path / "whole.xml", tmp_path / "part.xml"
    assert run("--format", "wxr", "--db", str(db), str(whole)).exit_code == 0
    assert run("--format", "wxr", "--since", "2024-03", "--db", str(db),
               str(part)).exit_code == 0
    march = "https://b.example/photos/"
    assert item_titles(part) == {march: item_titles(whole)[march]}
    assert item_titles(whole) == {
        "https://a.example/photos/": "image-" + hashlib.sha1(
            b"https://a.example/photos/").hexdigest()[:12],
        march: "image-" + hashlib.sha1(march.encode()).hexdigest()[:12]}


def test_wxr_tells_apart_posts_whose_dates_differ_in_a_fraction_of_a_second_or_read_as_none(
        tmp_path: Path) -> None:
    """WordPress keeps a date to the second: two "Weekly news" at 09:10:11.123 and .456 (Wix's
    dates carry milliseconds) both said 09:10:11 and imported as one. A date of a month alone
    ("2024-06", ISO's reduced precision) read as none: the post had no `post_date`, and
    WordPress took any post of its title for it. Until 2026-12-07."""
    db = tmp_path / "blog.db"
    with Archive.open(db) as archive:
        for slug, published in (("a", "2021-04-05T09:10:11.123Z"),
                                ("b", "2021-04-05T09:10:11.456Z"), ("c", "2024-06"),
                                ("d", None)):
            save(archive, f"{CAFE}/post/news-{slug}", title="Weekly news", published=published)
    out = tmp_path / "wordpress.xml"
    assert run("--format", "wxr", "--db", str(db), str(out)).exit_code == 0
    imported = wordpress_import(out)
    assert imported["skipped"] == {}
    dates = item_dates(out)
    assert [dates["post", f"{CAFE}/post/news-{slug}"] for slug in "abc"] == [
        "2021-04-05 09:10:11", "2021-04-05 09:10:12", "2024-06-01 00:00:00"]
    assert dates["post", f"{CAFE}/post/news-d"]  # dated by its first capture


def wordpress_missing() -> str | None:
    """Why WordPress cannot run here, or None."""
    if not (WORDPRESS / "wp-settings.php").is_file():
        return f"WordPress is not installed ({WORDPRESS}; apt-get install wordpress)"
    for program in ("php", "mariadbd", "mariadb-install-db", "mariadb-admin", "mariadb"):
        if shutil.which(program) is None:
            return f"{program} is not installed (apt-get install php-cli php-mysql mariadb-server)"
    modules = subprocess.run(["php", "-m"], capture_output=True, text=True, timeout=HANG_GUARD)
    return None if "mysqli" in modules.stdout.split() else "PHP has no mysqli (php-mysql)"


WORDPRESS_MISSING = wordpress_missing()


@pytest.fixture
def wordpress(tmp_path: Path) -> Iterator[Path]:
    """A MariaDB server of its own (no network: a socket in tmp_path) and a WordPress config
    for it; yields the config's path. WordPress installs itself on first use."""
    data, socket = tmp_path / "mariadb", tmp_path / "mariadb.sock"
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", *as_root,
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, capture_output=True, timeout=HANG_GUARD)
    server = subprocess.Popen(["mariadbd", "--no-defaults", f"--datadir={data}", *as_root,
                               f"--socket={socket}", "--skip-networking",
                               f"--pid-file={tmp_path / 'mariadb.pid'}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + HANG_GUARD
        while subprocess.run(["mariadb-admin", "--no-defaults", f"--socket={socket}", "-uroot",
                              "ping"], capture_output=True).returncode:
            assert server.poll() is None and time.monotonic() < deadline, "MariaDB did not start"
            time.sleep(0.2)
        subprocess.run(["mariadb", "--no-defaults", f"--socket={socket}", "-uroot", "-e",
                        "CREATE DATABASE wordpress CHARACTER SET utf8mb4"],
                       check=True, timeout=HANG_GUARD)
        content = tmp_path / "wp-content"
        content.mkdir()
        config = tmp_path / "wp-config.php"
        config.write_text(
            "<?php\n"
            "define('DB_NAME', 'wordpress'); define('DB_USER', 'root');\n"
            f"define('DB_PASSWORD', ''); define('DB_HOST', 'localhost:{socket}');\n"
            "define('DB_CHARSET', 'utf8mb4'); define('DB_COLLATE', '');\n"
            f"define('WP_CONTENT_DIR', '{content}'); define('ABSPATH', '{WORDPRESS}/');\n"
            "$table_prefix = 'wp_';\n")
        yield config
    finally:
        server.terminate()
        server.wait(timeout=HANG_GUARD)


def import_into(config: Path, *files: Path) -> dict[str, Any]:
    """What WordPress does importing `files` one after the other into one new site: the items
    skipped as already there (`skipped`), and the posts it then holds (`posts`)."""
    result = subprocess.run(["php", str(IMPORT_POSTS), str(config), *map(str, files)],
                            capture_output=True, text=True, timeout=HANG_GUARD)
    assert result.returncode == 0, result.stdout + result.stderr
    imported: dict[str, Any] = json.loads(result.stdout)
    return imported


@pytest.mark.skipif(WORDPRESS_MISSING is not None, reason=str(WORDPRESS_MISSING))
def test_wordpress_imports_both_posts_of_the_autumn_hour(wordpress: Path,
                                                         tmp_path: Path) -> None:
    """WordPress's own check on two posts of one title an hour apart in the hour Berlin's
    clocks go back: before 2026-12-07 it skipped the second (one local `post_date`)."""
    db = tmp_path / "blog.db"
    autumn_hour(db)
    out = tmp_path / "berlin.xml"
    assert run("--format", "wxr", "--timezone", "Europe/Berlin", "--db", str(db),
               str(out)).exit_code == 0
    imported = import_into(wordpress, out)
    assert imported["skipped"] == []
    assert [(post["title"], post["date"]) for post in imported["posts"]] == [
        ("Weekly news", "2024-10-27 02:30:00"), ("Weekly news", "2024-10-27 02:30:01")]


@pytest.mark.skipif(WORDPRESS_MISSING is not None, reason=str(WORDPRESS_MISSING))
def test_wordpress_imports_every_post_of_one_title(wordpress: Path, tmp_path: Path) -> None:
    """WordPress's own duplicate check on a real database (MariaDB's utf8mb4 collation: any
    case, accents ignored) takes none of these posts for another; before 2026-12-07 it skipped
    three of the six, and the second post's image."""
    db = tmp_path / "blog.db"
    same_titles(db)
    out = tmp_path / "wordpress.xml"
    assert run("--format", "wxr", "--db", str(db), str(out)).exit_code == 0
    imported = import_into(wordpress, out)
    assert imported["skipped"] == []
    posts = [(post["title"], post["date"]) for post in imported["posts"]
             if post["type"] == "post"]
    assert len(posts) == 6
    assert [date for title, date in posts if "ekly news" in title.casefold()] == [
        "2024-03-10 00:00:00", "2024-03-10 00:00:01", "2024-03-10 00:00:02"]
    assert len([title for title, _ in posts if title == "Our menu"]) == 2
    assert len([post for post in imported["posts"] if post["type"] == "attachment"]) == 2


@pytest.mark.skipif(WORDPRESS_MISSING is not None, reason=str(WORDPRESS_MISSING))
def test_wordpress_imports_what_changed_since_into_the_site_the_whole_export_made(
        wordpress: Path, tmp_path: Path) -> None:
    """Imported after the first export, the export of what changed since lost the second
    "Weekly news" and the second photo.jpg as "already exists" before 2026-12-07."""
    first, changes = grown_blog(tmp_path / "blog.db")
    imported = import_into(wordpress, first, changes)
    assert imported["skipped"] == []
    assert sorted((post["type"], post["title"]) for post in imported["posts"]) == [
        ("attachment", "photo.jpg"), ("attachment", "photo.jpg"), ("post", "Other"),
        ("post", "Weekly news"), ("post", "Weekly news")]


def test_the_wxr_writer_remembers_only_two_days_of_items_and_still_tells_them_apart() -> None:
    """Every item was remembered for the whole export: 100,000 posts peaked at 116 MB against
    43 MB for 10,000 (2026-12-07). Only the last two days are: a post an hour for over two
    years, one title, keeps each its own date, in memory that does not grow. The export's
    order is the posts' `published` text, so a post written at another offset (-10:00) can come
    after one up to a day later in time: one of its title and instant is still moved on."""
    identities = Identities()
    hours = [datetime(2015, 1, 1, tzinfo=UTC) + timedelta(hours=n) for n in range(20_000)]
    tracemalloc.start()
    try:
        assert [identities.unique("post", "Weekly news", at) for at in hours[:1000]] == \
            hours[:1000]
        held = tracemalloc.get_traced_memory()[0]
        assert [identities.unique("post", "Weekly news", at) for at in hours[1000:]] == \
            hours[1000:]
        grown = tracemalloc.get_traced_memory()[0] - held
    finally:
        tracemalloc.stop()
    assert grown < 50_000, f"{grown:,} bytes more for 19,000 more items"
    later = hours[-1] + timedelta(hours=20)
    assert identities.unique("post", "Other", later) == later
    assert identities.unique("post", "weekly NEWS", hours[-1]) == hours[-1] + timedelta(seconds=1)

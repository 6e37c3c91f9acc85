"""The sites file: `wixarchive sites add|list|remove` and hand-written TOML, validated clearly."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.schedule import sites as sites_file
from archive.schedule.sites import SitesError


def wix(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_add_list_remove_round_trip_beside_the_archive(tmp_path: Path):
    db = tmp_path / "blog.db"
    added = wix("sites", "add", "www.example.com/blog", "--db", str(db), "--every", "6h",
                "--label", "fr", "--label", "yoga", "--delay", "2", "--no-robots")
    assert added.exit_code == 0, added.output
    path = tmp_path / "blog.sites.toml"
    assert path.exists()
    assert wix("sites", "add", "https://someone.wixsite.com/garden", "--db", str(db),
               "--cron", "0 3 * * 1", "--name", "Garden").exit_code == 0

    listed = json.loads(wix("sites", "list", "--db", str(db), "--json").output)
    assert [s["url"] for s in listed] == ["https://www.example.com/blog",
                                          "https://someone.wixsite.com/garden"]
    first = listed[0]
    assert first["schedule"] == "every 6h" and first["labels"] == ["fr", "yoga"]
    assert first["politeness"] == {"delay": 2.0, "robots": False}
    assert first["due_now"] and first["last_run"] is None
    assert listed[1]["site"] == "https://someone.wixsite.com/garden/"
    only_fr = json.loads(wix("sites", "list", "--db", str(db), "--label", "fr", "--json").output)
    assert [s["name"] for s in only_fr] == [None]

    removed = wix("sites", "remove", "Garden", "--db", str(db))
    assert removed.exit_code == 0 and "someone.wixsite.com" in removed.output
    assert [s.url for s in sites_file.load(path)] == ["https://www.example.com/blog"]



def test_add_replaces_the_file_whole_as_readable_as_any_new_file(tmp_path: Path):
    """The file is replaced through a fresh temporary file: one planted where the old fixed
    temporary name was (a symlink to a file elsewhere) is neither followed nor written."""
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep me")
    (tmp_path / ".archive.sites.toml.tmp").symlink_to(elsewhere)
    result = subprocess.run([sys.executable, "-m", "archive.cli", "sites", "add",
                             "https://a.example.com", "--db", str(tmp_path / "archive.db")],
                            capture_output=True, text=True, timeout=120, umask=0o027)
    assert result.returncode == 0, result.stderr
    written = tmp_path / "archive.sites.toml"
    assert "https://a.example.com" in written.read_text(encoding="utf-8")
    assert oct(stat.S_IMODE(written.stat().st_mode)) == oct(0o640)
    assert elsewhere.read_text() == "keep me"

def test_sites_file_from_the_environment(tmp_path: Path):
    path = tmp_path / "elsewhere.toml"
    result = wix("sites", "add", "example.org", "--db", str(tmp_path / "a.db"),
                 env={"WIXARCHIVE_SITES": str(path)})
    assert result.exit_code == 0, result.output
    assert sites_file.load(path)[0].url == "https://example.org"


def test_add_keeps_hand_written_comments_and_refuses_the_same_site_twice(tmp_path: Path):
    path = tmp_path / "sites.toml"
    path.write_text('# my blogs\n[defaults]\nevery = "2d"  # be gentle\ncontact = "me@x.org"\n')
    sites_file.add(path, {"url": "https://a.example/blog"})
    text = path.read_text()
    assert "# my blogs" in text and "# be gentle" in text
    (site,) = sites_file.load(path)
    assert site.schedule.describe() == "every 2d"  # the default applies
    assert site.politeness == {"contact": "me@x.org"}
    result = wix("sites", "add", "https://a.example/post/other", "--sites", str(path))
    assert result.exit_code == 1
    assert "already in" in result.output and "Traceback" not in result.output
    # www.a.example is a.example: one site in the archive, so one entry.
    result = wix("sites", "add", "www.a.example", "--sites", str(path))
    assert result.exit_code == 1 and "already in" in result.output, result.output
    # and so is http://a.example: a crawl of it crawls into the same archived site
    result = wix("sites", "add", "http://a.example/blog", "--sites", str(path))
    assert result.exit_code == 1 and "already in" in result.output, result.output


@pytest.mark.parametrize("toml, message", [
    ('[[site]]\nurl = "https://a.example"\nevry = "6h"\n', "unknown key 'evry'"),
    ('[[site]]\nurl = "https://a.example"\nevery = "6 hours"\n', "not a duration"),
    ('[[site]]\nurl = "https://a.example"\ncron = "every day"\n', "not a cron expression"),
    ('[[site]]\nurl = "https://a.example"\ndelay = true\n', "should be a int or float"),
    ('[[site]]\nname = "x"\n', "`url` is missing"),
    ('[[site]]\nurl = "https://a.example"\n[[site]]\nurl = "https://a.example/blog"\n',
     "same site"),
    ('[[site]]\nurl = "https://www.a.example"\n[[site]]\nurl = "https://a.example"\n',
     r"same site as https://www.a.example"),
    ('[[site]]\nurl = "http://a.example"\n[[site]]\nurl = "https://www.a.example"\n',
     r"site #2 \(https://www.a.example\): same site as http://a.example"),
    ('[[site]\nurl = 1\n', "not valid TOML"),
    ('[[site]]\nurl = "https://a.example"\nmedia_kinds = "images,pdf"\n',
     r"site #1 \(https://a.example\): media_kinds: unknown media kind pdf: choose from images, "),
    ('[defaults]\nmedia_kinds = "vidoes"\n[[site]]\nurl = "https://a.example"\n',
     "site #1 .*media_kinds: unknown media kind vidoes"),
    ('[[site]]\nurl = "https://a.example"\nmax_media_mb = -1\n',
     "max_media_mb = -1 should be more than 0"),
    ('[[site]]\nurl = "https://a.example"\nmedia = "no"\n', "media = 'no' should be a bool"),
    ('[[site]]\nurl = "https://a.example"\npage_requisites = 1\n',
     "page_requisites = 1 should be a bool"),
])
def test_mistakes_in_a_hand_written_file_name_the_site_and_key(tmp_path: Path, toml: str,
                                                               message: str):
    path = tmp_path / "sites.toml"
    path.write_text(toml)
    with pytest.raises(SitesError, match=message):
        sites_file.load(path)
    # `sites list` refuses the file; run-due skips a wrong entry and crawls the others
    # (tests/test_schedule_crawl.py).
    result = wix("sites", "list", "--sites", str(path), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "Traceback" not in result.output


def test_media_options_of_the_crawl_command_are_per_site_keys_with_defaults(tmp_path: Path):
    path = tmp_path / "sites.toml"
    path.write_text('[defaults]\nmax_media_mb = 5\n')
    added = wix("sites", "add", "a.example", "--sites", str(path), "--no-media",
                "--media-kinds", "Videos, images", "--max-media-mb", "0.5", "--page-requisites")
    assert added.exit_code == 0, added.output
    assert wix("sites", "add", "b.example", "--sites", str(path)).exit_code == 0
    first, second = sites_file.load(path)
    assert first.media == {"media": False, "max_media_mb": 0.5, "media_kinds": "video,images",
                           "page_requisites": True}
    assert second.media == {"max_media_mb": 5}  # from [defaults]
    listed = wix("sites", "list", "--sites", str(path), "--db", str(tmp_path / "a.db"))
    assert "max_media_mb=0.5 media=False media_kinds=video,images page_requisites=True" in (
        listed.output)

    refused = wix("sites", "add", "c.example", "--sites", str(path), "--media-kinds", "pdf")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert refused.output == ("Error: https://c.example: media_kinds: unknown media kind pdf: "
                              "choose from images, video, documents\n")
    assert len(sites_file.load(path)) == 2  # nothing written


def test_remove_rewrites_a_valid_file_and_unknown_site_is_an_error(tmp_path: Path):
    path = tmp_path / "sites.toml"
    for url in ("https://a.example", "https://b.example", "https://c.example"):
        sites_file.add(path, {"url": url, "every": "1w", "labels": ["x"]})
    sites_file.remove(path, "https://b.example/post/anything")
    assert [s.url for s in sites_file.load(path)] == ["https://a.example", "https://c.example"]
    # One [[site]] block per site, not an inline array.
    assert path.read_text().count("\n[[site]]\n") == 2
    with pytest.raises(SitesError, match="no site"):
        sites_file.remove(path, "https://zzz.example")


def test_a_site_listed_over_http_is_selected_and_removed_by_its_host(tmp_path: Path):
    """A blog listed as http://HOST:PORT/blog: `run-due --site HOST:PORT` said `Error: no site
    'HOST:PORT' in …` (the host was read as https://HOST:PORT, another root), though the
    docs give `--site` a site's host, and `runs --site HOST:PORT` finds it."""
    db, path = tmp_path / "a.db", tmp_path / "a.sites.toml"
    assert wix("sites", "add", "http://127.0.0.1:9/blog", "--db", str(db)).exit_code == 0
    assert wix("sites", "add", "https://other.example", "--db", str(db)).exit_code == 0
    crawled = subprocess.run([sys.executable, "-m", "archive.cli", "run-due", "--db", str(db),
                              "--site", "127.0.0.1:9", "--json"],
                             capture_output=True, text=True, timeout=300)
    assert [(r["site"], r["status"]) for r in json.loads(crawled.stdout)] == [
        ("http://127.0.0.1:9/", "failed")], crawled.stderr  # nothing listens there
    removed = wix("sites", "remove", "127.0.0.1:9", "--db", str(db))
    assert removed.exit_code == 0, removed.output
    assert [s.url for s in sites_file.load(path)] == ["https://other.example"]


def test_run_due_given_a_list_of_urls_points_at_crawl_sites_and_sites_add(tmp_path: Path):
    """The reverse of `crawl --sites` given a sites file, which has such a hint too."""
    blogs = tmp_path / "blogs.txt"
    blogs.write_text("# my blogs\nhttps://a.example/blog\nb.example  # the garden one\n\n")
    result = wix("run-due", "--sites", str(blogs), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: {blogs} is not valid TOML: ")
    assert line.endswith(f"; it is a list of URLs, one per line: `wixarchive crawl --sites "
                         f"{blogs}` crawls them, and `wixarchive sites add --from {blogs}` adds "
                         "them to the sites file that run-due reads")
    # A broken sites file gets no such hint.
    broken = tmp_path / "broken.toml"
    broken.write_text('[[site]]\nurl = "https://a.example\n')
    result = wix("run-due", "--sites", str(broken), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1 and "list of URLs" not in result.output


def test_a_list_of_blogs_is_added_at_once_its_mistakes_named_by_line(tmp_path: Path):
    """A researcher's 40 blogs in a text file took 40 `sites add` runs (each printing the
    crontab line): `--from FILE` reads the file as `crawl --sites` does and adds every site,
    naming each line it could not add (listed already, mistyped) without losing the others."""
    db = tmp_path / "study.db"
    assert wix("sites", "add", "https://a.example/", "--db", str(db)).exit_code == 0
    blogs = tmp_path / "blogs.txt"
    blogs.write_text("# the study\nhttps://a.example/blog\nb.example   # the bakery\nhtp//c\n\n"
                     "https://d.example/post/x\nhttps://www.b.example/\n")
    result = CliRunner().invoke(main, ["sites", "add", "--from", str(blogs), "e.example",
                                       "--every", "2d", "--label", "study", "--db", str(db)])
    assert result.exit_code == 1
    assert [(s.url, s.labels) for s in sites_file.load(tmp_path / "study.sites.toml")] == [
        ("https://a.example/", ()), ("https://e.example", ("study",)),
        ("https://b.example", ("study",)), ("https://d.example/post/x", ("study",))]
    lines = result.output.splitlines()
    assert [line for line in lines if line.startswith("Error: ")] == [
        f"Error: {blogs} line 2: https://a.example/ is already in {tmp_path / 'study.sites.toml'}"
        " (same site https://a.example/)",
        f"Error: {blogs} line 4: 'https://htp//c' is not a web site address: its host 'htp' is "
        "no domain name (a mistyped scheme, such as htp//?)",
        f"Error: {blogs} line 7: https://b.example is already in "
        f"{tmp_path / 'study.sites.toml'} (same site https://www.b.example/)"]
    assert "Added 3 of 6 sites; 3 not added (named above)" in lines
    assert sum("crontab -e" in line for line in lines) == 1
    refused = wix("sites", "add", "f.example", "g.example", "--name", "F", "--db", str(db))
    assert refused.exit_code == 1 and "--name names one site" in refused.output
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n")
    nothing = wix("sites", "add", "--from", str(empty), "--db", str(db))
    assert nothing.exit_code == 1
    assert nothing.output == f"Error: {empty} lists no site: give one site URL per line\n"
    schedule = wix("sites", "add", "--from", str(tmp_path / "study.sites.toml"), "--db", str(db))
    assert schedule.exit_code == 1 and schedule.output.endswith(
        "; `sites add --from` takes one URL per line\n")


def test_a_listed_url_holding_a_control_character_is_refused_by_line(tmp_path: Path):
    """A list pasted from a spreadsheet or a terminal may carry a NUL, a DEL or an escape: the
    URL was written to the sites file as `https://bad.example/po\\u0000st` and `Added` shown
    with the character invisible. Each such line is refused, named, and the others added."""
    db = tmp_path / "study.db"
    blogs = tmp_path / "blogs.txt"
    blogs.write_bytes(b"https://good.example/\nhttps://bad.example/po\x00st\n"
                      b"https://tab\x01.example/\nhttps://c.example/a\x7fb\n")
    result = CliRunner().invoke(main, ["sites", "add", "--from", str(blogs), "--db", str(db)])
    assert result.exit_code == 1, result.output
    assert [s.url for s in sites_file.load(tmp_path / "study.sites.toml")] == [
        "https://good.example/"]
    assert [line for line in result.output.splitlines() if line.startswith("Error: ")] == (
        _control_character_lines("Error:", blogs, [(2, "https://bad.example/po\x00st", "U+0000"),
                                                   (3, "https://tab\x01.example/", "U+0001"),
                                                   (4, "https://c.example/a\x7fb", "U+007F")]))
    assert "Added 1 of 4 sites; 3 not added (named above)" in result.output


def _control_character_lines(mark: str, blogs: Path, refused: list[tuple[int, str, str]],
                             ) -> list[str]:
    """The line naming each (line number, URL, code point) of `blogs` refused for a control
    character, as `sites add --from` (mark `Error:`) and `crawl --sites` (`✗`) write it."""
    return [f"{mark} {blogs} line {line}: {url!r} holds a control character ({code}): no web "
            "address does" for line, url, code in refused]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_list_of_blogs_saved_by_a_spreadsheet_or_notepad_is_read(tmp_path: Path,
                                                                    encoding: str):
    """A list saved as "CSV UTF-8" (a spreadsheet) or by Notepad starts with a byte order mark:
    its first blog was refused as '\\ufeffhttps://…' (an invisible character: "not a web site
    address"), and a UTF-16 one ("Unicode" in Notepad) stopped `sites add --from` with a
    traceback."""
    blogs = tmp_path / "blogs.txt"
    blogs.write_text("https://a.example/blog\r\nb.example  # the bakery, café\r\n",
                     encoding=encoding)
    result = wix("sites", "add", "--from", str(blogs), "--db", str(tmp_path / "study.db"))
    assert result.exit_code == 0, result.output
    assert [s.url for s in sites_file.load(tmp_path / "study.sites.toml")] == [
        "https://a.example/blog", "https://b.example"]


@pytest.mark.parametrize("command", [["sites", "add", "--from"], ["crawl", "--sites"]])
def test_a_list_of_blogs_in_another_encoding_is_refused_in_one_line(tmp_path: Path,
                                                                     command: list[str]):
    """A list saved in Windows-1252 (a comment naming a café) stopped `crawl --sites` and
    `sites add --from` with a UnicodeDecodeError traceback; it is refused, naming the line."""
    blogs = tmp_path / "blogs.txt"
    blogs.write_bytes("https://a.example/blog\nb.example  # the café\n".encode("cp1252"))
    result = subprocess.run([sys.executable, "-m", "archive.cli", *command, str(blogs),
                             "--db", str(tmp_path / "study.db")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == (f"Error: cannot read sites file {blogs}: line 2 is not UTF-8 text "
                             "(save the list as UTF-8)\n")
    assert not (tmp_path / "study.sites.toml").exists()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_sites_file_saved_by_notepad_is_read_and_added_to(tmp_path: Path, encoding: str):
    """The sites file run-due reads, edited by hand and saved by Notepad ("UTF-8 with BOM", or
    "Unicode": UTF-16): `run-due`, `sites list` and `sites add` refused it as `not valid TOML:
    Invalid statement (at line 1, column 1)` (a line that looks right) or with a UTF-8 codec
    error. Read as the lists `crawl --sites` takes are; `sites add` writes it back as UTF-8."""
    db = tmp_path / "club.db"
    path = tmp_path / "club.sites.toml"
    path.write_text('[[site]]\r\nurl = "https://a.example/blog"\r\nname = "Café"\r\n',
                    encoding=encoding)
    listed = wix("sites", "list", "--db", str(db), "--json")
    assert listed.exit_code == 0, listed.output
    assert [(s["url"], s["name"]) for s in json.loads(listed.output)] == [
        ("https://a.example/blog", "Café")]
    added = wix("sites", "add", "b.example", "--db", str(db))
    assert added.exit_code == 0, added.output
    assert [(s.url, s.name) for s in sites_file.load(path)] == [
        ("https://a.example/blog", "Café"), ("https://b.example", None)]
    assert not path.read_bytes().startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))


def test_a_sites_file_in_another_encoding_is_refused_naming_its_line(tmp_path: Path):
    path = tmp_path / "club.sites.toml"
    path.write_bytes('[[site]]\nurl = "https://a.example/"\nname = "Café"\n'.encode("cp1252"))
    result = wix("sites", "list", "--sites", str(path), "--db", str(tmp_path / "club.db"))
    assert result.exit_code == 1
    assert result.output == (f"Error: cannot read {path}: line 3 is not UTF-8 text (save the "
                             "file as UTF-8)\n")


def test_a_control_character_in_a_sites_files_url_makes_its_entry_invalid(tmp_path: Path):
    """`url = "https://a.example/po\\u0000st"` (TOML's escape) was crawled by run-due, its
    line printing the NUL (or an escape sequence, recolouring the terminal) as it is; `sites
    add` refuses such a URL. The entry is invalid, named with the character shown."""
    path = tmp_path / "club.sites.toml"
    path.write_text('[[site]]\nurl = "https://a.example/po\\u0000st"\n\n'
                    '[[site]]\nurl = "https://b.example/\\u001b[31m"\n\n'
                    '[[site]]\nurl = "https://c.example/"\n', encoding="utf-8")
    bad: list[sites_file.BadEntry] = []
    kept = sites_file.parse(sites_file._read(path), path, bad)
    assert [site.url for site in kept] == ["https://c.example/"]
    assert [entry.problem for entry in bad] == [
        f"{path} site #1: 'https://a.example/po\\x00st' holds a control character (U+0000): "
        "no web address does",
        f"{path} site #2: 'https://b.example/\\x1b[31m' holds a control character (U+001B): "
        "no web address does"]
    listed = wix("sites", "list", "--sites", str(path), "--db", str(tmp_path / "club.db"))
    assert listed.exit_code == 1
    assert listed.output == f"Error: {bad[0].problem}\n"


def test_sites_added_and_removed_at_once_by_many_processes_are_all_kept(tmp_path: Path):
    """`sites add` read the file, appended its site and replaced the file: two at once (a
    script adding a list of blogs in parallel, two colleagues) each wrote what it had read, so
    one site was lost though both said `Added` (40 parallel adds kept 14). Here 16 processes,
    started together, each add a site and then 8 of them remove theirs."""
    path = tmp_path / "archive.sites.toml"
    go = tmp_path / "go"
    editor = ("import pathlib, sys, time\n"
              "from archive.schedule import sites\n"
              "go, path, url, remove = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), "
              "sys.argv[3], sys.argv[4] == 'remove'\n"
              "while not go.exists():\n"
              "    time.sleep(0.005)\n"  # all imported, then all at once
              "sites.add(path, sites.entry(url))\n"
              "if remove:\n"
              "    sites.remove(path, url)\n")
    urls = [f"https://blog{number}.example.com/" for number in range(16)]
    processes = [subprocess.Popen([sys.executable, "-c", editor, str(go), str(path), url,
                                   "remove" if number % 2 else "keep"], stderr=subprocess.PIPE,
                                  text=True) for number, url in enumerate(urls)]
    go.touch()
    for process in processes:
        assert process.wait(timeout=120) == 0, process.stderr.read()
        process.stderr.close()
    assert sorted(site.url for site in sites_file.load(path)) == sorted(urls[::2])


def test_an_edit_held_up_for_too_long_is_refused_not_waited_for_ever(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Another `sites add` stopped mid-edit (Ctrl-Z) holds the sites file's lock: the next
    edit waits a while, then says so, instead of hanging."""
    import fcntl
    import os

    monkeypatch.setattr(sites_file, "EDIT_PATIENCE", 0.2)
    path = tmp_path / "archive.sites.toml"
    folder = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        with pytest.raises(SitesError, match="is being edited by another process"):
            sites_file.add(path, sites_file.entry("https://blog.example.com/"))
    finally:
        os.close(folder)
    sites_file.add(path, sites_file.entry("https://blog.example.com/"))
    assert [site.url for site in sites_file.load(path)] == ["https://blog.example.com/"]


def test_a_url_to_crawl_holding_a_control_character_is_refused_by_line(tmp_path: Path):
    """`crawl --sites` took `https://bad.example/po\\x00st` (a NUL pasted from a spreadsheet)
    for a site and crawled it, the character invisible on its lines. Each such line is
    refused as `sites add --from` refuses it, named, in the same words."""
    blogs = tmp_path / "blogs.txt"
    blogs.write_bytes(b"https://bad.example/po\x00st\nhttps://c.example/a\x7fb\n"
                      b"https://e.example/\x1b[31mblog\n")
    result = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", "--sites",
                             str(blogs), "--db", str(tmp_path / "study.db")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("✗ ")] == (
        _control_character_lines("✗", blogs, [(1, "https://bad.example/po\x00st", "U+0000"),
                                              (2, "https://c.example/a\x7fb", "U+007F"),
                                              (3, "https://e.example/\x1b[31mblog", "U+001B")]))

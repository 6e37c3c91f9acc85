"""`wixarchive COMMAND --help` reads as documentation: every command shows an example, and each
example uses only options the command has."""

from __future__ import annotations

import re
import shlex

import pytest
from outputs import wixarchive

from archive.cli import COMMANDS

COMMAND_LINES = [[name] for name in COMMANDS if name != "sites"] + [
    ["sites"], ["sites", "add"], ["sites", "list"], ["sites", "remove"]]
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")


def examples(help_text: str) -> list[str]:
    """The lines of the help's Example(s) block."""
    block = help_text.split("Example", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines()[1:] if line.strip()]


@pytest.mark.parametrize("command", COMMAND_LINES, ids=" ".join)
def test_help_shows_an_example_using_only_the_commands_options(command: list[str]) -> None:
    shown = wixarchive(*command, "--help", check=True).stdout
    assert "Example" in shown, f"wixarchive {' '.join(command)} --help has no example"
    options = set(_OPTION.findall(shown.split("Options:", 1)[1]))
    for line in examples(shown):
        words = shlex.split(line.split(" #")[0].split(" (")[0])
        while words and words[0] != "wixarchive":  # `curl ... | wixarchive extract -`
            words.pop(0)
        if words[:1 + len(command)] != ["wixarchive", *command]:
            continue  # another command's line in the example
        named = command
        allowed = options
        if command == ["sites"]:  # the group's example shows its subcommands
            named = command + words[2:3]
            allowed = set(_OPTION.findall(
                wixarchive(*named, "--help", check=True).stdout.split("Options:", 1)[1]))
        used = []
        for word in words[1 + len(named):]:
            if word in ("|", "||", ">", "&&"):
                break
            used += [word.split("=")[0]] if word.startswith("--") else []
        assert set(used) <= allowed, (line, set(used) - allowed)


def test_the_command_list_names_every_export_format_and_sites_forget() -> None:
    """`wixarchive --help` said "Export posts as JSON lines, CSV, Markdown, WordPress WXR or
    WACZ": a first-time user looking for the one page to read or print (html) did not find it;
    and "sites ...; merge two" left out `sites forget`, the command for a mistyped address."""
    from archive.cli.export import command as export

    listed = wixarchive("--help", check=True).stdout.split("Commands:", 1)[1]
    line = {words[0]: " ".join(words[1:]) for words in map(str.split, listed.splitlines())
            if words}
    (formats,) = [option.type.choices for option in export.params if option.name == "fmt"]
    names = {"jsonl": "JSON lines", "csv": "CSV", "markdown": "Markdown", "wxr": "WXR",
             "html": "HTML", "wacz": "WACZ"}
    assert set(formats) == set(names)
    assert all(names[name] in line["export"] for name in formats), line["export"]
    assert "forget" in line["sites"]

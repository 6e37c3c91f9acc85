"""Command-line options the benchmarks share."""

from __future__ import annotations

import argparse


def add_sizes(parser: argparse.ArgumentParser, default: list[int]) -> None:
    """--sizes: archive sizes in posts, spaced or comma-separated (`10000 100000`, `10000,100000`);
    parse_args gives a list of lists: flatten it with `chosen_sizes`."""
    shown = ",".join(str(size) for size in default)
    parser.add_argument("--sizes", nargs="+", type=_post_counts, default=[default],
                        metavar="POSTS", help=f"post counts, spaced or comma-separated "
                                              f"(default {shown})")


def chosen_sizes(args: argparse.Namespace) -> list[int]:
    return [size for group in args.sizes for size in group]


def _post_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"not a post count (or comma-separated ones): {text!r}")
    return counts

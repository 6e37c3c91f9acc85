"""wixarchive: archive Wix blogs into a searchable SQLite file.

The public Python API is the `wixarchive` package (docs/api.md); `archive` and `crawler` are
its implementation.
"""

__version__ = "0.1.0"

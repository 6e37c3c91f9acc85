"""wixarchive: archive Wix blogs into a searchable SQLite file."""

__version__ = "0.1.0"

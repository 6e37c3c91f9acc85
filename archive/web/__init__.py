"""Datasette integration: metadata, ranked search and article pages for wixarchive archives.

`archive.web.plugin` is registered as a Datasette plugin entry point, so `datasette archive.db`
gets the same pages as `wixarchive serve` once the project is installed.
"""

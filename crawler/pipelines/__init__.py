"""Item pipelines: where fetched posts leave the crawler for the archive."""

"""Raw captures of a crawl's HTTP exchanges (see archive/captures.py for the store).

CAPTURE_META is the request meta key under which the capture middleware leaves the
WARC-Record-ID of the response it captured: the spider puts it on the FetchedPage, and the
archive worker stores it with the post version.
"""

CAPTURE_META = "wixarchive_capture"
CAPTURE_DIGEST_META = "wixarchive_capture_digest"  # its payload digest, computed once
# {URL fetched: URL it stands for}, set by the media fetchers when a file is fetched from a
# mirror (WIXARCHIVE_MEDIA_BASE, WIXARCHIVE_VIDEO_BASE) instead of its own URL: the response
# from that URL is captured under the URL the posts name (a redirect's target is not: it is
# another URL than the one mapped).
MIRROR_META = "wixarchive_mirror_of"

"""The crawl reads responses off its connections in WIXARCHIVE_SOCKET_READ_BYTES pieces
(crawler/extensions/socket_reads.py): a real Wix post page is ~0.9 MB, 14 reads at Twisted's
64 KB. Checked in a fresh process, where the crawl's own settings set it up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# A crawler for the project's spider with the project's settings (plus `overrides`), its
# extensions built as a crawl builds them; prints the read size Twisted's TCP clients use.
PROBE = """
import json, sys
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor
from crawler import settings
from crawler.spiders.wix import WixBlogSpider
project = Settings()
project.setmodule(settings)
project.update(json.loads(sys.argv[1]))
install_reactor(project["TWISTED_REACTOR"])
from twisted.internet import tcp
Crawler(WixBlogSpider, project)._apply_settings()
print(tcp.Client.bufferSize)
"""


def read_size(**overrides: int) -> int:
    import json

    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(overrides)], cwd=REPO,
                            capture_output=True, text=True, timeout=60, check=True)
    return int(result.stdout.split()[-1])


def test_a_crawl_reads_256_kb_at_a_time():
    assert read_size() == 256 * 1024


@pytest.mark.parametrize("size", [0, 4096])
def test_a_smaller_setting_leaves_twisteds_64_kb(size: int):
    assert read_size(WIXARCHIVE_SOCKET_READ_BYTES=size) == 64 * 1024


def test_a_larger_setting_is_used():
    assert read_size(WIXARCHIVE_SOCKET_READ_BYTES=2**20) == 2**20

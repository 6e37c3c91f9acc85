"""https://static.wixstatic.com on loopback, for crawls whose captures must hold the image URLs
exactly as the pages name them (a replayed post shows an image only if the URL it asks for was
captured), fetched from the host itself as a real crawl fetches them, with no setting changed.

A forward proxy on 127.0.0.1 that a crawl reaches through `https_proxy` (Scrapy's
HttpProxyMiddleware reads it): each CONNECT tunnel is answered with TLS under a self-signed
certificate (Scrapy does not verify certificates), and the requests inside it are passed to a
plain HTTP server (the sample blog serving `/media/`). Loopback only.
"""

from __future__ import annotations

import datetime
import http.client
import http.server
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.processes import serve_http


def _certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "static.wixstatic.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("static.wixstatic.com")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@contextmanager
def wixstatic_proxy(upstream: str, hosts: tuple[str, ...] = ("static.wixstatic.com",),
                    ) -> Iterator[str]:
    """A proxy URL (for `https_proxy`) whose https://static.wixstatic.com/PATH answers (those
    of each of `hosts`) are those of `upstream` + PATH (e.g. a sample blog server's
    http://127.0.0.2:PORT)."""
    target = urlsplit(upstream)
    with tempfile.TemporaryDirectory() as folder:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*_certificate(Path(folder)))

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_CONNECT(self) -> None:  # http.server's name
                if self.path.split(":")[0] not in hosts:
                    self.send_error(403)
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                self.wfile.flush()
                # The rest of the connection is TLS; its requests are read by this same loop.
                self.connection = context.wrap_socket(self.connection, server_side=True)
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb")

            def do_GET(self) -> None:
                upstream_conn = http.client.HTTPConnection(target.hostname, target.port,
                                                           timeout=30)
                try:
                    upstream_conn.request("GET", self.path, headers={
                        k: v for k, v in self.headers.items()
                        if k.lower() not in ("host", "connection", "proxy-connection")})
                    answer = upstream_conn.getresponse()
                    body = answer.read()
                finally:
                    upstream_conn.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "connection",
                                            "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()

            def log_message(self, *args: Any) -> None:
                pass

        with serve_http(Handler) as url:
            yield url

"""TLS certificates are verified unless the Session sets verify=False, checked against a local HTTPS server."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import flame_hub
from flame_hub import errors


class _JSONHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        body = b'{"data": [], "meta": {"total": 0}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the signature of the base class
        return


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    """Serve HTTPS on 127.0.0.1 with a self-signed certificate; yield its URL."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip

    server = http.server.HTTPServer(("127.0.0.1", 0), _JSONHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_self_signed_certificate_rejected(self_signed_server: str) -> None:
    with flame_hub.Session(self_signed_server, retries=0) as session:
        with pytest.raises(errors.TransportError) as info:
            session.request_json("core", "GET", "nodes")

    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value) or "certificate" in str(info.value).lower()


def test_verify_off_on_request(self_signed_server: str) -> None:
    with flame_hub.Session(self_signed_server, retries=0, verify=False) as session:
        body = session.request_json("core", "GET", "nodes")

    assert body == {"data": [], "meta": {"total": 0}}

"""An HTTPS server on 127.0.0.1 with a certificate for a made-up host name, and a client
context trusting it: for tests that a fetch by name reaches the checked address and still
checks the certificate against the name.

    with TlsServer("feeds.example.org") as server:
        http_client(timeout=5, guard=guard, verify=server.client_context())
        ... server.seen  # [{"sni": "feeds.example.org", "host": "feeds.example.org:PORT"}]
"""

from __future__ import annotations

import datetime
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool, names=()):
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(*items) -> bytes:
    out = b""
    for item in items:
        if isinstance(item, x509.Certificate):
            out += item.public_bytes(serialization.Encoding.PEM)
        else:
            out += item.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep connections open, as real servers do

    def do_GET(self):
        self.server.seen.append({"sni": self.server.last_sni, "host": self.headers["Host"],
                                 "path": self.path})
        body = b"over tls"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class TlsServer:
    """HTTPS on 127.0.0.1 (a free port) with a certificate naming only `hostname`, issued by
    a test authority; `seen` lists each request's SNI name and Host header."""

    def __init__(self, hostname: str) -> None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        self._ca = _certificate("Test CA", ca_key, "Test CA", ca_key, ca=True)
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = _certificate(hostname, key, "Test CA", ca_key, ca=False, names=[hostname])
        self._files = tempfile.TemporaryDirectory()
        chain = Path(self._files.name) / "server.pem"
        chain.write_bytes(_pem(leaf, key))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain)
        context.sni_callback = self._remember_sni
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.seen = []
        self._httpd.last_sni = None
        self.port = self._httpd.server_address[1]
        self.seen = self._httpd.seen

    def _remember_sni(self, connection, name, context) -> None:
        self._httpd.last_sni = name

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting only the test authority (and checking host names)."""
        return ssl.create_default_context(cadata=_pem(self._ca).decode("ascii"))

    def __enter__(self) -> TlsServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._files.cleanup()

"""A minimal OpenID Connect identity provider on 127.0.0.1, for tests of single sign-on.

It answers discovery, authorization, token and key requests like a real provider, but
has no login page: `/authorize` at once sends the browser back to the app with a code,
vouching for whatever e-mail the test put in `OidcProvider.email`. Like a strict real
provider it insists on the registered redirect URI and on PKCE (S256); the token
endpoint checks the client's id and secret (HTTP Basic or form), the one-time code, the
redirect URI and the PKCE verifier, and returns an ID token carrying the app's nonce,
signed with RS256 under a key published at `/jwks`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ID_TOKEN_LIFETIME_S = 300


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint_b64url(number: int) -> str:
    return _b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


def _with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


@dataclass
class _Grant:
    """What `/authorize` promised, waiting for the app to swap the code for tokens."""

    email: str
    name: str
    redirect_uri: str
    nonce: str
    code_challenge: str


class _TokenError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


class OidcProvider:
    """An identity provider for one client, serving on 127.0.0.1 from a thread.

    Set `email` (and optionally `name`) to the person the provider vouches for before
    the browser is sent to sign in. `issued` lists the e-mail of every ID token handed
    out, so a test can tell the app really came back through the provider.
    """

    def __init__(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.email = ""
        self.name = ""
        self.issued: list[str] = []
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_hex(8)
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.provider = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="oidc-provider", daemon=True)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self) -> OidcProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "email",
                                 "email_verified", "name"],
        }

    def jwks(self) -> dict:
        public = self._key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "kid": self._kid, "alg": "RS256", "use": "sig",
                          "n": _uint_b64url(public.n), "e": _uint_b64url(public.e)}]}

    def authorize(self, params: dict[str, str]) -> tuple[int, str]:
        """Where to send the browser: back to the app with a code, or an error page."""
        if params.get("client_id") != self.client_id:
            return 400, "unknown client_id"
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri != self.redirect_uri:
            return 400, f"redirect_uri {redirect_uri!r} is not registered"
        reply = {"state": params["state"]} if "state" in params else {}
        if params.get("response_type") != "code":
            reply["error"] = "unsupported_response_type"
        elif "openid" not in params.get("scope", "").split():
            reply["error"] = "invalid_scope"
        elif params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            reply["error"] = "invalid_request"
            reply["error_description"] = "PKCE with S256 is required"
        elif not self.email:
            reply["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(24)
            with self._lock:
                self._grants[code] = _Grant(
                    email=self.email, name=self.name or self.email.split("@")[0],
                    redirect_uri=redirect_uri, nonce=params.get("nonce", ""),
                    code_challenge=params["code_challenge"])
            reply["code"] = code
        return 302, _with_query(redirect_uri, reply)

    def token(self, form: dict[str, str], authorization: str) -> dict:
        """Swap a code for an access token and a signed ID token, or raise _TokenError."""
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization.startswith("Basic "):
            try:
                decoded = base64.b64decode(authorization[6:], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise _TokenError(401, "invalid_client", "malformed Basic credentials") from None
            client_id, _, client_secret = (unquote(p) for p in decoded.partition(":"))
        if not (client_id == self.client_id
                and secrets.compare_digest(client_secret.encode(), self.client_secret.encode())):
            raise _TokenError(401, "invalid_client", "wrong client_id or client_secret")
        if form.get("grant_type") != "authorization_code":
            raise _TokenError(400, "unsupported_grant_type", "only authorization_code")
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)
        if grant is None:
            raise _TokenError(400, "invalid_grant", "unknown or already used code")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise _TokenError(400, "invalid_grant", "redirect_uri differs from /authorize")
        verifier = form.get("code_verifier", "").encode("ascii", errors="replace")
        if not secrets.compare_digest(_b64url(hashlib.sha256(verifier).digest()),
                                      grant.code_challenge):
            raise _TokenError(400, "invalid_grant", "PKCE code_verifier does not match")
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": hashlib.sha256(grant.email.encode()).hexdigest()[:20],
            "aud": self.client_id, "iat": now, "exp": now + ID_TOKEN_LIFETIME_S,
            "email": grant.email, "email_verified": True, "name": grant.name,
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        self.issued.append(grant.email)
        return {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                "expires_in": ID_TOKEN_LIFETIME_S, "scope": "openid email profile",
                "id_token": self._sign(claims)}

    def _sign(self, claims: dict) -> str:
        header = {"alg": "RS256", "typ": "JWT", "kid": self._kid}
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
        signature = self._key.sign(signing_input.encode("ascii"), padding.PKCS1v15(),
                                   hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"


class _Handler(BaseHTTPRequestHandler):
    server_version = "TestOIDC/1"

    @property
    def provider(self) -> OidcProvider:
        return self.server.provider

    def log_message(self, format: str, *args) -> None:
        """Keep the test output quiet; failures show up in the app's log instead."""

    def _reply(self, status: int, body: dict | str, headers: dict[str, str] | None = None):
        is_json = isinstance(body, dict)
        data = (json.dumps(body) if is_json else body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type",
                         "application/json" if is_json else "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/.well-known/openid-configuration":
            self._reply(200, self.provider.metadata())
        elif url.path == "/jwks":
            self._reply(200, self.provider.jwks())
        elif url.path == "/authorize":
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            status, target = self.provider.authorize(params)
            if status == 302:
                self._reply(302, "", {"Location": target})
            else:
                self._reply(status, target)
        else:
            self._reply(404, "not found")

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/token":
            self._reply(404, "not found")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        form = {k: v[0] for k, v in parse_qs(body).items()}
        try:
            self._reply(200, self.provider.token(form, self.headers.get("Authorization", "")))
        except _TokenError as exc:
            self._reply(exc.status, {"error": exc.error, "error_description": exc.description})

"""A real Bluesky PDS (with its PLC directory) on 127.0.0.1, once per test session.

`tests/bluesky/pds.mjs` runs `@atproto/pds` and `@did-plc/server` from the npm
project beside it (`sh scripts/test.sh` installs it). A test module takes the
fixture with `from pds import pds_fixture` and asks for `pds`:

    def test_post(pds):
        did = pds.create_account("alice.test", "a-password")

Without Node or the installed project the tests skip, and fail under CI=true.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from outreach.net import URLGuard
from support.node_service import wait_until_ready
from support.services import free_port, missing_service

NODE_PROJECT = Path(__file__).parents[1] / "bluesky"
START_SCRIPT = NODE_PROJECT / "pds.mjs"
START_TIMEOUT = 60.0
INSTALL_HINT = "Bluesky PDS (run `sh scripts/test.sh` to install tests/bluesky)"
# What a committee allowlists for a PDS of its own on plain http: the test PDS answers at
# 127.0.0.1 and names itself localhost in its accounts' DID documents (so does the network's).
PDS_GUARD = URLGuard(["127.0.0.1", "localhost"])




@dataclass
class LocalPds:
    """The running PDS: its base URL, and a way to make accounts on it."""

    url: str
    plc_url: str

    def xrpc(self, method: str) -> str:
        """The URL of an XRPC method on this PDS."""
        return f"{self.url}/xrpc/{method}"

    def create_account(self, handle: str, password: str) -> str:
        """Create `handle` (e.g. `alice.test`) with `password`; return its DID."""
        response = httpx.post(
            self.xrpc("com.atproto.server.createAccount"),
            json={"handle": handle, "email": f"{handle.split('.')[0]}@example.test",
                  "password": password},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["did"]


def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if httpx.get(f"{url}/xrpc/_health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the PDS at {url} never answered /xrpc/_health")
        time.sleep(0.1)


@contextlib.contextmanager
def running_pds(data: Path) -> Iterator[LocalPds]:
    """A PDS with its PLC directory on free 127.0.0.1 ports, data in `data`, stopped on exit.

    Raises RuntimeError when it does not come up.
    """
    node = shutil.which("node")
    if node is None or not (NODE_PROJECT / "node_modules" / "@atproto" / "pds").is_dir():
        raise RuntimeError("node or tests/bluesky/node_modules is missing")
    process = subprocess.Popen(
        [node, str(START_SCRIPT), "--pds-port", str(free_port()),
         "--plc-port", str(free_port()), "--data", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "LOG_ENABLED": "false"},
    )
    try:
        ready = wait_until_ready(process, "the PDS", START_TIMEOUT)
        _wait_healthy(ready["pds"])
        yield LocalPds(url=ready["pds"], plc_url=ready["plc"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session", name="pds")
def pds_fixture(tmp_path_factory):
    """Start the PDS for the session; yield a LocalPds; stop it at the end."""
    with contextlib.ExitStack() as stack:
        try:
            local = stack.enter_context(running_pds(tmp_path_factory.mktemp("pds")))
        except RuntimeError as exc:
            missing_service(f"{INSTALL_HINT}: {exc}")
        yield local


def read_record(pds, uri: str) -> dict:
    """The record at an at:// URI, as the PDS stores it."""
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    response = httpx.get(pds.xrpc("com.atproto.repo.getRecord"),
                         params={"repo": repo, "collection": collection, "rkey": rkey})
    response.raise_for_status()
    return response.json()


def get_blob(pds, did: str, blob: dict) -> bytes:
    """The bytes of a blob referenced from a record."""
    response = httpx.get(pds.xrpc("com.atproto.sync.getBlob"),
                         params={"did": did, "cid": blob["ref"]["$link"]})
    response.raise_for_status()
    return response.content

"""A real Bluesky PDS (with its PLC directory) on 127.0.0.1, once per test session.

`tests/bluesky/pds.mjs` runs `@atproto/pds` and `@did-plc/server` from the npm
project beside it (`sh scripts/test.sh` installs it). A test module takes the
fixture with `from pds import pds_fixture` and asks for `pds`:

    def test_post(pds):
        did = pds.create_account("alice.test", "a-password")

Without Node or the installed project the tests skip, and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import missing_service

NODE_PROJECT = Path(__file__).parent / "bluesky"
START_SCRIPT = NODE_PROJECT / "pds.mjs"
START_TIMEOUT = 60.0
INSTALL_HINT = "Bluesky PDS (run `sh scripts/test.sh` to install tests/bluesky)"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _wait_until_ready(process: subprocess.Popen, lines: queue.Queue, log: list[str]) -> dict:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            break
        if line is None:
            break
        log.append(line)
        if line.startswith("{") and '"ready":true' in line:
            return json.loads(line)
    process.kill()
    process.wait()
    raise RuntimeError("the PDS did not start:\n" + "".join(log[-40:]))


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


@pytest.fixture(scope="session", name="pds")
def pds_fixture(tmp_path_factory):
    """Start the PDS for the session; yield a LocalPds; stop it at the end."""
    node = shutil.which("node")
    if node is None or not (NODE_PROJECT / "node_modules" / "@atproto" / "pds").is_dir():
        missing_service(INSTALL_HINT)
    data = tmp_path_factory.mktemp("pds")
    process = subprocess.Popen(
        [node, str(START_SCRIPT), "--pds-port", str(free_port()),
         "--plc-port", str(free_port()), "--data", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "LOG_ENABLED": "false"},
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    log: list[str] = []
    try:
        ready = _wait_until_ready(process, lines, log)
        _wait_healthy(ready["pds"])
    except RuntimeError as exc:
        missing_service(f"{INSTALL_HINT}: {exc}")
    yield LocalPds(url=ready["pds"], plc_url=ready["plc"])
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

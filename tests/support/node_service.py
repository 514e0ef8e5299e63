"""Waiting for a Node test server (tests/bluesky, tests/bluesky-network) to say it is ready.

Both start scripts print one JSON line holding `"ready":true` and the servers' URLs
once they listen; until then they may log anything.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def wait_until_ready(process: subprocess.Popen, what: str, timeout: float) -> dict:
    """The ready line of `process` (started with text stdout piped) as a dict; on a timeout
    or an early exit, kill it and raise RuntimeError with the last of its output."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    log: list[str] = []
    deadline = time.monotonic() + timeout
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
    raise RuntimeError(f"{what} did not start:\n" + "".join(log[-40:]))

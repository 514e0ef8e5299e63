"""The worker: a separate process that runs due work in passes and leaves a heartbeat.

Each pass runs every job it is given with the current time; a job that fails is
logged and reported in the pass summary without stopping the others. The CLI
builds the job list (sending queued pitches; later publishing, feed polling and
follower snapshots).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.clock import utcnow
from outreach.store.tables import worker_heartbeats

log = logging.getLogger(__name__)

# A job takes the store and "now" and returns a one-line summary of what it did.
Job = Callable[[Engine, datetime], str]

# A heartbeat older than this many intervals means the worker is not running.
STALE_AFTER_INTERVALS = 3


def worker_id() -> str:
    """This process's name in the heartbeat table: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_pass(db: Engine, now: datetime, jobs: Sequence[tuple[str, Job]] = ()) -> str:
    """Run every job once; return a summary line, naming any job that failed."""
    parts = []
    for name, job in jobs:
        try:
            parts.append(f"{name}: {job(db, now)}")
        except Exception as exc:  # one failing job must not stop the others
            log.exception("worker job %s failed", name)
            parts.append(f"{name}: failed ({exc})")
    return "; ".join(parts) or "nothing due"


def beat(
    db: Engine,
    wid: str,
    *,
    now: datetime,
    started_at: datetime,
    interval: float,
    passes: int,
    summary: str,
    stopped: bool = False,
    settings: dict[str, str] | None = None,
) -> None:
    """Record that worker `wid` is alive (or has stopped) as of `now`, with the settings
    it runs with, so the dashboard can tell when they differ from its own."""
    values = {
        "settings": settings,
        "beat_at": now,
        "interval_s": interval,
        "passes": passes,
        "last_summary": summary,
        "stopped_at": now if stopped else None,
    }
    with db.begin() as conn:
        updated = conn.execute(
            worker_heartbeats.update()
            .where(worker_heartbeats.c.worker_id == wid)
            .values(**values)
        ).rowcount
        if not updated:
            conn.execute(
                worker_heartbeats.insert().values(
                    worker_id=wid, started_at=started_at, **values
                )
            )


def run(
    db: Engine,
    *,
    interval: float,
    stop: threading.Event,
    once: bool = False,
    jobs: Sequence[tuple[str, Job]] = (),
    clock: Callable[[], datetime] = utcnow,
    settings: dict[str, str] | None = None,
) -> int:
    """Run passes every `interval` seconds until `stop` is set (or once); return passes run.
    `settings` (name -> value, no secrets) goes into every heartbeat."""
    wid = worker_id()
    started = clock()
    passes = 0
    summary = ""
    log.info("worker %s started, interval %ss", wid, interval)
    while True:
        now = clock()
        summary = run_pass(db, now, jobs)
        passes += 1
        beat(db, wid, now=now, started_at=started, interval=interval,
             passes=passes, summary=summary, settings=settings)
        log.debug("pass %s: %s", passes, summary)
        if once or stop.wait(interval):
            break
    beat(db, wid, now=clock(), started_at=started, interval=interval,
         passes=passes, summary=summary, stopped=True, settings=settings)
    log.info("worker %s stopped after %s passes", wid, passes)
    return passes


@dataclass(frozen=True)
class WorkerStatus:
    """What the dashboard says about the worker: running, stopped, stale or never."""

    state: str
    worker_id: str = ""
    beat_at: datetime | None = None
    passes: int = 0
    last_summary: str = ""
    settings: dict[str, str] | None = None  # what the worker runs with, as it last said

    def describe(self, now: datetime) -> str:
        """One sentence for people, e.g. 'running; last pass 12 s ago'."""
        if self.state == "never":
            return "never run: start it with `make run` or `python -m outreach worker`"
        age = int((now - self.beat_at).total_seconds())
        if self.state == "running":
            return f"running ({self.worker_id}); last pass {age} s ago"
        if self.state == "stopped":
            return f"stopped {age} s ago ({self.worker_id})"
        return f"not responding: last heartbeat {age} s ago ({self.worker_id})"


def worker_status(db: Engine, now: datetime) -> WorkerStatus:
    """A running worker if there is one, else the most recent heartbeat's state."""
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(worker_heartbeats).order_by(worker_heartbeats.c.beat_at.desc())
        ).all()
    if not rows:
        return WorkerStatus("never")

    def state(row) -> str:
        if row.stopped_at is not None:
            return "stopped"
        limit = STALE_AFTER_INTERVALS * row.interval_s + 5
        return "stale" if (now - row.beat_at).total_seconds() > limit else "running"

    row = next((r for r in rows if state(r) == "running"), rows[0])
    return WorkerStatus(state(row), row.worker_id, row.beat_at, row.passes, row.last_summary,
                        row.settings)


def settings_compared(mine: list[dict[str, str]], status: WorkerStatus) -> list[dict]:
    """Each setting as this process has it beside the running worker's value, and
    whether they differ (the worker reads its settings when it starts)."""
    theirs = status.settings if status.state == "running" and status.settings else None
    return [{"setting": row["setting"], "here": row["value"],
             "worker": "" if theirs is None else theirs.get(row["setting"], ""),
             "differs": theirs is not None and theirs.get(row["setting"]) != row["value"],
             "what it does": row["what it does"]} for row in mine]

"""The worker runs passes, survives a failing job, stops on a signal and leaves a heartbeat."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from outreach import clock
from outreach.config import Settings
from outreach.ops import worker
from outreach.store import make_engine

ROOT = Path(__file__).resolve().parents[1]


def test_no_heartbeat_means_never_run(db, now):
    status = worker.worker_status(db, now)
    assert status.state == "never"
    assert "python -m outreach worker" in status.describe(now)


def test_one_pass_leaves_a_stopped_heartbeat(db, now):
    assert worker.run(db, interval=30, stop=threading.Event(), once=True,
                      clock=lambda: now) == 1
    status = worker.worker_status(db, now)
    assert status.state == "stopped"
    assert status.passes == 1 and status.last_summary == "nothing due"


def test_heartbeat_goes_stale_after_missed_passes(db, now):
    worker.beat(db, "w1", now=now, started_at=now, interval=10, passes=3, summary="ok")
    assert worker.worker_status(db, now + timedelta(seconds=15)).state == "running"
    late = now + timedelta(seconds=60)
    stale = worker.worker_status(db, late)
    assert stale.state == "stale"
    assert "not responding" in stale.describe(late)


def test_a_running_worker_wins_over_one_that_stopped_later(db, now):
    worker.beat(db, "a", now=now, started_at=now, interval=10, passes=1, summary="")
    later = now + timedelta(seconds=5)
    worker.beat(db, "b", now=later, started_at=now, interval=10, passes=1, summary="",
                stopped=True)
    status = worker.worker_status(db, later)
    assert (status.state, status.worker_id) == ("running", "a")


def test_a_failing_job_does_not_stop_the_others(db, now):
    def broken(_db, _now):
        raise RuntimeError("feed server on fire")

    summary = worker.run_pass(db, now, [("poll", broken), ("snap", lambda _d, _n: "2 taken")])
    assert summary == "poll: failed (feed server on fire); snap: 2 taken"


def test_loop_stops_when_asked(db):
    stop = threading.Event()
    passes = []
    jobs = [("count", lambda _d, _n: passes.append(1) or "counted")]
    runner = threading.Thread(
        target=lambda: worker.run(db, interval=0.05, stop=stop, jobs=jobs))
    runner.start()
    deadline = time.monotonic() + 10
    while len(passes) < 3:
        if time.monotonic() > deadline:
            stop.set()
            pytest.fail(f"the worker made {len(passes)} passes in 10 s, at 0.05 s apart")
        time.sleep(0.01)
    stop.set()
    runner.join(timeout=5)
    assert not runner.is_alive()
    assert worker.worker_status(db, clock.utcnow()).state == "stopped"


def _state(engine) -> str:
    try:
        return worker.worker_status(engine, clock.utcnow()).state
    except sa.exc.OperationalError:  # the worker has not created the tables yet
        return "starting"


def test_worker_process_stops_cleanly_on_sigterm(tmp_path):
    env = {**os.environ, "OUTREACH_DATA_DIR": str(tmp_path), "OUTREACH_WORKER_INTERVAL": "0.2"}
    env.pop("OUTREACH_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "outreach", "worker"], cwd=tmp_path,
                            env={**env, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'outreach.db'}")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _state(engine) != "running":
            time.sleep(0.1)
        assert _state(engine) == "running"
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "Worker stopped after" in output
    assert worker.worker_status(engine, clock.utcnow()).state == "stopped"
    engine.dispose()


def test_the_heartbeat_carries_the_settings_the_worker_runs_with(db, now):
    mine = Settings.from_env({"OUTREACH_TIMEZONE": "America/Chicago"}, env_file=None)
    runs_with = {row["setting"]: row["value"] for row in mine.describe()}
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(db,), kwargs={
        "interval": 30, "stop": stop, "settings": runs_with})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while worker.worker_status(db, clock.utcnow()).state != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        status = worker.worker_status(db, clock.utcnow())
        assert status.settings["OUTREACH_TIMEZONE"] == "America/Chicago"
        # The dashboard's .env has changed since the worker started.
        now_here = Settings.from_env({"OUTREACH_TIMEZONE": "Europe/Madrid"}, env_file=None)
        rows = worker.settings_compared(now_here.describe(), status)
        differs = {r["setting"]: (r["here"], r["worker"]) for r in rows if r["differs"]}
        assert differs == {"OUTREACH_TIMEZONE": ("Europe/Madrid", "America/Chicago")}
    finally:
        stop.set()
        thread.join()
    stopped = worker.worker_status(db, clock.utcnow())
    assert not any(r["differs"] for r in worker.settings_compared(now_here.describe(),
                                                                    stopped))

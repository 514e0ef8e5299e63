"""`python -m outreach`: every subcommand has help, works on a fresh store, and fails clearly."""

import getpass
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from outreach.auth import sessions, users
from outreach.cli import main
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.roles import Actor, cli_actor
from outreach.store import make_engine

ROOT = Path(__file__).resolve().parents[1]

SUBCOMMANDS = [
    ["migrate"], ["demo"], ["status"], ["campaigns"], ["campaigns", "add"],
    ["campaigns", "list"], ["campaigns", "event"], ["worker"], ["users"], ["users", "add"],
    ["users", "list"], ["users", "set-role"], ["users", "disable"], ["users", "enable"],
    ["users", "reset-password"], ["users", "bootstrap"], ["users", "set-email"],
    ["users", "sign-out"], ["vault"],
    ["vault", "rotate-key"],
    ["audit"], ["backup"], ["restore"], ["campaigns", "set-query"], ["campaigns", "set-news"],
    ["coverage"],
    ["coverage", "export"], ["coverage", "report"], ["accounts", "slots"], ["post", "edit"],
    ["post", "cost"], ["feeds"], ["feeds", "add"], ["feeds", "list"], ["feeds", "remove"],
    ["feeds", "poll"], ["metrics", "snapshot"], ["digest"],
]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_subcommand():
    result = subprocess.run([sys.executable, "-m", "outreach", "--help"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    for name in ("migrate", "demo", "status", "campaigns", "worker"):
        assert name in result.stdout


@pytest.mark.parametrize("argv", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_has_help(capsys, argv):
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    assert "usage: python -m outreach " + " ".join(argv) in capsys.readouterr().out


def test_migrate_then_nothing_to_do(app_env, capsys):
    assert run(capsys, "migrate")[1].startswith("Applied 0001")
    assert run(capsys, "migrate")[1].startswith("Already up to date")
    assert (app_env / "outreach.db").is_file()


def test_demo_then_status_shows_the_counts(app_env, capsys):
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "40 journalists" in out
    code, out, _ = run(capsys, "status")
    assert code == 0
    assert "Journalists on file: 40" in out
    assert "Campaign: Acme Logistics Contract Fight" in out
    assert "scheduled" in out and "published" in out
    assert "Worker: never run" in out
    code, out, _ = run(capsys, "status", "--json")
    status = json.loads(out)
    campaign = status["campaigns"][0]
    assert status["journalists"] == 40
    assert campaign["releases"]["draft"] == 1 and campaign["hits"] == 8
    assert status["worker"]["state"] == "never"


def test_demo_refuses_data_and_if_empty_is_quiet(app_env, capsys):
    run(capsys, "demo")
    code, _, err = run(capsys, "demo")
    assert code == 1 and "--force" in err
    code, out, _ = run(capsys, "demo", "--if-empty")
    assert code == 0 and "not loaded" in out


def test_campaigns_add_list_event(app_env, capsys):
    assert run(capsys, "campaigns", "list")[1].startswith("No campaigns yet")
    code, out, _ = run(capsys, "campaigns", "add", "Hotel strike", "--employer", "Grand Hotel",
                       "--union", "Local 9", "--timezone", "America/Denver")
    assert code == 0 and "America/Denver" in out
    code, out, _ = run(capsys, "campaigns", "event", "Hotel strike", "--date", "2026-12-03",
                       "--title", "Strike vote", "--kind", "strike_vote")
    assert code == 0 and "2026-12-03" in out
    code, out, _ = run(capsys, "campaigns", "list")
    assert "Hotel strike  (Grand Hotel / Local 9)  [America/Denver]" in out
    listed = json.loads(run(capsys, "campaigns", "list", "--json")[1])
    assert listed[0]["employer"] == "Grand Hotel"
    code, out, _ = run(capsys, "campaigns", "set-query", "Hotel strike",
                       '"Grand Hotel" AND (strike OR union)')
    assert code == 0 and 'Coverage query for \'Hotel strike\': "Grand Hotel"' in out
    code, _, err = run(capsys, "campaigns", "set-query", "Hotel strike", '"Grand Hotel" AND (')
    assert code == 1 and "position" in err
    code, out, _ = run(capsys, "campaigns", "set-news", "Hotel strike", "--language", "es-419",
                       "--country", "us")
    assert code == 0 and "es-419 / US" in out
    code, _, err = run(capsys, "campaigns", "set-news", "Hotel strike", "--language", "Spanish",
                       "--country", "US")
    assert code == 1 and "not a language code" in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["campaigns", "add", "X", "--timezone", "Moon/Base"], "not a known IANA time zone"),
        (["campaigns", "event", "Nope", "--date", "2026-12-03", "--title", "T"],
         "No campaign named 'Nope'"),
    ],
)
def test_user_errors_exit_1_with_a_message(app_env, capsys, argv, says):
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert err.startswith("error: ") and says in err


def test_bad_date_names_the_format(app_env, capsys):
    run(capsys, "campaigns", "add", "Drive")
    code, _, err = run(capsys, "campaigns", "event", "Drive", "--date", "3 Dec", "--title", "T")
    assert code == 1 and "YYYY-MM-DD" in err


def test_bad_setting_exits_1(app_env, capsys, monkeypatch):
    monkeypatch.setenv("OUTREACH_WORKER_INTERVAL", "often")
    code, _, err = run(capsys, "status")
    assert code == 1 and "OUTREACH_WORKER_INTERVAL" in err


def test_worker_once_exits_0(app_env, capsys):
    code, out, _ = run(capsys, "worker", "--once")
    assert code == 0 and "One pass done" in out
    assert "Worker: stopped" in run(capsys, "status")[1]


def test_users_from_the_command_line(app_env, capsys, monkeypatch):
    code, out, _ = run(capsys, "users", "bootstrap")
    assert code == 0 and "name:     admin" in out
    assert run(capsys, "users", "bootstrap")[1] == ""
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    code, out, _ = run(capsys, "users", "add", "maria", "--role", "editor",
                       "--email", "maria@example.org", "--password-stdin")
    assert code == 0 and out == "Added maria (editor).\n"
    assert run(capsys, "users", "set-role", "maria", "approver")[0] == 0
    assert run(capsys, "users", "disable", "maria")[0] == 0
    code, out, _ = run(capsys, "users", "list")
    assert "maria" in out and "approver" in out and "disabled" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = run(capsys, "users", "reset-password", "maria", "--password-stdin")
    assert code == 1 and "at least 10 characters" in err
    code, out, _ = run(capsys, "audit", "--user", "cli:" + getpass.getuser())
    assert "set_role" in out and "user maria: editor -> approver" in out
    assert "correct horse battery" not in out


def test_an_admin_signs_a_user_out_everywhere(app_env, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    run(capsys, "users", "add", "maria", "--role", "editor", "--password-stdin")
    db = make_engine(Settings.from_env().database_url)
    try:
        maria = next(u for u in users.list_users(db, cli_actor()) if u.name == "maria")
        token = sessions.start_session(db, Actor("maria", "editor", maria.id),
                                       now=utcnow(), lifetime=timedelta(days=7))
        code, out, _ = run(capsys, "users", "sign-out", "maria")
        assert code == 0
        assert out == "maria is signed out everywhere (1 open session(s) ended).\n"
        check = sessions.check_session(db, token, now=utcnow(), idle=timedelta(hours=12))
        assert check.actor is None
    finally:
        db.dispose()
    code, _, err = run(capsys, "users", "sign-out", "nobody")
    assert code == 1 and "No user named 'nobody'" in err


def test_output_piped_to_a_reader_that_stops_early_ends_quietly(app_env):
    """`python -m outreach post list | head -1`: the reader closes the pipe first; the
    command stops without a traceback, as other command-line tools do."""
    env = {**os.environ, "OUTREACH_DATA_DIR": str(app_env)}
    subprocess.run([sys.executable, "-m", "outreach", "demo"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    done = subprocess.run(["sh", "-c", f"'{sys.executable}' -m outreach post list | true"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.stderr == ""
    assert done.returncode == 0


def test_password_prompt_must_match(app_env, capsys, monkeypatch):
    answers = iter(["correct horse battery", "correct horse batterx"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    code, _, err = run(capsys, "users", "add", "x", "--role", "viewer")
    assert code == 1 and "differ" in err


def test_audit_filters(app_env, capsys):
    run(capsys, "campaigns", "add", "Drive")
    assert "campaign" in run(capsys, "audit", "--since", "2000-01-01")[1]
    assert run(capsys, "audit", "--since", "2999-01-01")[1] == "No audit entries match.\n"
    assert run(capsys, "audit", "--user", "nobody")[1] == "No audit entries match.\n"


def test_vault_rotate_key(app_env, capsys):
    code, out, _ = run(capsys, "vault", "rotate-key")
    assert code == 0 and "Re-encrypted 0 secrets under a new key" in out


def test_backup_and_restore(app_env, tmp_path, capsys, monkeypatch):
    run(capsys, "demo")
    code, out, _ = run(capsys, "backup", str(tmp_path / "snap.db"))
    assert code == 0 and "sqlite" in out
    code, _, err = run(capsys, "restore", str(tmp_path / "snap.db"))
    assert code == 1 and "error: " in err
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(tmp_path / "other"))
    code, out, _ = run(capsys, "restore", str(tmp_path / "snap.db"))
    assert code == 0 and out.startswith("Restored ")
    assert "Journalists on file: 40" in run(capsys, "status")[1]

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

from outreach.auth import sessions, throttle, users
from outreach.cli import main
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.errors import SignInFailed
from outreach.roles import Actor, cli_actor
from outreach.store import make_engine

ROOT = Path(__file__).resolve().parents[1]

SUBCOMMANDS = [
    ["migrate"], ["demo"], ["status"], ["campaigns"], ["campaigns", "add"],
    ["campaigns", "list"], ["campaigns", "event"], ["worker"], ["users"], ["users", "add"],
    ["users", "list"], ["users", "set-role"], ["users", "disable"], ["users", "enable"],
    ["users", "reset-password"], ["users", "bootstrap"], ["users", "set-email"],
    ["users", "sign-out"], ["users", "waiting"], ["users", "lift-wait"], ["vault"],
    ["vault", "rotate-key"],
    ["audit"], ["backup"], ["restore"], ["campaigns", "set-query"], ["campaigns", "set-news"],
    ["coverage"],
    ["coverage", "export"], ["coverage", "report"], ["accounts", "slots"], ["post", "edit"],
    ["post", "cost"], ["feeds"], ["feeds", "add"], ["feeds", "list"], ["feeds", "remove"],
    ["feeds", "poll"], ["feeds", "import"], ["feeds", "export"], ["metrics", "snapshot"],
    ["digest"], ["post", "submit"], ["post", "approve"], ["post", "reject"],
    ["release", "list"], ["release", "new"], ["release", "edit"], ["release", "submit"],
    ["release", "approve"], ["release", "reject"], ["release", "export"], ["settings", "get"],
    ["settings", "set"], ["journalists", "list"], ["journalists", "add"],
    ["journalists", "edit"], ["journalists", "remove"], ["lists", "add"], ["lists", "remove"],
    ["spokespeople", "add"], ["spokespeople", "edit"], ["spokespeople", "remove"],
    ["feeds", "watch-edgar"], ["feeds", "watch-items"],
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


def test_an_admin_sees_and_lifts_sign_in_waits(app_env, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    run(capsys, "users", "add", "maria", "--role", "editor", "--password-stdin")
    db = make_engine(Settings.from_env().database_url)
    limits = throttle.Limits(free=1, client_max_wait=timedelta(minutes=15))
    try:
        for _ in range(2):
            with pytest.raises(SignInFailed):
                users.sign_in(db, "maria", "guess guess guess", client="198.51.100.7",
                              now=utcnow(), limits=limits)
    finally:
        db.dispose()
    code, out, _ = run(capsys, "users", "waiting")
    assert code == 0
    assert [line.split()[:3] for line in out.splitlines()] == [
        ["client", "198.51.100.7", "2"], ["name", "maria", "2"]]
    assert "sign-in waits until" in run(capsys, "users", "list")[1]
    code, _, err = run(capsys, "users", "lift-wait")
    assert code == 1 and "Name a user (NAME) or an address (--address ADDRESS)" in err
    code, out, _ = run(capsys, "users", "lift-wait", "maria", "--address", "198.51.100.7")
    assert code == 0 and out.startswith("maria and 198.51.100.7 may sign in again at once")
    assert run(capsys, "users", "waiting")[1] == "No name or address is waiting to sign in.\n"
    assert "sign-in waits" not in run(capsys, "users", "list")[1]
    code, out, _ = run(capsys, "audit", "--user", "cli:" + getpass.getuser())
    assert "clear_throttle user maria" in out and "clear_throttle address 198.51.100.7" in out


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


# --- a command line that starts fast and scripts the whole workflow ---------------------------

HEAVY = ("sqlalchemy", "atproto", "atproto_client", "tweepy", "pandas", "streamlit", "httpx",
         "jinja2", "PIL", "feedparser", "twitter_text")


def modules_loaded(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running `code`."""
    probe = code + "\nimport sys; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return set(done.stdout.split())


def test_help_imports_no_feature_and_no_sdk():
    loaded = modules_loaded("from outreach.cli import build_parser; "
                            "build_parser().format_help()")
    assert not loaded & set(HEAVY)


def test_counting_for_x_loads_neither_bluesky_nor_the_database():
    loaded = modules_loaded(
        "import contextlib, io\nfrom outreach.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['social', 'count', '--platform', 'x', 'Rally at https://example.org'])")
    assert "twitter_text" in loaded
    assert not loaded & {"atproto", "atproto_client", "sqlalchemy", "tweepy", "pandas",
                         "streamlit"}


def test_version_and_exit_codes_in_help():
    from outreach import __version__

    done = subprocess.run([sys.executable, "-m", "outreach", "--version"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"python -m outreach {__version__}"
    shown = subprocess.run([sys.executable, "-m", "outreach", "--help"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout
    assert "exit codes:" in shown and "141" in shown


def add_user(capsys, name: str, role: str, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"a long password for {name}\n"))
    assert run(capsys, "users", "add", name, "--role", role, "--password-stdin")[0] == 0


STATEMENT = {"headline": "Local 101 answers Acme", "city": "Riverside", "date": "2026-12-04",
             "spokesperson": {"name": "Rosa Diaz", "role": "Steward"},
             "statement": "We will bargain until the contract is fair."}


def test_a_release_is_drafted_voted_and_exported_from_a_script(app_env, tmp_path, capsys,
                                                               monkeypatch):
    """Two approvers vote with --as; a vote without a user is refused; the audit log and
    the store say who did what, as the dashboard would."""
    run(capsys, "campaigns", "add", "Acme drive")
    add_user(capsys, "ana", "approver", monkeypatch)
    add_user(capsys, "luis", "approver", monkeypatch)
    add_user(capsys, "vic", "viewer", monkeypatch)
    values = tmp_path / "statement.json"
    values.write_text(json.dumps(STATEMENT))

    code, _, err = run(capsys, "--as", "vic", "release", "new", "statement.en",
                       "--data", str(values))
    assert code == 1 and "vic has the viewer role" in err
    code, out, _ = run(capsys, "--as", "ana", "release", "new", "statement.en",
                       "--data", str(values))
    assert code == 0 and out.startswith("Release 1 'Local 101 answers Acme' saved as a draft")
    assert run(capsys, "release", "submit", "1")[0] == 0

    code, _, err = run(capsys, "release", "approve", "1")
    assert code == 1 and "add --as NAME" in err
    code, _, err = run(capsys, "--as", "nobody", "release", "approve", "1")
    assert code == 1 and "No user is called 'nobody'" in err
    code, out, _ = run(capsys, "--as", "luis", "release", "approve", "1")
    assert code == 0 and "It is approved." in out  # ana wrote it: her vote would not count

    export = tmp_path / "statement.md"
    assert run(capsys, "release", "export", "1", "--format", "md", "--out", str(export))[0] == 0
    assert "Local 101 answers Acme" in export.read_text() and "DRAFT" not in export.read_text()
    listed = json.loads(run(capsys, "release", "list", "--json")[1])
    assert [(r["id"], r["status"]) for r in listed] == [(1, "approved")]
    log = json.loads(run(capsys, "audit", "--json")[1])
    assert {(e["actor"], e["action"]) for e in log} >= {("ana", "create"),
                                                         ("luis", "vote_approve")}

    monkeypatch.setenv("OUTREACH_USER", "ana")
    code, out, _ = run(capsys, "release", "edit", "1", "--data", str(values))
    assert code == 0 and "unchanged" in out


def test_committee_settings_are_read_and_set_by_admins_only(app_env, capsys, monkeypatch):
    add_user(capsys, "ana", "approver", monkeypatch)
    assert run(capsys, "settings", "set", "release_rule", "at_least 2")[1] == \
        "release_rule is now at_least 2.\n"
    assert run(capsys, "settings", "get", "release_rule")[1] == "at_least 2\n"
    assert json.loads(run(capsys, "settings", "get", "--json")[1])["release_rule"] == \
        {"kind": "at_least", "n": 2}
    code, _, err = run(capsys, "--as", "ana", "settings", "set", "pitch_rate_per_minute", "5")
    assert code == 1 and "needs admin" in err
    for key, value, says in (("hold_late_posts", "maybe", "write yes or no"),
                             ("smtp_port", "0", "a port number"),
                             ("pitch_rate_per_minute", "fast", "not a whole number"),
                             ("colour", "red", "Unknown setting 'colour'")):
        code, _, err = run(capsys, "settings", "set", key, value)
        assert code == 1 and says in err, (key, err)
    assert run(capsys, "settings", "get", "pitch_rate_per_minute")[1] == "20\n"


def test_the_press_list_is_kept_from_a_script(app_env, capsys):
    code, out, _ = run(capsys, "journalists", "add", "Dana Quill", "--outlet", "Daily Example",
                       "--set", "email=dana@daily.example.org", "--set", "beats=labor")
    assert code == 0 and out == "Added journalist 1: Dana Quill.\n"
    code, _, err = run(capsys, "journalists", "add", "D. Quill",
                       "--set", "email=DANA@daily.example.org")
    assert code == 1 and "Dana Quill" in err
    code, _, err = run(capsys, "journalists", "add", "Sam", "--set", "email")
    assert code == 1 and "FIELD=VALUE" in err
    assert run(capsys, "journalists", "edit", "1", "--set", "phone=555-0101")[1] == \
        "Journalist 1: changed phone.\n"
    (row,) = json.loads(run(capsys, "journalists", "list", "--json")[1])
    assert (row["name"], row["outlet"], row["beats"]) == ("Dana Quill", "Daily Example", "labor")

    assert run(capsys, "lists", "add", "Labor desk", "--description", "who covers us")[0] == 0
    assert json.loads(run(capsys, "lists", "list", "--json")[1]) == [
        {"name": "Labor desk", "description": "who covers us", "members": 0}]
    assert run(capsys, "lists", "remove", "Labor desk")[0] == 0
    assert json.loads(run(capsys, "lists", "list", "--json")[1]) == []

    code, out, _ = run(capsys, "spokespeople", "add", "Rosa Diaz", "--set", "languages=en, es",
                       "--set", "media_trained=yes", "--set", "available_from=2026-12-01")
    assert code == 0
    code, _, err = run(capsys, "spokespeople", "edit", "1", "--set", "available_to=2026-11-01")
    assert code == 1 and "before its start" in err
    (person,) = json.loads(run(capsys, "spokespeople", "list", "--on", "2026-12-04",
                               "--json")[1])
    assert (person["name"], person["media_trained"]) == ("Rosa Diaz", True)
    assert run(capsys, "spokespeople", "remove", "1")[0] == 0
    assert run(capsys, "journalists", "remove", "1")[0] == 0
    assert json.loads(run(capsys, "journalists", "list", "--json")[1]) == []


@pytest.mark.parametrize("argv", [
    ["campaigns", "list"], ["users", "list"], ["audit"], ["status"], ["feeds", "list"],
    ["accounts", "list"], ["post", "list"], ["release", "list"], ["templates", "list"],
    ["guard", "list"], ["journalists", "list"], ["lists", "list"], ["spokespeople", "list"],
    ["settings", "get"],
], ids=" ".join)
def test_every_list_command_prints_json(app_env, capsys, argv):
    run(capsys, "demo")
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 0
    # the demo adds no users and protects no names; everything else has rows
    assert json.loads(out) or argv in (["guard", "list"], ["users", "list"])

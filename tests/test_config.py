"""Settings come from the environment and .env, with clear errors for bad values."""

import re
import tomllib
from pathlib import Path

import pytest

from outreach.config import SETTINGS, Settings, env_example, readme_table
from outreach.coverage.fetch import PollSettings
from outreach.errors import ConfigError
from outreach.social import images

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_put_sqlite_in_data_dir():
    settings = Settings.from_env({}, env_file=None)
    assert settings.database_url == "sqlite:///data/outreach.db"
    assert settings.timezone == "UTC"
    assert settings.worker_interval == 30
    assert settings.log_level == "INFO"


def test_env_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("OUTREACH_TIMEZONE=Europe/Madrid\nOUTREACH_WORKER_INTERVAL=5\n")
    settings = Settings.from_env({"OUTREACH_WORKER_INTERVAL": "7"}, env_file=env_file)
    assert settings.timezone == "Europe/Madrid"
    assert settings.worker_interval == 7


def test_database_url_overrides_data_dir():
    url = "postgresql+psycopg://u:secret@127.0.0.1/outreach"
    settings = Settings.from_env(
        {"OUTREACH_DATABASE_URL": url, "OUTREACH_DATA_DIR": "/elsewhere"}, env_file=None
    )
    assert settings.database_url == url
    shown = {row["setting"]: row["value"] for row in settings.describe()}
    assert "secret" not in shown["OUTREACH_DATABASE_URL"]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("OUTREACH_TIMEZONE", "Mars/Olympus", "not a known IANA time zone"),
        ("OUTREACH_WORKER_INTERVAL", "soon", "positive number of seconds"),
        ("OUTREACH_WORKER_INTERVAL", "0", "positive number of seconds"),
        ("OUTREACH_LOG_LEVEL", "LOUD", "must be one of"),
    ],
)
def test_bad_values_name_the_setting(name, value, says):
    with pytest.raises(ConfigError, match=says) as caught:
        Settings.from_env({name: value}, env_file=None)
    assert name in str(caught.value) or "time zone" in str(caught.value)


REGENERATE = ("regenerate it: .venv/bin/python -c 'from outreach.config import {0}; "
              "print({0}(), end=\"\")'")


def test_env_example_is_made_from_the_declarations():
    text = (ROOT / ".env.example").read_text()
    assert text == env_example(), ".env.example is out of date; " + REGENERATE.format(
        "env_example") + " > .env.example"
    documented = dict(re.findall(r"^(OUTREACH_\w+)=(.*)$", text, re.M))
    assert documented == {s.env: s.default for s in SETTINGS}


def test_readme_table_is_made_from_the_declarations():
    assert readme_table() in (ROOT / "README.md").read_text(), (
        "the README's settings table is out of date; " + REGENERATE.format("readme_table")
        + " and paste it under Configuration")


def test_each_default_is_what_a_process_gets_with_nothing_set():
    """The value written in .env.example is the value in effect: no second default hides
    anywhere (OUTREACH_FEED_CONCURRENCY once said 20 in the docs and was 8 in effect)."""
    from_nothing = Settings.from_env({}, env_file=None)
    from_example = Settings.from_env({s.env: s.default for s in SETTINGS}, env_file=None)
    assert from_nothing == from_example == Settings()
    assert PollSettings.from_settings(from_nothing).concurrency == 16


def test_every_setting_is_shown_with_help():
    rows = Settings.from_env({}, env_file=None).describe()
    assert [r["setting"] for r in rows] == [s.env for s in SETTINGS]
    assert all(r["what it does"] for r in rows)


def test_the_dashboard_shows_no_tracebacks_and_no_raw_table_downloads():
    """Streamlit's own settings for the dashboard: a failure shows no traceback or path,
    and tables have no raw CSV download (cells starting with = would run as formulas)."""
    with open(Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml", "rb") as f:
        dashboard = tomllib.load(f)
    client = dashboard["client"]
    assert client["showErrorDetails"] == "none"
    assert client["disableDataExport"] is True
    # what the largest press list and photos need, not Streamlit's 200 MB; the command
    # line reads no larger image than the page takes
    assert dashboard["server"]["maxUploadSize"] == 50 == images.MAX_FILE_BYTES // 1_048_576

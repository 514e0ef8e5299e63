"""Settings: the one place that reads environment variables and `.env`.

Every setting is declared once, as a field of `Settings` made by `setting(...)`: its
variable, default, help and parsing. `.env.example`, the README's table and the Settings
page are derived from those declarations, and tests keep the files in step.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from outreach.errors import ConfigError

# The shipped release, e-mail and report templates and the sample press list: beside the
# package in a checkout, inside it once installed (setup.py copies them in). Every module
# that reads them finds them here.
_PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED_DIR = _PACKAGE_DIR if (_PACKAGE_DIR / "templates").is_dir() else _PACKAGE_DIR.parent
TEMPLATES_DIR = SHIPPED_DIR / "templates"


def check_timezone(name: str, what: str = "time zone") -> ZoneInfo:
    """Return the zone for an IANA name, or raise ConfigError naming `what`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{what}: {name!r} is not a known IANA time zone "
            "(examples: UTC, America/New_York, Europe/Madrid)."
        ) from None


def _text(text: str, env: str) -> str:
    return text


def _items(text: str, env: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _positive(kind: type, expected: str) -> Callable[[str, str], Any]:
    def parse(text: str, env: str):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not 0 < value < math.inf:  # float() also reads "nan" and "inf"
            raise ConfigError(f"{env} must be {expected}, got {text!r}.")
        return value
    return parse


def _timezone(text: str, env: str) -> str:
    check_timezone(text, env)
    return text


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _log_level(text: str, env: str) -> str:
    level = text.upper()
    if level not in _LOG_LEVELS:
        raise ConfigError(f"{env} must be one of {', '.join(_LOG_LEVELS)}, got {level!r}.")
    return level


def _contact_email(text: str, env: str) -> str:
    value = text.strip()
    if value and ("@" not in value or " " in value):
        raise ConfigError(f"{env} must be an e-mail address (e.g. research@local123.org), "
                          f"got {value!r}.")
    return value


def _shown_url(url: str) -> str:
    import sqlalchemy as sa  # here: every command reads Settings, few show them

    return sa.make_url(url).render_as_string(hide_password=True) if url else ""


@dataclass(frozen=True)
class SettingSpec:
    """One environment variable: its name, default (as written in .env), what it is for,
    how its text becomes a value, and how a value is shown (never a secret)."""

    env: str
    default: str
    help: str
    parse: Callable[[str, str], Any]
    show: Callable[[Any], str]


def setting(env: str, default: str, help: str, parse: Callable[[str, str], Any] = _text, *,
            show: Callable[[Any], str] = str) -> Any:
    """Declare a Settings field read from the variable `env`: the one place its name,
    default, help and parsing are written."""
    return field(default=parse(default, env),
                 metadata={"spec": SettingSpec(env, default, help, parse, show)})


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration for one process. Each field is one environment variable,
    declared here once; `.env.example`, the README table and the Settings page derive
    from these declarations."""

    data_dir: Path = setting(
        "OUTREACH_DATA_DIR", "data",
        "Folder for the SQLite database, the vault key file and other local files.",
        lambda text, env: Path(text))
    database_url: str = setting(
        "OUTREACH_DATABASE_URL", "",
        "SQLAlchemy URL of the store. Empty means SQLite at OUTREACH_DATA_DIR/outreach.db; "
        "for a shared install: postgresql+psycopg://USER:PASSWORD@HOST:5432/DBNAME.",
        show=_shown_url)
    timezone: str = setting(
        "OUTREACH_TIMEZONE", "UTC",
        "IANA time zone given to new campaigns (each campaign keeps its own), "
        "e.g. America/Chicago.", _timezone)
    worker_interval: float = setting(
        "OUTREACH_WORKER_INTERVAL", "30",
        "Seconds the worker waits between passes over due work.",
        _positive(float, "a positive number of seconds"), show=_number)
    log_level: str = setting(
        "OUTREACH_LOG_LEVEL", "INFO",
        "Logging level for the worker and CLI: DEBUG, INFO, WARNING or ERROR.", _log_level)
    secret_keys: tuple[str, ...] = setting(
        "OUTREACH_SECRET_KEY", "",
        "Fernet key(s) for the credential vault, comma-separated, newest first. Empty means "
        "a key file, secret.key, created with mode 0600 in OUTREACH_DATA_DIR. Keep the key "
        "out of the database and out of backups.",
        _items, show=lambda keys: "set" if keys else "(key file)")
    url_allowlist: tuple[str, ...] = setting(
        "OUTREACH_URL_ALLOWLIST", "",
        "Hosts or CIDRs (comma-separated) that outbound fetches may reach although they are "
        "private or local, e.g. intranet.example.org,10.1.0.0/16. A self-hosted Bluesky "
        "server on plain http, or a single sign-on provider inside the network, must be "
        "listed too.",
        _items, show=", ".join)
    session_idle_hours: float = setting(
        "OUTREACH_SESSION_IDLE_HOURS", "12",
        "Hours without activity after which a browser is signed out of the dashboard; "
        "until then a reload or a bookmarked page keeps you signed in.",
        _positive(float, "a positive number of hours"), show=_number)
    session_max_days: float = setting(
        "OUTREACH_SESSION_MAX_DAYS", "7",
        "Days after signing in when a browser must sign in again, however active.",
        _positive(float, "a positive number of days"), show=_number)
    sign_in_free_failures: int = setting(
        "OUTREACH_SIGN_IN_FREE_FAILURES", "5",
        "Failed sign-ins a name, or a client address, may make before each further failure "
        "makes it wait: 5 seconds, doubling after each one. Counts are forgotten a day "
        "after the last failure and cleared by a successful sign-in.",
        _positive(int, "a positive whole number"))
    sign_in_max_wait_minutes: int = setting(
        "OUTREACH_SIGN_IN_MAX_WAIT_MINUTES", "15",
        "Longest wait, in minutes, that failed sign-ins impose on a client address. A "
        "name's wait stops at one minute, so a guesser cannot keep its owner out.",
        _positive(int, "a positive whole number of minutes"))
    feed_min_interval_minutes: int = setting(
        "OUTREACH_FEED_MIN_INTERVAL_MINUTES", "15",
        "Minutes the feed poller waits at least between two fetches of one feed; a feed's "
        "Cache-Control max-age, RSS ttl or Retry-After can make the wait longer, and a "
        "failing feed backs off (up to a day).",
        _positive(int, "a positive whole number of minutes"))
    feed_concurrency: int = setting(
        "OUTREACH_FEED_CONCURRENCY", "16",
        "Feeds the poller fetches at the same time, at most (each outlet's server still sees "
        "no more than OUTREACH_FEED_PER_HOST at once).",
        _positive(int, "a positive whole number"))
    feed_per_host: int = setting(
        "OUTREACH_FEED_PER_HOST", "2",
        "Feeds the poller fetches at the same time from one host, at most.",
        _positive(int, "a positive whole number"))
    feed_connect_timeout: float = setting(
        "OUTREACH_FEED_CONNECT_TIMEOUT", "10",
        "Seconds the poller waits to connect to a feed's server before it gives up.",
        _positive(float, "a positive number of seconds"), show=_number)
    feed_read_timeout: float = setting(
        "OUTREACH_FEED_READ_TIMEOUT", "20",
        "Seconds the poller waits for a feed's server to send the next data before it "
        "gives up.",
        _positive(float, "a positive number of seconds"), show=_number)
    feed_max_mb: float = setting(
        "OUTREACH_FEED_MAX_MB", "5",
        "Largest feed the poller reads, in megabytes; a larger one fails with an error.",
        _positive(float, "a positive number of megabytes"), show=_number)
    feed_stale_days: int = setting(
        "OUTREACH_FEED_STALE_DAYS", "14",
        "Days without a new story after which a feed is flagged stale in `feeds list` and on "
        "the Coverage page, so a feed that quietly stopped is noticed.",
        _positive(int, "a positive whole number of days"))
    edgar_contact: str = setting(
        "OUTREACH_EDGAR_CONTACT", "",
        "Contact e-mail sent in the User-Agent of requests to SEC EDGAR, as EDGAR's fair-access "
        "rule requires; the employer watch refuses EDGAR feeds while it is empty.",
        _contact_email)
    metrics_interval_minutes: int = setting(
        "OUTREACH_METRICS_INTERVAL_MINUTES", "60",
        "Minutes between two snapshots of an account's followers, following and posts. "
        "On X each snapshot is a billed read ($0.005): hourly is about $3.60 a month per "
        "account.",
        _positive(int, "a positive whole number of minutes"))

    def __post_init__(self) -> None:
        if not self.database_url:  # the SQLite default lives in the data folder
            object.__setattr__(self, "database_url",
                               f"sqlite:///{Path(self.data_dir) / 'outreach.db'}")

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        env_file: str | Path | None = ".env",
    ) -> Settings:
        """Read settings from `.env` (if present) overlaid by the environment."""
        values: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update(
                {k: v for k, v in dotenv_values(env_file).items() if v is not None}
            )
        values.update(os.environ if environ is None else environ)
        return cls(**{
            f.name: spec.parse(text, spec.env) if (text := values.get(spec.env, "").strip())
            else f.default
            for f in fields(cls) if (spec := f.metadata["spec"])
        })

    def describe(self) -> list[dict[str, str]]:
        """Every setting with its value (secrets hidden) and help, for display."""
        return [{"setting": spec.env, "value": spec.show(getattr(self, name)),
                 "what it does": spec.help} for name, spec in _specs()]


def _specs() -> list[tuple[str, SettingSpec]]:
    return [(f.name, f.metadata["spec"]) for f in fields(Settings)]


SETTINGS: tuple[SettingSpec, ...] = tuple(spec for _, spec in _specs())


def env_example() -> str:
    """The text of `.env.example`: every setting with its help and default."""
    out = ["# Union Media Desk settings. Copy to .env and change what you need; the",
           "# environment overrides .env. Every variable is optional.", ""]
    for spec in SETTINGS:
        out += textwrap.wrap(spec.help, 86, initial_indent="# ", subsequent_indent="# ")
        out += [f"{spec.env}={spec.default}", ""]
    return "\n".join(out)


def readme_table() -> str:
    """The README's table of settings: variable, default and what it does."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    rows += [f"| `{s.env}` | {f'`{s.default}`' if s.default else 'empty'} | {s.help} |"
             for s in SETTINGS]
    return "\n".join(rows) + "\n"

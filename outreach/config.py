"""Settings: the one place that reads environment variables and `.env`.

Every setting is declared once in `SETTINGS` with its default and help text;
`.env.example` documents each of them and a test keeps the two in step.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from outreach.errors import ConfigError

# The shipped release, e-mail and report templates and the sample press list sit beside
# the package; every module that reads them finds them here.
PROJECT_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_DIR / "templates"


@dataclass(frozen=True)
class SettingSpec:
    """One environment variable: its name, default and what it is for."""

    env: str
    default: str
    help: str


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "OUTREACH_DATA_DIR",
        "data",
        "Folder for the SQLite database and other local files.",
    ),
    SettingSpec(
        "OUTREACH_DATABASE_URL",
        "",
        "SQLAlchemy URL of the store. Empty means SQLite at "
        "OUTREACH_DATA_DIR/outreach.db; use postgresql+psycopg://user:pass@host/db "
        "for a shared install.",
    ),
    SettingSpec(
        "OUTREACH_TIMEZONE",
        "UTC",
        "IANA time zone given to new campaigns (each campaign keeps its own), "
        "e.g. America/Chicago.",
    ),
    SettingSpec(
        "OUTREACH_WORKER_INTERVAL",
        "30",
        "Seconds the worker waits between passes over due work.",
    ),
    SettingSpec(
        "OUTREACH_SECRET_KEY",
        "",
        "Fernet key(s) for the credential vault, comma-separated, newest first. Empty "
        "means a key file, secret.key, created with mode 0600 in OUTREACH_DATA_DIR.",
    ),
    SettingSpec(
        "OUTREACH_URL_ALLOWLIST",
        "",
        "Hosts or CIDRs (comma-separated) that outbound fetches may reach even though "
        "they are private or local, e.g. intranet.example.org,10.1.0.0/16.",
    ),
    SettingSpec(
        "OUTREACH_SESSION_IDLE_HOURS",
        "12",
        "Hours without activity after which a browser is signed out of the dashboard; "
        "until then a reload or a bookmarked page keeps you signed in.",
    ),
    SettingSpec(
        "OUTREACH_SESSION_MAX_DAYS",
        "7",
        "Days after signing in when a browser must sign in again, however active.",
    ),
    SettingSpec(
        "OUTREACH_LOCKOUT_ATTEMPTS",
        "5",
        "Failed sign-ins in a row that lock an account.",
    ),
    SettingSpec(
        "OUTREACH_LOCKOUT_MINUTES",
        "15",
        "Minutes a locked account stays locked.",
    ),
    SettingSpec(
        "OUTREACH_FEED_MIN_INTERVAL_MINUTES",
        "15",
        "Minutes the feed poller waits at least between two fetches of one feed; a feed's "
        "Cache-Control max-age, RSS ttl or Retry-After can make the wait longer.",
    ),
    SettingSpec(
        "OUTREACH_FEED_CONCURRENCY",
        "8",
        "Feeds the poller fetches at the same time, at most.",
    ),
    SettingSpec(
        "OUTREACH_FEED_PER_HOST",
        "2",
        "Feeds the poller fetches at the same time from one host, at most.",
    ),
    SettingSpec(
        "OUTREACH_FEED_CONNECT_TIMEOUT",
        "10",
        "Seconds the poller waits to connect to a feed's server before it gives up.",
    ),
    SettingSpec(
        "OUTREACH_FEED_READ_TIMEOUT",
        "20",
        "Seconds the poller waits for a feed's server to send the next data before it "
        "gives up.",
    ),
    SettingSpec(
        "OUTREACH_FEED_MAX_MB",
        "5",
        "Largest feed the poller reads, in megabytes; a larger one fails with an error.",
    ),
    SettingSpec(
        "OUTREACH_METRICS_INTERVAL_MINUTES",
        "60",
        "Minutes between two snapshots of an account's followers, following and posts. "
        "On X each snapshot is a billed read ($0.005).",
    ),
    SettingSpec(
        "OUTREACH_LOG_LEVEL",
        "INFO",
        "Logging level for the worker and CLI: DEBUG, INFO, WARNING or ERROR.",
    ),
)

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Settings:
    """Resolved configuration for one process."""

    data_dir: Path
    database_url: str
    timezone: str
    worker_interval: float
    log_level: str
    secret_keys: tuple[str, ...] = ()
    url_allowlist: tuple[str, ...] = ()
    session_idle_hours: float = 12.0
    session_max_days: float = 7.0
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    feed_min_interval_minutes: int = 15
    feed_concurrency: int = 20
    feed_per_host: int = 2
    feed_connect_timeout: float = 10.0
    feed_read_timeout: float = 20.0
    feed_max_mb: float = 5.0
    metrics_interval_minutes: int = 60

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

        def get(name: str) -> str:
            spec = next(s for s in SETTINGS if s.env == name)
            return values.get(name, "").strip() or spec.default

        data_dir = Path(get("OUTREACH_DATA_DIR"))
        database_url = get("OUTREACH_DATABASE_URL") or (
            f"sqlite:///{data_dir / 'outreach.db'}"
        )
        timezone = get("OUTREACH_TIMEZONE")
        check_timezone(timezone, "OUTREACH_TIMEZONE")
        interval = _positive(get("OUTREACH_WORKER_INTERVAL"), "OUTREACH_WORKER_INTERVAL",
                             "a positive number of seconds", float)
        log_level = get("OUTREACH_LOG_LEVEL").upper()
        if log_level not in _LOG_LEVELS:
            raise ConfigError(
                f"OUTREACH_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, "
                f"got {log_level!r}."
            )
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            timezone=timezone,
            worker_interval=interval,
            log_level=log_level,
            secret_keys=_items(get("OUTREACH_SECRET_KEY")),
            url_allowlist=_items(get("OUTREACH_URL_ALLOWLIST")),
            session_idle_hours=_positive(
                get("OUTREACH_SESSION_IDLE_HOURS"), "OUTREACH_SESSION_IDLE_HOURS",
                "a positive number of hours", float),
            session_max_days=_positive(
                get("OUTREACH_SESSION_MAX_DAYS"), "OUTREACH_SESSION_MAX_DAYS",
                "a positive number of days", float),
            lockout_attempts=_positive(
                get("OUTREACH_LOCKOUT_ATTEMPTS"), "OUTREACH_LOCKOUT_ATTEMPTS",
                "a positive whole number", int),
            lockout_minutes=_positive(
                get("OUTREACH_LOCKOUT_MINUTES"), "OUTREACH_LOCKOUT_MINUTES",
                "a positive whole number of minutes", int),
            feed_min_interval_minutes=_positive(
                get("OUTREACH_FEED_MIN_INTERVAL_MINUTES"), "OUTREACH_FEED_MIN_INTERVAL_MINUTES",
                "a positive whole number of minutes", int),
            feed_concurrency=_positive(
                get("OUTREACH_FEED_CONCURRENCY"), "OUTREACH_FEED_CONCURRENCY",
                "a positive whole number", int),
            feed_per_host=_positive(
                get("OUTREACH_FEED_PER_HOST"), "OUTREACH_FEED_PER_HOST",
                "a positive whole number", int),
            feed_connect_timeout=_positive(
                get("OUTREACH_FEED_CONNECT_TIMEOUT"), "OUTREACH_FEED_CONNECT_TIMEOUT",
                "a positive number of seconds", float),
            feed_read_timeout=_positive(
                get("OUTREACH_FEED_READ_TIMEOUT"), "OUTREACH_FEED_READ_TIMEOUT",
                "a positive number of seconds", float),
            feed_max_mb=_positive(
                get("OUTREACH_FEED_MAX_MB"), "OUTREACH_FEED_MAX_MB",
                "a positive number of megabytes", float),
            metrics_interval_minutes=_positive(
                get("OUTREACH_METRICS_INTERVAL_MINUTES"), "OUTREACH_METRICS_INTERVAL_MINUTES",
                "a positive whole number of minutes", int),
        )

    def describe(self) -> list[dict[str, str]]:
        """Every setting with its value (passwords hidden) and help, for display."""
        import sqlalchemy as sa  # here: every command reads Settings, few describe them

        values = {
            "OUTREACH_DATA_DIR": str(self.data_dir),
            "OUTREACH_DATABASE_URL": sa.make_url(self.database_url).render_as_string(
                hide_password=True
            ),
            "OUTREACH_TIMEZONE": self.timezone,
            "OUTREACH_WORKER_INTERVAL": f"{self.worker_interval:g}",
            "OUTREACH_LOG_LEVEL": self.log_level,
            "OUTREACH_SECRET_KEY": "set" if self.secret_keys else "(key file)",
            "OUTREACH_URL_ALLOWLIST": ", ".join(self.url_allowlist),
            "OUTREACH_SESSION_IDLE_HOURS": f"{self.session_idle_hours:g}",
            "OUTREACH_SESSION_MAX_DAYS": f"{self.session_max_days:g}",
            "OUTREACH_LOCKOUT_ATTEMPTS": str(self.lockout_attempts),
            "OUTREACH_LOCKOUT_MINUTES": str(self.lockout_minutes),
            "OUTREACH_FEED_MIN_INTERVAL_MINUTES": str(self.feed_min_interval_minutes),
            "OUTREACH_FEED_CONCURRENCY": str(self.feed_concurrency),
            "OUTREACH_FEED_PER_HOST": str(self.feed_per_host),
            "OUTREACH_FEED_CONNECT_TIMEOUT": f"{self.feed_connect_timeout:g}",
            "OUTREACH_FEED_READ_TIMEOUT": f"{self.feed_read_timeout:g}",
            "OUTREACH_FEED_MAX_MB": f"{self.feed_max_mb:g}",
            "OUTREACH_METRICS_INTERVAL_MINUTES": str(self.metrics_interval_minutes),
        }
        return [
            {"setting": s.env, "value": values[s.env], "what it does": s.help}
            for s in SETTINGS
        ]


def _items(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _positive(text: str, name: str, expected: str, kind: type):
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if not 0 < value < math.inf:  # float() also reads "nan" and "inf"
        raise ConfigError(f"{name} must be {expected}, got {text!r}.")
    return value


def check_timezone(name: str, what: str = "time zone") -> ZoneInfo:
    """Return the zone for an IANA name, or raise ConfigError naming `what`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{what}: {name!r} is not a known IANA time zone "
            "(examples: UTC, America/New_York, Europe/Madrid)."
        ) from None

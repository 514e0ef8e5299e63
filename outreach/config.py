"""Settings: the one place that reads environment variables and `.env`.

Every setting is declared once in `SETTINGS` with its default and help text;
`.env.example` documents each of them and a test keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from dotenv import dotenv_values

from outreach.errors import ConfigError


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
        "OUTREACH_SESSION_TIMEOUT_MINUTES",
        "60",
        "Minutes of inactivity after which the dashboard signs a user out.",
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
    session_timeout_minutes: int = 60
    lockout_attempts: int = 5
    lockout_minutes: int = 15

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
            session_timeout_minutes=_positive(
                get("OUTREACH_SESSION_TIMEOUT_MINUTES"), "OUTREACH_SESSION_TIMEOUT_MINUTES",
                "a positive whole number of minutes", int),
            lockout_attempts=_positive(
                get("OUTREACH_LOCKOUT_ATTEMPTS"), "OUTREACH_LOCKOUT_ATTEMPTS",
                "a positive whole number", int),
            lockout_minutes=_positive(
                get("OUTREACH_LOCKOUT_MINUTES"), "OUTREACH_LOCKOUT_MINUTES",
                "a positive whole number of minutes", int),
        )

    def describe(self) -> list[dict[str, str]]:
        """Every setting with its value (passwords hidden) and help, for display."""
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
            "OUTREACH_SESSION_TIMEOUT_MINUTES": str(self.session_timeout_minutes),
            "OUTREACH_LOCKOUT_ATTEMPTS": str(self.lockout_attempts),
            "OUTREACH_LOCKOUT_MINUTES": str(self.lockout_minutes),
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
    if value <= 0:
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

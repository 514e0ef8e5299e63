"""The credential vault: app passwords, API keys and SMTP passwords, encrypted at rest.

The key never enters the database: it comes from OUTREACH_SECRET_KEY or from a
key file (mode 0600) in the data folder, created on first use. Values are never
logged, and are shown back only as "set, ends in abcd".
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import Engine

from outreach.auth import audit
from outreach.config import Settings
from outreach.errors import InvalidInput, VaultError
from outreach.roles import Actor, require
from outreach.store.tables import secrets

KEY_FILE_NAME = "secret.key"
SMTP_CREDENTIAL = "smtp.password"
# platform -> (field, label) of the credentials an account of that platform needs.
ACCOUNT_FIELDS = {
    "bluesky": (("app_password", "App password"),),
    "x": (
        ("api_key", "API key"),
        ("api_secret", "API key secret"),
        ("access_token", "Access token"),
        ("access_secret", "Access token secret"),
    ),
}


def key_path(settings: Settings) -> Path:
    """Where the key file lives when OUTREACH_SECRET_KEY is not set."""
    return settings.data_dir / KEY_FILE_NAME


def _write_keys(path: Path, keys: list[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(b"\n".join(keys) + b"\n")
    os.replace(tmp, path)


def _create_key_file(path: Path) -> None:
    """Write a new key file unless another process just did: the key goes to a private
    temporary file that is linked into place, and linking fails when one is there."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def _count_secrets(db: Engine) -> int:
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(secrets)).scalar()


def _read_keys(path: Path) -> list[bytes]:
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise VaultError(f"{path} can be read by other users; run `chmod 600 {path}`.")
    return [line.strip() for line in path.read_bytes().splitlines() if line.strip()]


def _fernet(keys: list[bytes], source: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError:
        raise VaultError(
            f"The vault key in {source} is not a valid Fernet key (44 characters of "
            "URL-safe base64)."
        ) from None


@dataclass(frozen=True)
class SecretStatus:
    """What may be shown about a secret: whether it is set, its last 4 characters, when."""

    name: str
    is_set: bool
    last4: str = ""
    updated_at: datetime | None = None
    updated_by: str = ""

    def describe(self) -> str:
        """'set, ends in abcd' or 'not set'."""
        return f"set, ends in {self.last4}" if self.is_set else "not set"


class Vault:
    """Encrypts and decrypts secret values with the installation's key(s)."""

    def __init__(self, keys: list[bytes], source: str):
        self._fernet = _fernet(keys, source)
        self.source = source

    @classmethod
    def open(cls, settings: Settings, db: Engine | None = None) -> Vault:
        """The vault for these settings; creates the key file on first use, once however
        many processes start together. With the store `db`, a missing key file while
        secrets are stored is an error, never a new key that cannot open them."""
        if settings.secret_keys:
            return cls([k.encode() for k in settings.secret_keys], "OUTREACH_SECRET_KEY")
        path = key_path(settings)
        if not path.exists():
            stored = _count_secrets(db) if db is not None else 0
            if stored:
                raise VaultError(
                    f"The vault key file {path} is missing, and {stored} secret(s) are "
                    "stored under it. Put the key file back from your backup (or set "
                    "OUTREACH_SECRET_KEY); a new key could not open them.")
            _create_key_file(path)
        return cls(_read_keys(path), str(path))

    def encrypt(self, value: str) -> str:
        """The value encrypted and authenticated under the newest key."""
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str, name: str = "a secret") -> str:
        """The clear value, or VaultError when the key cannot open it."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise VaultError(
                f"{name} cannot be decrypted with the key from {self.source}; was the "
                "key changed or lost? Set the secret again, or restore the old key."
            ) from None

    def rotate(self, token: str) -> str:
        """The same secret re-encrypted under the newest key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise VaultError(f"A stored secret cannot be opened with {self.source}.") from None


def account_secret_name(platform: str, account_id: int, field: str) -> str:
    """The vault name of one credential of a social account."""
    return f"{platform}.{account_id}.{field}"


def set_secret(
    db: Engine, vault: Vault, actor: Actor, name: str, value: str, *, now: datetime
) -> SecretStatus:
    """Store or replace a secret (admins only); the audit log says it changed, not what."""
    require(actor, "admin", "setting credentials")
    value = value.strip()
    if not value:
        raise InvalidInput(f"The value for {name} is empty; nothing was saved.")
    values = {"ciphertext": vault.encrypt(value), "updated_at": now, "updated_by": actor.name}
    with db.begin() as conn:
        updated = conn.execute(
            secrets.update().where(secrets.c.name == name).values(**values)
        ).rowcount
        if not updated:
            conn.execute(secrets.insert().values(name=name, **values))
        audit.record(conn, actor, entity="credential", entity_id=name,
                     action="replace" if updated else "set", now=now)
    return secret_status(db, vault, name)


def delete_secret(db: Engine, actor: Actor, name: str, *, now: datetime) -> None:
    """Forget a secret (admins only)."""
    require(actor, "admin", "removing credentials")
    with db.begin() as conn:
        conn.execute(secrets.delete().where(secrets.c.name == name))
        audit.record(conn, actor, entity="credential", entity_id=name, action="delete",
                     now=now)


def reveal(db: Engine, vault: Vault, name: str) -> str | None:
    """The clear value for the adapter that uses it, or None when it is not set."""
    with db.connect() as conn:
        token = conn.execute(
            sa.select(secrets.c.ciphertext).where(secrets.c.name == name)
        ).scalar()
    return None if token is None else vault.decrypt(token, name)


def secret_status(db: Engine, vault: Vault, name: str) -> SecretStatus:
    """Whether a secret is set, with its last 4 characters, never the value."""
    with db.connect() as conn:
        row = conn.execute(sa.select(secrets).where(secrets.c.name == name)).first()
    if row is None:
        return SecretStatus(name, False)
    return SecretStatus(name, True, vault.decrypt(row.ciphertext, name)[-4:],
                        row.updated_at, row.updated_by)


def rotate_key(db: Engine, settings: Settings, actor: Actor, *, now: datetime) -> str:
    """Re-encrypt every secret under a new key; return what was done, for the admin.

    With a key file: a new key is written beside the old one, every secret is
    re-encrypted, then the old key is dropped, so a crash loses nothing. With
    OUTREACH_SECRET_KEY: the admin sets NEW,OLD and runs this again.
    """
    require(actor, "admin", "rotating the vault key")
    if settings.secret_keys:
        if len(settings.secret_keys) == 1:
            new = Fernet.generate_key().decode()
            return (
                "The key comes from OUTREACH_SECRET_KEY. Set\n"
                f"  OUTREACH_SECRET_KEY={new},{settings.secret_keys[0]}\n"
                "and run `python -m outreach vault rotate-key` again."
            )
        count = _reencrypt(db, Vault.open(settings, db), actor, now)
        return (
            f"Re-encrypted {count} secrets under the first key of OUTREACH_SECRET_KEY; "
            "you may now remove the other keys from it."
        )
    path = key_path(settings)
    old = _read_keys(path) if path.exists() else []
    new = Fernet.generate_key()
    _write_keys(path, [new, *old])
    count = _reencrypt(db, Vault([new, *old], str(path)), actor, now)
    _write_keys(path, [new])
    return f"Re-encrypted {count} secrets under a new key in {path}."


def _reencrypt(db: Engine, vault: Vault, actor: Actor, now: datetime) -> int:
    with db.begin() as conn:
        rows = conn.execute(sa.select(secrets.c.name, secrets.c.ciphertext)).all()
        for name, token in rows:
            conn.execute(secrets.update().where(secrets.c.name == name)
                         .values(ciphertext=vault.rotate(token)))
        audit.record(conn, actor, entity="vault", action="rotate_key",
                     summary=f"{len(rows)} secrets re-encrypted", now=now)
    return len(rows)

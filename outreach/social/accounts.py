"""Connecting Bluesky and X accounts: credentials into the vault, verified on save.

The worker builds each account's publisher from here, with the saved Bluesky
session reused (and re-saved when it refreshes) so it never logs in per post.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from outreach.auth import audit, vault
from outreach.config import Settings
from outreach.errors import AlreadyExists, InvalidInput, NotFound, PublishError, VaultError
from outreach.net import URLGuard
from outreach.roles import Actor, require
from outreach.social.adapters.bluesky import BlueskyPublisher
from outreach.social.adapters.x import XPublisher
from outreach.social.publisher import Publisher
from outreach.store.tables import secrets, social_accounts

DEFAULT_BLUESKY_SERVICE = "https://bsky.social"
X_KEYS = tuple(field for field, _ in vault.ACCOUNT_FIELDS["x"])
# Who the audit log names when the worker saves a refreshed Bluesky session.
_WORKER = Actor("worker", "admin")


def _secret(platform: str, account_id: int, field: str) -> str:
    return vault.account_secret_name(platform, account_id, field)


def _insert(db: Engine, actor: Actor, campaign_id: int, platform: str, handle: str,
            service_url: str, remote_id: str, secrets: dict[str, str], the_vault: vault.Vault,
            now: datetime) -> int:
    with db.begin() as conn:
        if conn.execute(sa.select(social_accounts.c.id).where(
                social_accounts.c.platform == platform,
                social_accounts.c.handle == handle)).first():
            raise AlreadyExists(f"The {platform} account {handle} is already connected.")
        account_id = conn.execute(social_accounts.insert().values(
            campaign_id=campaign_id, platform=platform, handle=handle,
            service_url=service_url, remote_id=remote_id, verified_at=now, created_at=now,
        )).inserted_primary_key[0]
        audit.record(conn, actor, entity="social_account", entity_id=account_id,
                     action="connect", summary=f"{platform} {handle}", now=now)
    for field, value in secrets.items():
        vault.set_secret(db, the_vault, actor, _secret(platform, account_id, field), value,
                         now=now)
    return account_id


def connect_bluesky(
    db: Engine, the_vault: vault.Vault, actor: Actor, campaign_id: int, handle: str,
    app_password: str, *, now: datetime, service_url: str = DEFAULT_BLUESKY_SERVICE,
    guard: URLGuard, make: Callable[..., BlueskyPublisher] = BlueskyPublisher,
) -> int:
    """Connect a Bluesky account (admins): the app password is checked by signing in, at
    `service_url` only if `guard` (this install's) allows a password to go there:
    https, or a host OUTREACH_URL_ALLOWLIST names, such as a PDS on the union's network."""
    require(actor, "admin", "connecting accounts")
    handle = handle.strip().lstrip("@").lower()
    if not handle or not app_password.strip():
        raise InvalidInput("A Bluesky account needs its handle and an app password "
                           "(Settings > Privacy and security > App passwords in Bluesky).")
    saved: dict[str, str] = {}
    publisher = make(service_url.rstrip("/"), handle, app_password.strip(),
                     on_session_change=lambda s: saved.update(session=s), guard=guard)
    did = publisher.verify()
    secrets = {"app_password": app_password.strip(), **saved}
    return _insert(db, actor, campaign_id, "bluesky", handle, service_url.rstrip("/"), did,
                   secrets, the_vault, now)


def connect_x(
    db: Engine, the_vault: vault.Vault, actor: Actor, campaign_id: int, keys: dict[str, str],
    *, now: datetime, make: Callable[..., XPublisher] = XPublisher,
) -> int:
    """Connect an X account (admins) from its four keys, checked by asking X who it is."""
    require(actor, "admin", "connecting accounts")
    missing = [k for k in X_KEYS if not keys.get(k, "").strip()]
    if missing:
        raise InvalidInput(f"An X account needs {', '.join(missing)} (from the X developer "
                           "portal, with read and write permission).")
    clean = {k: keys[k].strip() for k in X_KEYS}
    username = make(*(clean[k] for k in X_KEYS)).verify()
    return _insert(db, actor, campaign_id, "x", username.lstrip("@"), "", "", clean,
                   the_vault, now)


def publisher_for(db: Engine, the_vault: vault.Vault, *, now: datetime,
                  guard: URLGuard, x_base_url: str | None = None,
                  bluesky_client=None) -> Callable[[dict], Publisher]:
    """A factory the worker calls with an account row; raises PublishError when the
    account's credentials are missing, so its posts fail with a message saying so.
    Bluesky servers must pass `guard` (this install's) before a secret goes out."""

    def build(account: dict) -> Publisher:
        platform, account_id = account["platform"], account["id"]

        def secret(field: str) -> str | None:
            return vault.reveal(db, the_vault, _secret(platform, account_id, field))

        if platform == "bluesky":
            password = secret("app_password")
            if not password:
                raise PublishError(f"The Bluesky account {account['handle']} has no app "
                                   "password: add it under Settings > Credentials.")

            def keep(session: str) -> None:
                vault.set_secret(db, the_vault, _WORKER, _secret("bluesky", account_id,
                                                                 "session"), session, now=now)

            return BlueskyPublisher(account["service_url"] or DEFAULT_BLUESKY_SERVICE,
                                    account["handle"], password,
                                    session_string=secret("session"),
                                    on_session_change=keep, client=bluesky_client,
                                    guard=guard)
        keys = [secret(k) for k in X_KEYS]
        if not all(keys):
            raise PublishError(f"The X account {account['handle']} is missing keys: add "
                               "them under Settings > Credentials.")
        extra = {"base_url": x_base_url} if x_base_url else {}
        return XPublisher(*keys, **extra)

    return build


def list_all(db: Engine) -> list[dict]:
    """Every connected account, oldest first: id, campaign, platform, handle, when it was
    last checked and its weekly slot plan (for `accounts list` and `accounts check`)."""
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(social_accounts.c.id, social_accounts.c.campaign_id,
                      social_accounts.c.platform, social_accounts.c.handle,
                      social_accounts.c.verified_at, social_accounts.c.slot_plan)
            .order_by(social_accounts.c.id))]


def find(db: Engine, handle: str) -> dict:
    """The connected account with this handle ("@" and case forgiven), as list_all gives
    it, or NotFound saying where to look."""
    wanted = handle.strip().lstrip("@").lower()
    found = next((a for a in list_all(db) if a["handle"] == wanted), None)
    if found is None:
        raise NotFound(f"No connected account {handle!r}; see `accounts list`.")
    return found


def get(db: Engine, account_id: int) -> dict:
    """One connected account by id, as list_all gives it."""
    found = next((a for a in list_all(db) if a["id"] == account_id), None)
    if found is None:
        raise NotFound(f"No social account with id {account_id}.")
    return found


def check_account(db: Engine, the_vault: vault.Vault, account_id: int, *,
                  now: datetime, guard: URLGuard) -> str:
    """Sign in with the stored credentials; the platform's answer, for `accounts check`."""
    with db.connect() as conn:
        row = conn.execute(sa.select(social_accounts)
                           .where(social_accounts.c.id == account_id)).first()
    if row is None:
        raise NotFound(f"No social account with id {account_id}.")
    try:
        who = publisher_for(db, the_vault, now=now, guard=guard)(dict(row._mapping)).verify()
    except PublishError as exc:
        return f"{row.platform} {row.handle}: FAILED: {exc}"
    with db.begin() as conn:
        conn.execute(social_accounts.update().where(social_accounts.c.id == account_id)
                     .values(verified_at=now))
    return f"{row.platform} {row.handle}: ok ({who})"


def publishing_problems(db: Engine, settings: Settings, account_ids: list[int]) -> dict[int, str]:
    """Which of these accounts cannot publish, and why, before anything is scheduled on
    them: credentials missing (the demo's accounts have none), or credentials the vault's
    key cannot open. No network: an account not listed may still be refused by its
    platform (`accounts check` asks it)."""
    with db.connect() as conn:
        accounts = conn.execute(sa.select(social_accounts)
                                .where(social_accounts.c.id.in_(account_ids))).all()
        stored = dict(conn.execute(sa.select(secrets.c.name, secrets.c.ciphertext)).all())
    the_vault = _existing_vault(settings)
    problems = {}
    for account in accounts:
        who = f"{account.platform} {account.handle}"
        names = [_secret(account.platform, account.id, f)
                 for f, _ in vault.ACCOUNT_FIELDS[account.platform]]
        missing = [n for n in names if n not in stored]
        if missing:
            problems[account.id] = (
                f"{who} has no credentials saved, so it cannot publish (the demo's accounts "
                "are fictional). Connect it under Social > Accounts or add them under "
                "Settings > Credentials.")
            continue
        try:
            if the_vault is None:
                raise VaultError("the credential vault's key is missing")
            for name in names:
                the_vault.decrypt(stored[name], name)
        except VaultError as exc:
            problems[account.id] = f"{who}: its credentials cannot be opened: {exc}"
    return problems


def _existing_vault(settings: Settings) -> vault.Vault | None:
    """The vault when its key exists; never creates a key just to look."""
    if not settings.secret_keys and not vault.key_path(settings).exists():
        return None
    return vault.Vault.open(settings)

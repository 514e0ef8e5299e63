"""A publishing desk against the local X server: a campaign, an X account whose keys are
in a vault, and helpers to schedule posts and run the worker's publishing loop."""

from __future__ import annotations

import pytest

from outreach import campaigns
from outreach.auth import vault
from outreach.config import Settings
from outreach.net import URLGuard
from outreach.org_settings import set_org
from outreach.roles import Actor
from outreach.social import accounts, publishing
from outreach.social import queue as post_queue
from outreach.social.adapters.x import XPublisher
from support.x_server import XServer

ADMIN = Actor("ada", "admin")
EDITOR = Actor("ed", "editor")
# Fictional keys, shaped as X's are (oauthlib checks their length and characters).
KEYS = {"api_key": "Tk4QpublishingTestKey0001",
        "api_secret": "Ts8PublishingTestSecretNotRealAtAll00000000000001",
        "access_token": "1700000000000000001-PublishingTestTokenNotReal01",
        "access_secret": "Ta5PublishingTestAccessSecretNotReal000000001"}


def make_desk(db, now, server, tmp_path):
    """A campaign with an X account on `server`, posts going out without approval."""
    the_vault = vault.Vault.open(Settings.from_env(
        {"OUTREACH_DATA_DIR": str(tmp_path / "data")}, env_file=None))
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    set_org(db, ADMIN, {"posts_need_approval": False}, now=now)
    account_id = accounts.connect_x(
        db, the_vault, ADMIN, campaign.id, KEYS, now=now,
        make=lambda *keys: XPublisher(*keys, base_url=server.url))
    return {"db": db, "vault": the_vault, "account": account_id, "campaign": campaign.id}


def run(desk, server, now, worker="w1", **kwargs) -> str:
    """One pass of the worker's publishing loop at `now`; its summary."""
    factory = accounts.publisher_for(desk["db"], desk["vault"], now=now,
                                     x_base_url=server.url, guard=URLGuard())
    return publishing.publish_due(desk["db"], worker, factory, clock=lambda: now, **kwargs)


def schedule(desk, now, *parts, at=None) -> int:
    """A post (a thread, with several parts) due at `at`, by default now."""
    return post_queue.create_post(desk["db"], EDITOR, desk["account"], list(parts), now=now,
                                  at=at or now)


@pytest.fixture
def x_server():
    """The local X server for the desk's account (KEYS), running for one test."""
    with XServer(consumer_key=KEYS["api_key"], consumer_secret=KEYS["api_secret"],
                 access_token=KEYS["access_token"],
                 access_secret=KEYS["access_secret"]) as running:
        yield running

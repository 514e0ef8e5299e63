"""Before scheduling: which accounts cannot publish, and why, without asking the platform."""

import io
import sys
from datetime import timedelta

import sqlalchemy as sa
from cryptography.fernet import Fernet
from support.pages import open_page

from outreach import campaigns
from outreach.auth import vault
from outreach.cli import main
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.roles import Actor
from outreach.social import accounts
from outreach.store.tables import social_accounts

ADMIN = Actor("ada", "admin")


def settings_for(tmp_path, **env) -> Settings:
    return Settings.from_env({"OUTREACH_DATA_DIR": str(tmp_path / "data"), **env},
                             env_file=None)


def add_accounts(db, now) -> tuple[int, int]:
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    with db.begin() as conn:
        return tuple(conn.execute(social_accounts.insert().values(
            campaign_id=campaign.id, platform=platform, handle=handle, created_at=now,
        )).inserted_primary_key[0] for platform, handle in
            (("bluesky", "local101.bsky.test"), ("x", "local101")))


def test_accounts_without_credentials_are_named_with_the_way_to_fix_it(db, now, tmp_path):
    bsky, x = add_accounts(db, now)
    settings = settings_for(tmp_path)
    problems = accounts.publishing_problems(db, settings, [bsky, x])
    assert set(problems) == {bsky, x}
    assert problems[bsky].startswith("bluesky local101.bsky.test has no credentials saved")
    assert "Settings > Credentials" in problems[x]
    # Looking never creates a vault key.
    assert not vault.key_path(settings).exists()


def test_accounts_with_credentials_pass_and_a_changed_key_is_named(db, now, tmp_path):
    bsky, x = add_accounts(db, now)
    settings = settings_for(tmp_path)
    the_vault = vault.Vault.open(settings)
    vault.set_secret(db, the_vault, ADMIN, vault.account_secret_name("bluesky", bsky,
                                                                     "app_password"),
                     "app-pass-word-1234", now=now)
    problems = accounts.publishing_problems(db, settings, [bsky, x])
    assert set(problems) == {x}
    other_key = settings_for(tmp_path, OUTREACH_SECRET_KEY=Fernet.generate_key().decode())
    problems = accounts.publishing_problems(db, other_key, [bsky])
    assert "its credentials cannot be opened" in problems[bsky]
    vault.key_path(settings).unlink()
    assert "key is missing" in accounts.publishing_problems(db, settings, [bsky])[bsky]


def test_post_schedule_warns_before_saving(app_env, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["demo"]) == 0
    capsys.readouterr()
    at = (utcnow() + timedelta(days=30)).replace(microsecond=0).isoformat()
    code = main(["post", "schedule", "--account", "local101.bsky.test", "--text",
                 "Picket at 6 a.m.", "--at", at])
    out, err = capsys.readouterr()
    assert code == 0
    assert err.startswith("warning: bluesky local101.bsky.test has no credentials saved")
    assert "Post " in out
    db = sa.create_engine(Settings.from_env().database_url)
    try:
        with db.connect() as conn:
            assert conn.execute(sa.text(
                "select count(*) from posts where text = 'Picket at 6 a.m.'")).scalar() == 1
    finally:
        db.dispose()


def test_the_composer_says_which_accounts_cannot_publish(demo_store):  # noqa: F811
    at = open_page("social")
    assert any(w.value.startswith("bluesky local101.bsky.test has no credentials saved")
               for w in at.warning)

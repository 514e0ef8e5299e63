"""The credential vault: encrypted at rest with a key outside the database."""

import logging
import stat
import subprocess
import sys
import time

import pytest
from cryptography.fernet import Fernet

from outreach.auth import audit, vault
from outreach.config import Settings
from outreach.errors import InvalidInput, PermissionDenied, VaultError
from outreach.roles import Actor

ADMIN = Actor("ada", "admin")
SECRET = "app-pass-wxyz-1234"


def settings_for(tmp_path, **env) -> Settings:
    return Settings.from_env({"OUTREACH_DATA_DIR": str(tmp_path / "data"), **env},
                             env_file=None)


def test_key_file_is_created_private_and_reused(tmp_path):
    settings = settings_for(tmp_path)
    first = vault.Vault.open(settings)
    path = vault.key_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = first.encrypt(SECRET)
    assert vault.Vault.open(settings).decrypt(token) == SECRET


def test_a_readable_key_file_is_refused(tmp_path):
    settings = settings_for(tmp_path)
    vault.Vault.open(settings)
    vault.key_path(settings).chmod(0o644)
    with pytest.raises(VaultError, match="chmod 600"):
        vault.Vault.open(settings)


def test_key_from_environment_and_bad_key(tmp_path):
    key = Fernet.generate_key().decode()
    assert vault.Vault.open(settings_for(tmp_path, OUTREACH_SECRET_KEY=key)).source == \
        "OUTREACH_SECRET_KEY"
    assert not vault.key_path(settings_for(tmp_path)).exists()
    with pytest.raises(VaultError, match="not a valid Fernet key"):
        vault.Vault.open(settings_for(tmp_path, OUTREACH_SECRET_KEY="letmein"))


def test_set_show_reveal(db, now, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    v = vault.Vault.open(settings_for(tmp_path))
    assert vault.secret_status(db, v, vault.SMTP_CREDENTIAL).describe() == "not set"
    status = vault.set_secret(db, v, ADMIN, vault.SMTP_CREDENTIAL, f"  {SECRET} ", now=now)
    assert status.describe() == "set, ends in 1234" and status.updated_by == "ada"
    assert vault.reveal(db, v, vault.SMTP_CREDENTIAL) == SECRET
    vault.set_secret(db, v, ADMIN, vault.SMTP_CREDENTIAL, "another-one-5678", now=now)
    assert vault.reveal(db, v, vault.SMTP_CREDENTIAL) == "another-one-5678"
    entries = audit.list_entries(db, ADMIN, entity="credential")
    assert [e["action"] for e in entries] == ["replace", "set"]
    assert SECRET not in repr(entries) and SECRET not in caplog.text
    vault.delete_secret(db, ADMIN, vault.SMTP_CREDENTIAL, now=now)
    assert vault.reveal(db, v, vault.SMTP_CREDENTIAL) is None


def test_only_admins_touch_credentials_and_empty_values_are_refused(db, now, tmp_path):
    v = vault.Vault.open(settings_for(tmp_path))
    for role in ("viewer", "editor", "approver"):
        with pytest.raises(PermissionDenied):
            vault.set_secret(db, v, Actor("x", role), "x.1.api_key", SECRET, now=now)
    with pytest.raises(InvalidInput, match="empty"):
        vault.set_secret(db, v, ADMIN, "x.1.api_key", "   ", now=now)
    assert vault.reveal(db, v, "x.1.api_key") is None


def test_a_lost_key_gives_a_clear_error(db, now, tmp_path):
    settings = settings_for(tmp_path)
    vault.set_secret(db, vault.Vault.open(settings, db), ADMIN, "s", SECRET, now=now)
    vault.key_path(settings).unlink()
    with pytest.raises(VaultError, match="cannot be decrypted with the key"):
        vault.reveal(db, vault.Vault.open(settings), "s")


def test_a_lost_key_file_is_not_silently_replaced_while_secrets_exist(db, now, tmp_path):
    settings = settings_for(tmp_path)
    vault.set_secret(db, vault.Vault.open(settings, db), ADMIN, "s", SECRET, now=now)
    vault.key_path(settings).unlink()
    with pytest.raises(VaultError, match=r"secret\.key is missing, and 1 secret\(s\) are stored"):
        vault.Vault.open(settings, db)
    assert not vault.key_path(settings).exists()


def test_processes_starting_together_make_one_key(tmp_path):
    """Workers and the dashboard may all start on a fresh install: each opens the same
    key, so nothing one of them encrypts is lost."""
    settings = settings_for(tmp_path)
    go = tmp_path / "go"
    script = ("import os, sys; from outreach.auth import vault; "
              "from outreach.config import Settings; "
              "s = Settings.from_env({'OUTREACH_DATA_DIR': sys.argv[1]}, env_file=None)\n"
              "while not os.path.exists(sys.argv[2]): pass\n"
              "print(vault.Vault.open(s).encrypt('x'))")
    runs = [subprocess.Popen([sys.executable, "-c", script, str(settings.data_dir), str(go)],
                             stdout=subprocess.PIPE, text=True) for _ in range(6)]
    time.sleep(3)  # all have imported and wait at the start line
    go.touch()
    tokens = [run.communicate(timeout=120)[0].strip() for run in runs]
    opened = vault.Vault.open(settings)
    assert [opened.decrypt(t) for t in tokens] == ["x"] * 6
    assert [p.name for p in settings.data_dir.iterdir()] == [vault.KEY_FILE_NAME]
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700


def test_rotate_key_file(db, now, tmp_path):
    settings = settings_for(tmp_path)
    v = vault.Vault.open(settings)
    vault.set_secret(db, v, ADMIN, "a", SECRET, now=now)
    vault.set_secret(db, v, ADMIN, "b", "second-secret-0000", now=now)
    old_key = vault.key_path(settings).read_bytes()
    message = vault.rotate_key(db, settings, ADMIN, now=now)
    assert message.startswith("Re-encrypted 2 secrets")
    assert vault.key_path(settings).read_bytes() != old_key
    with pytest.raises(VaultError):
        vault.reveal(db, vault.Vault([old_key.strip()], "old"), "a")
    fresh = vault.Vault.open(settings)
    assert vault.reveal(db, fresh, "a") == SECRET
    assert vault.reveal(db, fresh, "b") == "second-secret-0000"
    assert stat.S_IMODE(vault.key_path(settings).stat().st_mode) == 0o600


def test_rotate_key_from_environment(db, now, tmp_path):
    old = Fernet.generate_key().decode()
    settings = settings_for(tmp_path, OUTREACH_SECRET_KEY=old)
    vault.set_secret(db, vault.Vault.open(settings), ADMIN, "a", SECRET, now=now)
    message = vault.rotate_key(db, settings, ADMIN, now=now)
    new = message.split("OUTREACH_SECRET_KEY=")[1].split(",")[0]
    both = settings_for(tmp_path, OUTREACH_SECRET_KEY=f"{new},{old}")
    assert "Re-encrypted 1 secrets" in vault.rotate_key(db, both, ADMIN, now=now)
    only_new = vault.Vault.open(settings_for(tmp_path, OUTREACH_SECRET_KEY=new))
    assert vault.reveal(db, only_new, "a") == SECRET

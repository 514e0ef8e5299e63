"""Pitching against a real SMTP server (aiosmtpd on 127.0.0.1): who gets what, and nobody twice."""

from __future__ import annotations

import email
import email.policy
import io
import ipaddress
import ssl
import threading
import time
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from support.services import free_port
from support.smtp import REFUSAL, Server

from outreach import campaigns
from outreach.auth import audit, vault
from outreach.cli import build_parser, execute
from outreach.config import Settings
from outreach.errors import ConfigError, InvalidInput, NotFound, PermissionDenied
from outreach.org_settings import set_org
from outreach.pitching import pitches as pitching
from outreach.pitching.mailer import ConnectionFailed, SmtpSender
from outreach.presslist import contacts
from outreach.releases import templates
from outreach.releases.protected_names import add_protected
from outreach.roles import Actor
from outreach.store.tables import (
    interactions,
    journalists,
    pitch_batches,
    pitch_messages,
    press_hits,
    releases,
)

ADMIN = Actor("ada", "admin")
EDITOR = Actor("ed", "editor")
VIEWER = Actor("vi", "viewer")
EMBARGO = "Thursday, December 3, 2026, 6:00 AM CST"


# --- a real SMTP server on loopback ---------------------------------------------------------








@pytest.fixture
def smtp():
    server = Server()
    yield server
    server.controller.stop()


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1: (server context, client context that trusts it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = datetime.now(UTC) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=3))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_file, key_file)
    return server_ctx, ssl.create_default_context(cafile=str(cert_file))


# --- a press list and an approved, embargoed release ------------------------------------------


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self, start: datetime):
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def desk(db, now):
    """Journalists on the 'Labor desk' list, an approved embargoed release, SMTP settings."""
    campaign = campaigns.create_campaign(db, ADMIN, "Mercy Nurses", now=now,
                                         timezone="America/Chicago")
    other = campaigns.create_campaign(db, ADMIN, "Transit Drivers", now=now, timezone="UTC")
    people = {
        "ana": contacts.add_journalist(db, EDITOR, {"name": "Ana Quillfeather",
                                                    "email": "ana@example.org"},
                                       now=now, outlet_name="Valley Tribune"),
        "ben": contacts.add_journalist(db, EDITOR, {"name": "Ben Ortiz",
                                                    "email": "ben@example.org"},
                                       now=now, outlet_name="Channel 7"),
        "cleo": contacts.add_journalist(db, EDITOR, {
            "name": "Cleo Marsh", "email": "cleo@example.org", "do_not_contact": True,
            "do_not_contact_reason": "asked us to stop pitching her"}, now=now),
        "dev": contacts.add_journalist(db, EDITOR, {"name": "Dev Patel"}, now=now),
        "eve": contacts.add_journalist(db, EDITOR, {"name": "Eve Lindqvist",
                                                    "email": "eve@example.org"}, now=now),
        "finn": contacts.add_journalist(db, EDITOR, {"name": "Finn O'Brien",
                                                     "email": "finn@example.org"}, now=now),
    }
    contacts.bulk_add_to_list(db, EDITOR, list(people.values()), "Labor desk", now=now)
    with db.begin() as conn:
        for title, day, campaign_id in (("Nurses rally downtown", 1, campaign.id),
                                        ("Mercy nurses set a strike date", 10, campaign.id),
                                        ("Bus drivers picket", 15, other.id)):
            conn.execute(press_hits.insert().values(
                campaign_id=campaign_id, journalist_id=people["ana"], title=title,
                url=f"https://valley.example/{day}", found_at=now,
                published_at=datetime(2026, 11, day, tzinfo=UTC)))
        release_id = conn.execute(releases.insert().values(
            campaign_id=campaign.id, title="Mercy nurses vote to strike", status="approved",
            body="Nurses at Mercy General voted 94% to authorise a strike.", template="",
            embargo_at=datetime(2026, 12, 3, 12, 0, tzinfo=UTC), created_at=now,
            updated_at=now)).inserted_primary_key[0]
    set_org(db, ADMIN, {"smtp_from": "Local 101 Media <media@local101.example>",
                        "smtp_reply_to": "press@local101.example",
                        "media_contact_name": "Rosa Diaz"}, now=now)
    return {"db": db, "release": release_id, "campaign": campaign.id, **people}


def plan_and_batch(desk, now, **kwargs):
    plan = pitching.plan_pitch(desk["db"], desk["release"], list_name="Labor desk",
                               note="Rosa can talk on Monday.", **kwargs)
    return plan, pitching.create_batch(desk["db"], EDITOR, plan, now=now)


def send(desk, batch_id, factory, now, rate=600):
    fake = FakeTime(now)
    return pitching.send_batch(desk["db"], batch_id, factory, clock=fake.clock,
                               sleep=fake.sleep, rate_per_minute=rate)


def statuses(db, batch_id) -> dict[str, tuple[str, str]]:
    return {r["email"] or r["name"]: (r["status"], r["detail"])
            for r in pitching.batch_status(db, batch_id)}


# --- planning ---------------------------------------------------------------------------------


def test_plan_lists_recipients_and_skips_with_reasons(desk):
    plan = pitching.plan_pitch(desk["db"], desk["release"], list_name="Labor desk")
    assert [r.name for r in plan.recipients] == [
        "Ana Quillfeather", "Ben Ortiz", "Eve Lindqvist", "Finn O'Brien"]
    assert {s.name: s.reason for s in plan.skipped} == {
        "Cleo Marsh": "do not contact: asked us to stop pitching her",
        "Dev Patel": "no e-mail address on file",
    }
    ana = plan.recipients[0]
    assert (ana.outlet, ana.latest_story) == ("Valley Tribune", "Mercy nurses set a strike date")
    assert plan.embargo == EMBARGO
    assert plan.subject == f"EMBARGOED until {EMBARGO}: Mercy nurses vote to strike"


def test_a_note_naming_a_protected_member_is_refused_even_in_a_dry_run(desk, now, tmp_path,
                                                                      capsys):
    """The note goes into every e-mail: it passes the protected-names check as a release
    does, before anyone is planned, and `--dry-run` (no SMTP settings needed) says so."""
    db = desk["db"]
    add_protected(db, ADMIN, "Maria Quintana", now=now)
    with pytest.raises(InvalidInput, match="This pitch note names a protected member"):
        pitching.plan_pitch(db, desk["release"], list_name="Labor desk",
                            note="Call Maria Quintana for a quote.")
    with pytest.raises(InvalidInput, match="line 1: 'maria  QUINTANA'"):
        run_cli(db, tmp_path, "pitch", "send", "--release", str(desk["release"]), "--list",
                "Labor desk", "--dry-run", "--note", "Call maria  QUINTANA for a quote.")
    plan = pitching.plan_pitch(db, desk["release"], list_name="Labor desk",
                               note="Call Rosa for a quote.")
    assert plan.note == "Call Rosa for a quote."


def test_plan_by_ids_dedupes_emails_and_refuses_unknown_ids(desk, now):
    db = desk["db"]
    with db.begin() as conn:  # an address shared by two entries, e.g. a desk's inbox
        conn.execute(journalists.update().where(journalists.c.id == desk["finn"])
                     .values(email="ben@example.org"))
        conn.execute(journalists.update().where(journalists.c.id == desk["eve"])
                     .values(email="eve@"))  # a typo imported long ago
    plan = pitching.plan_pitch(db, desk["release"], journalist_ids=[
        desk["finn"], desk["ben"], desk["ben"], desk["eve"]])
    assert [r.name for r in plan.recipients] == ["Ben Ortiz"]
    assert [(s.name, s.reason) for s in plan.skipped] == [
        ("Eve Lindqvist", "the e-mail address 'eve@' is not valid"),
        ("Finn O'Brien", "same e-mail as Ben Ortiz, who gets it")]
    with pytest.raises(NotFound, match="9999"):
        pitching.plan_pitch(db, desk["release"], journalist_ids=[desk["ben"], 9999])
    with pytest.raises(InvalidInput, match="press list or journalists"):
        pitching.plan_pitch(db, desk["release"])


@pytest.mark.parametrize("status", ["draft", "in_review", "changes_requested"])
def test_release_not_approved_is_refused(desk, now, status):
    db = desk["db"]
    plan = pitching.plan_pitch(db, desk["release"], list_name="Labor desk")
    with db.begin() as conn:
        conn.execute(releases.update().values(status=status))
    message = (f"Release {desk['release']} is not approved yet; nothing is sent before the "
               "committee approves it.")
    with pytest.raises(InvalidInput) as refused:
        pitching.plan_pitch(db, desk["release"], list_name="Labor desk")
    assert str(refused.value) == message
    with pytest.raises(InvalidInput, match="not approved"):
        pitching.create_batch(db, EDITOR, plan, now=now)


def test_only_editors_create_batches_and_a_sender_is_needed(desk, now):
    db = desk["db"]
    plan = pitching.plan_pitch(db, desk["release"], list_name="Labor desk")
    with pytest.raises(PermissionDenied):
        pitching.create_batch(db, VIEWER, plan, now=now)
    set_org(db, ADMIN, {"smtp_from": ""}, now=now)
    with pytest.raises(ConfigError, match="From address"):
        pitching.plan_pitch(db, desk["release"], list_name="Labor desk")


# --- never twice -------------------------------------------------------------------------------


def batches(db) -> int:
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(pitch_batches)).scalar()


def test_a_journalist_pitched_before_is_skipped_with_the_date(desk, now, smtp):
    db = desk["db"]
    smtp.recorder.refuse.add("eve@example.org")
    _, first = plan_and_batch(desk, now)
    send(desk, first, smtp.factory(), now)

    plan = pitching.plan_pitch(db, desk["release"], list_name="Labor desk")

    # Eve's e-mail was refused, so she may be pitched; the rest got it at 09:00 in Chicago.
    assert [r.name for r in plan.recipients] == ["Eve Lindqvist"]
    on = "already pitched this release on 2026-11-20 09:00 (America/Chicago)"
    assert {s.name: s.reason for s in plan.skipped} == {
        "Ana Quillfeather": on, "Ben Ortiz": on, "Finn O'Brien": on,
        "Cleo Marsh": "do not contact: asked us to stop pitching her",
        "Dev Patel": "no e-mail address on file",
    }
    assert plan.already_pitched == 3 and not plan.again
    smtp.recorder.refuse.clear()
    second = pitching.create_batch(db, EDITOR, plan, now=now)
    send(desk, second, smtp.factory(), now)
    assert smtp.recorder.copies() == Counter(
        ["ana@example.org", "ben@example.org", "finn@example.org", "eve@example.org"])
    assert statuses(db, second)["ana@example.org"] == ("skipped", on)


def test_sending_again_is_a_choice_and_never_doubles_a_queued_email(desk, now, smtp):
    db = desk["db"]
    _, first = plan_and_batch(desk, now)
    send(desk, first, smtp.factory(), now)

    again = pitching.plan_pitch(db, desk["release"], list_name="Labor desk", again=True)

    assert [r.name for r in again.recipients] == [
        "Ana Quillfeather", "Ben Ortiz", "Eve Lindqvist", "Finn O'Brien"]
    assert again.already_pitched == 4 and again.again
    queued = pitching.create_batch(db, EDITOR, again, now=now, queue=True)
    assert f"release {desk['release']}: 4 to send (4 again), 2 skipped" in [
        e["summary"] for e in audit.list_entries(db, ADMIN, entity="pitch_batch")]
    # While those four wait in the queue, even "again" does not queue them a second time.
    later = pitching.plan_pitch(db, desk["release"], list_name="Labor desk", again=True)
    assert later.recipients == ()
    assert {s.reason for s in later.skipped if s.email.startswith(("ana", "finn"))} == {
        f"already queued for this release in batch {queued}"}
    with pytest.raises(InvalidInput) as refused:
        pitching.create_batch(db, EDITOR, again, now=now, queue=True)
    assert str(refused.value) == (
        "Nobody new to pitch: every journalist chosen has already been pitched this release "
        "or is queued for it, and nothing was queued.")
    send(desk, queued, smtp.factory(), now)
    assert smtp.recorder.copies() == Counter(
        {"ana@example.org": 2, "ben@example.org": 2, "eve@example.org": 2,
         "finn@example.org": 2})


def test_a_plan_made_before_another_batch_is_checked_again_when_written(desk, now):
    db = desk["db"]
    stale = pitching.plan_pitch(db, desk["release"], list_name="Labor desk")  # tab one
    pitching.create_batch(db, EDITOR, pitching.plan_pitch(  # meanwhile, tab two: Ana only
        db, desk["release"], journalist_ids=[desk["ana"]]), now=now, queue=True)

    batch_id = pitching.create_batch(db, EDITOR, stale, now=now, queue=True)

    rows = statuses(db, batch_id)
    assert rows["ana@example.org"] == ("skipped", "already queued for this release in batch "
                                                  f"{batch_id - 1}")
    assert [rows[a][0] for a in ("ben@example.org", "eve@example.org",
                                 "finn@example.org")] == ["pending"] * 3
    count = batches(db)
    with pytest.raises(InvalidInput, match="^Nobody new to pitch"):
        pitching.create_batch(db, EDITOR, stale, now=now, queue=True)  # the second click
    assert batches(db) == count


def test_two_clicks_at_once_queue_one_batch(desk, now):
    db = desk["db"]
    plan = pitching.plan_pitch(db, desk["release"], list_name="Labor desk")
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def click():
        start.wait()
        try:
            outcomes.append(pitching.create_batch(db, EDITOR, plan, now=now, queue=True))
        except InvalidInput as exc:
            outcomes.append(exc)

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=60)
    assert sorted(type(o).__name__ for o in outcomes) == ["InvalidInput", "int"]
    with db.connect() as conn:
        pending = Counter(conn.execute(sa.select(pitch_messages.c.email).where(
            pitch_messages.c.status == "pending")).scalars())
    assert pending == Counter(["ana@example.org", "ben@example.org", "eve@example.org",
                               "finn@example.org"])


def test_the_unfinished_batch_of_a_release(desk, now, smtp):
    db = desk["db"]
    assert pitching.unfinished_batch(db, desk["release"]) is None
    batch_id = queued_batch(desk, now)
    batch = pitching.unfinished_batch(db, desk["release"])
    assert (batch["id"], batch["totals"]["pending"]) == (batch_id, 4)
    send(desk, batch_id, smtp.factory(), now)
    assert pitching.unfinished_batch(db, desk["release"]) is None


# --- sending ----------------------------------------------------------------------------------


def test_each_journalist_gets_a_personal_email_with_the_embargo(desk, now, smtp):
    db = desk["db"]
    plan, batch_id = plan_and_batch(desk, now)
    result = send(desk, batch_id, smtp.factory(), now)

    assert (result.sent, result.failed, result.interrupted) == (4, 0, 0)
    assert result.describe() == f"Batch {batch_id}: 4 sent, 2 skipped."
    assert smtp.recorder.copies() == Counter(
        ["ana@example.org", "ben@example.org", "eve@example.org", "finn@example.org"])
    assert {sender for sender, _, _ in smtp.recorder.received} == {"media@local101.example"}
    ana = next(m for m in smtp.recorder.messages() if "ana@" in m["To"])
    assert ana["From"] == "Local 101 Media <media@local101.example>"
    assert ana["To"] == "Ana Quillfeather <ana@example.org>"
    assert ana["Reply-To"] == "press@local101.example"
    assert ana["Subject"] == f"EMBARGOED until {EMBARGO}: Mercy nurses vote to strike"
    assert ana["Message-ID"] == f"<pitch-{batch_id}-{desk['ana']}@local101.example>"
    assert email.utils.parsedate_to_datetime(ana["Date"]) == now
    body = ana.get_content()
    for expected in ("Ana", "Rosa can talk on Monday.", "Mercy nurses set a strike date",
                     "voted 94% to authorise a strike", EMBARGO):
        assert expected in body
    assert "Bus drivers picket" not in body  # another campaign's story
    ben = next(m for m in smtp.recorder.messages() if "ben@" in m["To"])
    assert "Ben" in ben.get_content() and "Ana" not in ben.get_content()
    previewed = pitching.preview(db, plan, desk["ana"])
    assert previewed["Subject"] == ana["Subject"] and previewed["To"] == ana["To"]
    assert body.replace("\r\n", "\n") == previewed.get_content()

    rows = statuses(db, batch_id)
    assert rows["ana@example.org"] == ("sent", "")
    assert rows["cleo@example.org"] == ("skipped", "do not contact: asked us to stop pitching her")
    assert rows["Dev Patel"] == ("skipped", "no e-mail address on file")
    history = contacts.list_interactions(db, desk["ana"])
    assert [(h["kind"], h["release"], h["by_user"]) for h in history] == [
        ("pitched", "Mercy nurses vote to strike", "ed")]
    assert contacts.get_journalist(db, desk["ana"])["last_contacted_at"] == now
    assert contacts.list_interactions(db, desk["cleo"]) == []
    with db.connect() as conn:
        assert conn.execute(sa.select(releases.c.status)).scalar() == "sent"
    assert pitching.get_batch(db, batch_id)["finished_at"] >= now
    actions = {(e["entity"], e["action"]) for e in audit.list_entries(db, ADMIN)}
    assert {("pitch_batch", "create"), ("pitch_batch", "send")} <= actions


def test_a_release_written_from_a_template_is_sent_as_its_plain_text(desk, now, smtp):
    db = desk["db"]
    template = templates.get_template(db, "press_release.en")
    with db.begin() as conn:
        conn.execute(releases.update().values(template=template.name,
                                              fields=templates.sample_values(template)))
    _, batch_id = plan_and_batch(desk, now)
    assert send(desk, batch_id, smtp.factory(), now).sent == 4
    body = smtp.recorder.messages()[0].get_content()
    assert "Northgate Warehouse Workers Vote to Join the Union" in body  # the sample headline
    assert "voted 94%" not in body  # the old body column is not used
    assert f"EMBARGOED UNTIL {EMBARGO}" in body


def test_a_refused_recipient_fails_with_the_servers_words_and_the_rest_go(desk, now, smtp):
    smtp.recorder.refuse.add("eve@example.org")
    _, batch_id = plan_and_batch(desk, now)
    result = send(desk, batch_id, smtp.factory(), now)
    assert (result.sent, result.failed) == (3, 1)
    assert statuses(desk["db"], batch_id)["eve@example.org"] == ("failed", REFUSAL)
    assert statuses(desk["db"], batch_id)["finn@example.org"][0] == "sent"
    assert "eve@example.org" not in smtp.recorder.copies()
    assert contacts.list_interactions(desk["db"], desk["eve"]) == []


def crashing_after_delivery(port: int, crash_on: int):
    """A sender factory whose `crash_on`-th message reaches the server, then the process
    'dies' before the program can record it: the window where a resend would duplicate it."""
    delivered = 0

    class Crashing(SmtpSender):
        def send(self, message):
            nonlocal delivered
            super().send(message)
            delivered += 1
            if delivered == crash_on:
                raise RuntimeError("power cut")

    return lambda: Crashing("127.0.0.1", port, "none", timeout=5)


def test_do_not_contact_since_the_batch_was_written_is_respected(desk, now, smtp):
    _, batch_id = plan_and_batch(desk, now)
    contacts.bulk_do_not_contact(desk["db"], EDITOR, [desk["ben"]], "on leave", now=now)
    assert send(desk, batch_id, smtp.factory(), now).sent == 3
    assert statuses(desk["db"], batch_id)["ben@example.org"] == ("skipped",
                                                                "do not contact: on leave")
    assert "ben@example.org" not in smtp.recorder.copies()


def test_a_crash_mid_batch_then_resume_sends_nobody_twice(desk, now, smtp):
    db = desk["db"]
    _, batch_id = plan_and_batch(desk, now)
    with pytest.raises(RuntimeError, match="power cut"):
        send(desk, batch_id, crashing_after_delivery(smtp.port, crash_on=3), now)
    assert sum(smtp.recorder.copies().values()) == 3
    assert statuses(db, batch_id)["eve@example.org"] == ("pending", "")  # sent, unrecorded
    assert pitching.get_batch(db, batch_id)["finished_at"] is None

    result = send(desk, batch_id, smtp.factory(), now)

    assert (result.sent, result.failed, result.interrupted) == (1, 0, 1)
    assert smtp.recorder.copies() == Counter(
        ["ana@example.org", "ben@example.org", "eve@example.org", "finn@example.org"])
    assert statuses(db, batch_id)["eve@example.org"] == ("failed", pitching.INTERRUPTED)
    assert [statuses(db, batch_id)[a][0] for a in ("ana@example.org", "ben@example.org",
                                                   "finn@example.org")] == ["sent"] * 3
    with db.connect() as conn:
        pitched = Counter(conn.execute(sa.select(interactions.c.journalist_id)).scalars())
    assert pitched == Counter([desk["ana"], desk["ben"], desk["finn"]])
    assert pitching.get_batch(db, batch_id)["finished_at"] is not None

    again = send(desk, batch_id, smtp.factory(), now)  # a finished batch sends nothing
    assert (again.sent, again.failed, again.interrupted) == (0, 0, 0)
    assert sum(smtp.recorder.copies().values()) == 4


def test_no_connection_leaves_the_batch_for_a_resume(desk, now, smtp):
    db = desk["db"]
    _, batch_id = plan_and_batch(desk, now)
    closed = lambda: SmtpSender("127.0.0.1", free_port(), "none", timeout=5)  # noqa: E731
    with pytest.raises(ConnectionFailed, match="Could not connect to the mail server"):
        send(desk, batch_id, closed, now)
    with db.connect() as conn:
        rows = conn.execute(sa.select(pitch_messages.c.status, pitch_messages.c.attempted_at)
                            .where(pitch_messages.c.status != "skipped")).all()
    assert rows == [("pending", None)] * 4
    assert send(desk, batch_id, smtp.factory(), now).sent == 4


def test_a_line_dropped_before_the_servers_answer_is_not_retried(desk, now, smtp):
    smtp.recorder.hang_up_after.add("ben@example.org")
    _, batch_id = plan_and_batch(desk, now)
    result = send(desk, batch_id, smtp.factory(), now)
    assert (result.sent, result.failed) == (3, 1)
    status, detail = statuses(desk["db"], batch_id)["ben@example.org"]
    assert status == "failed" and "while the message was being handed over" in detail
    assert "check your sent mail" in detail
    assert smtp.recorder.copies() == Counter(  # the next ones went on a new connection
        ["ana@example.org", "ben@example.org", "eve@example.org", "finn@example.org"])
    assert send(desk, batch_id, smtp.factory(), now).sent == 0
    assert smtp.recorder.copies()["ben@example.org"] == 1


def test_a_connection_the_server_closed_while_idle_is_reopened(desk, now, caplog):
    caplog.set_level("INFO", logger="outreach.pitching.mailer")
    server = Server(timeout=0.2)  # the server hangs up after 0.2 s without a command
    fake = FakeTime(now)

    def slow_sleep(seconds):
        time.sleep(0.4)
        fake.sleep(seconds)

    try:
        _, batch_id = plan_and_batch(desk, now)
        result = pitching.send_batch(desk["db"], batch_id, server.factory(), clock=fake.clock,
                                     sleep=slow_sleep, rate_per_minute=600)
    finally:
        server.controller.stop()
    assert result.sent == 4 and sum(server.recorder.copies().values()) == 4
    assert caplog.text.count("closed the connection; opening a new one") == 3


def test_rate_limit_spaces_the_sends(desk, now, smtp):
    db = desk["db"]
    _, batch_id = plan_and_batch(desk, now)
    fake = FakeTime(now)
    pitching.send_batch(db, batch_id, smtp.factory(), clock=fake.clock, sleep=fake.sleep,
                        rate_per_minute=30)
    assert fake.sleeps == [2.0, 2.0, 2.0]
    sent = sorted(r["sent_at"] for r in pitching.batch_status(db, batch_id) if r["sent_at"])
    assert [(b - a).total_seconds() for a, b in zip(sent, sent[1:], strict=False)] == [2.0] * 3
    with pytest.raises(InvalidInput):
        pitching.send_batch(db, batch_id, smtp.factory(), clock=fake.clock, sleep=fake.sleep,
                            rate_per_minute=0)


# --- TLS and sign-in --------------------------------------------------------------------------


def authenticator(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=(auth_data.login, auth_data.password)
                      == (b"media@local101.example", b"s3cret-app-password"), handled=False)


@pytest.fixture
def tls_smtp(certificate):
    server_ctx, _ = certificate
    server = Server(tls_context=server_ctx, require_starttls=True, authenticator=authenticator,
                    auth_required=True)
    yield server
    server.controller.stop()


def test_starttls_and_sign_in_with_the_password_from_the_vault(desk, now, tls_smtp,
                                                               certificate, tmp_path):
    db = desk["db"]
    settings = Settings(data_dir=tmp_path, database_url="", timezone="UTC",
                        worker_interval=30, log_level="INFO",
                        secret_keys=(Fernet.generate_key().decode(),))
    set_org(db, ADMIN, {"smtp_host": "127.0.0.1", "smtp_port": tls_smtp.port,
                        "smtp_security": "starttls", "smtp_user": "media@local101.example"},
            now=now)
    with pytest.raises(ConfigError, match="no SMTP password"):
        pitching.make_sender_factory(db, settings)
    vault.set_secret(db, vault.Vault.open(settings), ADMIN, vault.SMTP_CREDENTIAL,
                     "s3cret-app-password", now=now)
    real = pitching.make_sender_factory(db, settings)
    assert "s3cret" not in repr(real())
    _, trusting = certificate

    with pytest.raises(ConnectionFailed, match="certificate verify failed"):
        real(timeout=5).__enter__()  # the system's trust store does not know our certificate
    wrong = SmtpSender("127.0.0.1", tls_smtp.port, "starttls", "media@local101.example",
                       "guess", timeout=5, ssl_context=trusting)
    with pytest.raises(ConnectionFailed, match="refused the sign-in") as refused:
        wrong.__enter__()
    assert "535" in str(refused.value) and "guess" not in str(refused.value)

    _, batch_id = plan_and_batch(desk, now)
    result = send(desk, batch_id, lambda: real(timeout=5, ssl_context=trusting), now)
    assert result.sent == 4 and len(tls_smtp.recorder.received) == 4


def test_implicit_tls(desk, now, certificate):
    server_ctx, trusting = certificate
    server = Server(ssl_context=server_ctx)
    try:
        _, batch_id = plan_and_batch(desk, now)
        result = send(desk, batch_id, server.factory(security="tls", ssl_context=trusting), now)
    finally:
        server.controller.stop()
    assert result.sent == 4 and len(server.recorder.received) == 4


# --- .eml files and the command line -----------------------------------------------------------


def test_eml_files_for_ones_own_mail_client(desk, now):
    db = desk["db"]
    plan = pitching.plan_pitch(db, desk["release"], list_name="Labor desk", note="Call Rosa.")
    files = pitching.eml_files(db, plan)
    assert sorted(files) == ["001-ana-quillfeather.eml", "002-ben-ortiz.eml",
                             "003-eve-lindqvist.eml", "004-finn-o-brien.eml"]
    ana = email.message_from_bytes(files["001-ana-quillfeather.eml"],
                                   policy=email.policy.default)
    assert ana["To"] == "Ana Quillfeather <ana@example.org>"
    assert ana["X-Unsent"] == "1" and ana["Message-ID"] is None
    assert "Call Rosa." in ana.get_content()
    with zipfile.ZipFile(io.BytesIO(pitching.eml_zip(db, plan))) as archive:
        assert sorted(archive.namelist()) == sorted(files)
    assert contacts.list_interactions(db, desk["ana"]) == []


def run_cli(db, tmp_path, *argv) -> int:
    args = build_parser(argv[0]).parse_args(argv)
    settings = Settings(data_dir=tmp_path, database_url=db.url.render_as_string(
        hide_password=False), timezone="UTC", worker_interval=30, log_level="INFO")
    return execute(args, settings)


def test_cli_dry_run_send_and_status(desk, now, smtp, tmp_path, capsys):
    db = desk["db"]
    set_org(db, ADMIN, {"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                        "smtp_security": "none", "pitch_rate_per_minute": 600}, now=now)
    release = str(desk["release"])
    assert run_cli(db, tmp_path, "pitch", "send", "--release", release, "--list",
                   "Labor desk", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "To send (4):\n  Ana Quillfeather <ana@example.org>, Valley Tribune" in out
    assert "Cleo Marsh <cleo@example.org>: do not contact" in out
    assert f"Subject: EMBARGOED until {EMBARGO}" in out
    assert "Dry run: nothing was sent." in out and smtp.recorder.received == []

    smtp.recorder.refuse.add("eve@example.org")
    assert run_cli(db, tmp_path, "pitch", "send", "--release", release, "--journalist",
                   str(desk["ana"]), str(desk["eve"]), "--note", "Call Rosa.") == 1
    out = capsys.readouterr().out
    assert "1 sent, 1 failed." in out and REFUSAL in out
    assert smtp.recorder.copies() == Counter(["ana@example.org"])

    with db.connect() as conn:
        batch_id = conn.execute(sa.select(sa.func.max(pitch_messages.c.batch_id))).scalar()
    assert run_cli(db, tmp_path, "pitch", "status", "--batch", str(batch_id)) == 0
    out = capsys.readouterr().out
    assert "sent     Ana Quillfeather <ana@example.org>" in out
    assert f"failed   Eve Lindqvist <eve@example.org>  {REFUSAL}" in out
    assert run_cli(db, tmp_path, "pitch", "resume", "--batch", str(batch_id)) == 1
    assert "Nothing was left to send." in capsys.readouterr().out
    assert sum(smtp.recorder.copies().values()) == 1


def test_cli_sends_again_only_with_again(desk, now, smtp, tmp_path, capsys):
    db = desk["db"]
    set_org(db, ADMIN, {"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                        "smtp_security": "none", "pitch_rate_per_minute": 600}, now=now)
    send_to_list = ("pitch", "send", "--release", str(desk["release"]), "--list", "Labor desk")
    assert run_cli(db, tmp_path, *send_to_list) == 0
    capsys.readouterr()

    with pytest.raises(InvalidInput, match="command line: pitch send --again"):
        run_cli(db, tmp_path, *send_to_list)  # the same command, run twice by mistake
    out = capsys.readouterr().out
    assert "To send (0):" in out
    assert "Ana Quillfeather <ana@example.org>: already pitched this release on " in out
    assert "To e-mail the 4 already pitched once more, add --again." in out
    assert sum(smtp.recorder.copies().values()) == 4

    assert run_cli(db, tmp_path, *send_to_list, "--again") == 0
    out = capsys.readouterr().out
    assert "To send (4):\n  including 4 already pitched this release (--again)" in out
    assert set(smtp.recorder.copies().values()) == {2}


def queued_batch(desk, now) -> int:
    plan = pitching.plan_pitch(desk["db"], desk["release"], list_name="Labor desk")
    return pitching.create_batch(desk["db"], EDITOR, plan, now=now, queue=True)


def settings_for(db, tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=db.url.render_as_string(
        hide_password=False), timezone="UTC", worker_interval=30, log_level="INFO")


def test_a_queued_batch_is_claimed_by_one_worker_only(desk, now):
    db = desk["db"]
    assert pitching.claim_queued_batch(db, "w1", now=now) is None
    unqueued = pitching.create_batch(db, EDITOR, pitching.plan_pitch(
        db, desk["release"], journalist_ids=[desk["ana"]]), now=now)
    batch_id = queued_batch(desk, now)
    assert pitching.claim_queued_batch(db, "w1", now=now) == batch_id
    assert pitching.claim_queued_batch(db, "w2", now=now) is None
    later = now + pitching.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert pitching.claim_queued_batch(db, "w2", now=later) == batch_id
    assert unqueued != batch_id


def test_the_worker_sends_queued_batches(desk, now, smtp, tmp_path):
    db = desk["db"]
    set_org(db, ADMIN, {"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                        "smtp_security": "none"}, now=now)
    batch_id = queued_batch(desk, now)
    summary = pitching.send_queued(db, settings_for(db, tmp_path), "w1", now=now,
                                   sleep=lambda s: None)
    assert summary == f"Batch {batch_id}: 4 sent, 2 skipped."
    assert pitching.get_batch(db, batch_id)["finished_at"] is not None
    assert pitching.send_queued(db, settings_for(db, tmp_path), "w1", now=now,
                                sleep=lambda s: None) == "nothing to send"


def test_a_stopping_worker_pauses_the_batch_for_the_next_pass(desk, now, smtp, tmp_path):
    db = desk["db"]
    set_org(db, ADMIN, {"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                        "smtp_security": "none", "pitch_rate_per_minute": 1}, now=now)
    batch_id = queued_batch(desk, now)

    def stopping(seconds):
        raise InterruptedError("the worker is stopping")

    summary = pitching.send_queued(db, settings_for(db, tmp_path), "w1", now=now,
                                   sleep=stopping)
    assert "paused" in summary
    assert len(smtp.recorder.received) == 1
    summary = pitching.send_queued(db, settings_for(db, tmp_path), "w2", now=now,
                                   sleep=lambda s: None)
    assert len(smtp.recorder.received) == 4
    assert pitching.get_batch(db, batch_id)["totals"]["sent"] == 4


def test_an_unreachable_server_is_shown_on_the_batch(desk, now, tmp_path):
    db = desk["db"]
    set_org(db, ADMIN, {"smtp_host": "127.0.0.1", "smtp_port": free_port(),
                        "smtp_security": "none"}, now=now)
    batch_id = queued_batch(desk, now)
    summary = pitching.send_queued(db, settings_for(db, tmp_path), "w1", now=now,
                                   sleep=lambda s: None)
    assert "Could not connect" in summary
    batch = pitching.get_batch(db, batch_id)
    assert "Could not connect" in batch["last_error"] and batch["finished_at"] is None

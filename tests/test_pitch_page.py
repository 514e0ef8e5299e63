"""Pitching from the Releases page: one click queues one batch, the page shows its progress,
and nobody is e-mailed a release twice unless the editor asks for it."""

from collections import Counter

import pytest
from support.pages import (
    ROOT,
    button,
    caption_with,
    checkbox,
    confirmed,
    open_page,
    select,
    user_id,
)
from support.smtp import Server

from outreach import campaigns
from outreach.clock import utcnow
from outreach.config import Settings
from outreach.ops import demo
from outreach.org_settings import set_org
from outreach.pitching import pitches as pitching
from outreach.releases import drafts as releases

LIST = "Spanish-language"


@pytest.fixture
def smtp():
    server = Server()
    yield server
    server.controller.stop()


@pytest.fixture
def pitchable(demo_store, smtp, now):  # noqa: F811
    """The demo's sent release, with SMTP aimed at the local server: (release id, the plan
    for the list)."""
    set_org(demo_store, ROOT, {"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                               "smtp_security": "none", "pitch_rate_per_minute": 600,
                               "smtp_from": "Local 101 <media@local101.test>"}, now=now)
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    release = releases.list_releases(demo_store, campaign.id, status="sent")[0]["id"]
    return release, pitching.plan_pitch(demo_store, release, list_name=LIST)


def pitch_page(db, release_id: int):
    at = open_page("releases", as_user=user_id(db, "editor"))
    select(at, "Release").select(release_id).run()
    select(at, "Press list").select(LIST).run()
    return at


def checkboxes(at) -> list[str]:
    return [c.label for c in at.checkbox]


def worker_pass(db) -> str:
    """What the worker's pitch job does on its next pass."""
    return pitching.send_queued(db, Settings.from_env(), "w1", now=utcnow(),
                                sleep=lambda s: None)


def test_after_send_nothing_stays_ticked_and_send_waits_for_the_batch(
        demo_store, pitchable, smtp):  # noqa: F811
    release, plan = pitchable
    n, skipped = len(plan.recipients), len(plan.skipped)
    at = pitch_page(demo_store, release)
    at.text_area[0].input("Rosa is free to talk at noon.").run()
    checkbox(at, f"Yes, e-mail {n} journalists now").check().run()
    button(at, "Send").click().run()

    assert any(m.startswith("Queued") for m in confirmed(at)), at.error
    [batch] = pitching.release_batches(demo_store, release)
    assert at.text_area[0].value == ""  # a fresh round: the note and the tick are gone
    assert f"Yes, e-mail {n} journalists now" not in checkboxes(at)
    assert button(at, "Send").disabled
    assert any(f"Batch {batch['id']} of this release is still being sent" in i.value
               for i in at.info)
    assert caption_with(at, "will receive it") == f"0 will receive it; {n + skipped} skipped."
    skips = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert f"already queued for this release in batch {batch['id']}" in set(skips["reason"])
    [progress] = at.get("progress")
    assert progress.proto.text == f"Batch {batch['id']}: 0 sent, {n} pending, 0 failed"

    worker_pass(demo_store)
    at.run()

    assert smtp.recorder.copies() == Counter(r.email for r in plan.recipients)
    assert not [i for i in at.info if "still being sent" in i.value] and not at.get("progress")
    assert button(at, "Send").disabled  # everyone on the list has it now
    assert f"Also send again to the {n} journalists already pitched" in checkboxes(at)
    status = next(d.value for d in at.dataframe if "email" in d.value.columns)
    assert set(status["status"]) == {"sent"}


def test_sending_again_is_a_ticked_choice_asked_afresh_each_time(
        demo_store, pitchable, smtp, now):  # noqa: F811
    release, plan = pitchable
    n = len(plan.recipients)
    pitching.create_batch(demo_store, ROOT, plan, now=now, queue=True)
    worker_pass(demo_store)
    at = pitch_page(demo_store, release)
    skips = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    pitched = [r for r in skips["reason"] if r.startswith("already pitched this release on ")]
    assert len(pitched) == n and all(r.endswith(f"({demo.DEMO_TZ})") for r in pitched)
    again = f"Also send again to the {n} journalists already pitched"

    checkbox(at, again).check().run()
    assert caption_with(at, "will receive it").startswith(f"{n} will receive it")
    checkbox(at, f"Yes, e-mail {n} journalists now").check().run()
    button(at, "Send").click().run()

    assert any(m.startswith("Queued") for m in confirmed(at)), at.error
    assert again not in checkboxes(at)  # they are queued: not even "again" sends them now
    worker_pass(demo_store)
    assert smtp.recorder.copies() == Counter(2 * [r.email for r in plan.recipients])
    at.run()
    assert not checkbox(at, again).value  # asked afresh for a third time

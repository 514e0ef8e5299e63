"""The protected-names gate at the moment words leave: a post, a pitch or an export written
or approved before a name was protected is held (or refused), never sent."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from support.desk import ADMIN, EDITOR, make_desk, run, schedule
from support.images import photo
from support.pages import ROOT, button, open_page, select, user_id
from support.smtp import Server

from outreach import campaigns
from outreach.cli import build_parser, execute
from outreach.config import Settings
from outreach.errors import InvalidInput
from outreach.ops import demo
from outreach.org_settings import set_org
from outreach.pitching import pitches as pitching
from outreach.presslist import contacts
from outreach.releases import drafts as releases
from outreach.releases import protected_names, templates
from outreach.releases.protected_names import HELD, NamesProtected, add_protected
from outreach.social import queue as post_queue
from outreach.social.images import prepare_image
from outreach.store.tables import press_hits
from outreach.store.tables import releases as releases_table


@pytest.fixture
def desk(db, now, x_server, tmp_path):
    return make_desk(db, now, x_server, tmp_path)


# --- posts --------------------------------------------------------------------------------


def test_a_post_scheduled_before_a_name_was_protected_is_held_not_sent(desk, x_server, now):
    db = desk["db"]
    post_id = schedule(desk, now, "Thank you Maria Quintana for speaking at the rally.")
    add_protected(db, ADMIN, "Maria Quintana", now=now)
    assert run(desk, x_server, now) == "1 held"
    assert x_server.own_posts() == []
    post = post_queue.get_post(db, post_id)
    assert post["status"] == "held"
    assert post["last_error"] == HELD and "Quintana" not in post["last_error"]
    # Retrying unchanged would only hold it again: the editor is told where the name is.
    with pytest.raises(NamesProtected, match="line 1: 'Maria Quintana'"):
        post_queue.retry_post(db, EDITOR, post_id, now=now)
    assert run(desk, x_server, now) == "nothing due"
    assert post_queue.edit_post(db, EDITOR, post_id, ["Thank you to everyone who spoke."],
                                now=now) == "scheduled"
    assert run(desk, x_server, now) == "1 published"
    assert [p.text for p in x_server.own_posts()] == ["Thank you to everyone who spoke."]


def test_alt_text_is_checked_as_it_leaves(desk, x_server, now):
    db = desk["db"]
    image = prepare_image(photo(), "Maria Quintana at Gate 3", "x")
    post_id = post_queue.create_post(db, EDITOR, desk["account"], ["Day 1 of the strike."],
                                     now=now, at=now, images=[image])
    add_protected(db, ADMIN, "Maria Quintana", now=now)
    assert run(desk, x_server, now) == "1 held"
    assert x_server.own_posts() == [] and x_server.media == {}
    words, matches = post_queue.protected_matches(db, post_id)
    assert [m.text for m in matches] == ["Maria Quintana"]
    assert "Day 1 of the strike." in words
    with pytest.raises(NamesProtected, match="'Maria Quintana'"):
        post_queue.edit_post(db, EDITOR, post_id, ["Day 1 of the strike."], now=now)
    with pytest.raises(InvalidInput, match="has 1 image"):
        post_queue.edit_post(db, EDITOR, post_id, ["Day 1 of the strike."], now=now, alts=[])
    assert post_queue.edit_post(db, EDITOR, post_id, ["Day 1 of the strike."], now=now,
                                alts=["A steward at Gate 3"]) == "scheduled"
    assert run(desk, x_server, now) == "1 published"
    [media_id] = x_server.own_posts()[0].media_ids
    assert x_server.media[media_id].alt_text == "A steward at Gate 3"


def test_alt_text_longer_than_x_takes_is_refused_when_written(desk, now):
    image = prepare_image(photo(), "A picket line", "bluesky")
    long_alt = "A picket line at dawn. " * 50
    with pytest.raises(InvalidInput, match="at most 1,000 characters; this one has 1,149"):
        post_queue.create_post(desk["db"], EDITOR, desk["account"], ["Day 1."], now=now,
                               images=[dataclasses.replace(image, alt=long_alt)])
    with pytest.raises(InvalidInput, match="Alt text on x takes at most 1,000"):
        prepare_image(photo(), long_alt, "x")
    assert prepare_image(photo(), long_alt, "bluesky").alt == long_alt.strip()


def test_a_thread_is_checked_part_by_part_but_what_went_out_is_not_held_again(
        desk, x_server, now):
    """A name protected after a thread's first part went out holds the parts still to
    go; the part already public is not what the gate can stop."""
    db = desk["db"]
    post_id = schedule(desk, now, "Maria Quintana opened the rally.", "Then we marched.")
    first = x_server.add_post("Maria Quintana opened the rally.",
                            username=x_server.users[x_server.user_id])
    with db.begin() as conn:  # the first part went out before the worker stopped
        conn.execute(sa.text("UPDATE post_parts SET remote_id = :r, remote_url = :u "
                             "WHERE post_id = :p AND position = 0"),
                     {"r": first, "u": f"https://x.com/i/status/{first}", "p": post_id})
    add_protected(db, ADMIN, "Maria Quintana", now=now)
    assert run(desk, x_server, now) == "1 published"
    [opening, reply] = x_server.own_posts()
    assert reply.text == "Then we marched." and reply.in_reply_to == opening.id


def test_an_approved_post_is_edited_and_goes_back_to_the_committee(desk, x_server, now):
    db = desk["db"]
    set_org(db, ADMIN, {"posts_need_approval": True}, now=now)
    post_id = schedule(desk, now, "Maria Quintana speaks at noon.")
    with db.begin() as conn:  # approved by the committee before the name was protected
        conn.execute(sa.text("UPDATE posts SET status = 'scheduled' WHERE id = :p"),
                     {"p": post_id})
    add_protected(db, ADMIN, "Maria Quintana", now=now)
    assert run(desk, x_server, now) == "1 held"
    assert post_queue.edit_post(db, EDITOR, post_id, ["Our steward speaks at noon."],
                                now=now) == "draft"
    assert x_server.own_posts() == []


# --- pitches ------------------------------------------------------------------------------


@pytest.fixture
def pitch_desk(db, now):
    campaign = campaigns.create_campaign(db, ADMIN, "Mercy Nurses", now=now, timezone="UTC")
    ana = contacts.add_journalist(db, EDITOR, {"name": "Ana Quillfeather",
                                               "email": "ana@example.org"},
                                  now=now, outlet_name="Valley Tribune")
    ben = contacts.add_journalist(db, EDITOR, {"name": "Ben Ortiz", "email": "ben@example.org"},
                                  now=now, outlet_name="Channel 7")
    contacts.bulk_add_to_list(db, EDITOR, [ana, ben], "Labor desk", now=now)
    with db.begin() as conn:
        release_id = conn.execute(releases_table.insert().values(
            campaign_id=campaign.id, title="Mercy nurses vote to strike", status="approved",
            body="Nurses voted 94% to strike. Maria Quintana, a nurse, said: we are ready.",
            template="", created_at=now, updated_at=now)).inserted_primary_key[0]
    set_org(db, ADMIN, {"smtp_from": "Local 101 Media <media@local101.example>"}, now=now)
    return {"db": db, "release": release_id, "campaign": campaign.id, "ana": ana}


@pytest.fixture
def smtp():
    server = Server()
    yield server
    server.controller.stop()


def test_a_batch_queued_before_a_name_was_protected_is_held_whole(pitch_desk, now, smtp):
    db = pitch_desk["db"]
    plan = pitching.plan_pitch(db, pitch_desk["release"], list_name="Labor desk")
    batch_id = pitching.create_batch(db, EDITOR, plan, now=now, queue=True)
    add_protected(db, ADMIN, "Maria Quintana", now=now)
    result = pitching.send_batch(db, batch_id, smtp.factory(), clock=lambda: now,
                                 sleep=lambda s: None, rate_per_minute=600)
    assert smtp.recorder.messages() == []
    assert result.describe() == f"Batch {batch_id}: 2 held."
    assert {r["status"] for r in pitching.batch_status(db, batch_id)} == {"held"}
    assert {r["detail"] for r in pitching.batch_status(db, batch_id)} == {HELD}
    batch = pitching.get_batch(db, batch_id)
    assert batch["finished_at"] is not None and batch["last_error"] == HELD
    assert pitching.unfinished_batch(db, pitch_desk["release"]) is None
    with pytest.raises(NamesProtected, match="pitch e-mail names a protected member"):
        pitching.plan_pitch(db, pitch_desk["release"], list_name="Labor desk")


def test_a_journalists_latest_story_naming_a_member_stops_the_pitch_and_the_eml_files(
        pitch_desk, now, tmp_path, capsys):
    """The e-mail quotes each journalist's newest story on the campaign: it is words
    leaving too, checked in the plan, the dry run and the .eml download."""
    db = pitch_desk["db"]
    with db.begin() as conn:
        conn.execute(releases_table.update().values(body="Nurses voted 94% to strike."))
        conn.execute(press_hits.insert().values(
            campaign_id=pitch_desk["campaign"], journalist_id=pitch_desk["ana"],
            title="Nurse Maria Quintana fired after speaking out", url="https://valley.example/1",
            found_at=now, published_at=datetime(2026, 11, 20, tzinfo=UTC)))
    plan = pitching.plan_pitch(db, pitch_desk["release"], list_name="Labor desk")
    add_protected(db, ADMIN, "Maria Quintana", now=now)
    with pytest.raises(NamesProtected, match="'Maria Quintana'"):
        pitching.eml_zip(db, plan)
    with pytest.raises(NamesProtected, match="This pitch e-mail names a protected member"):
        pitching.plan_pitch(db, pitch_desk["release"], list_name="Labor desk")
    args = build_parser("pitch").parse_args([
        "pitch", "send", "--release", str(pitch_desk["release"]), "--list", "Labor desk",
        "--dry-run"])
    settings = Settings(data_dir=tmp_path, database_url=db.url.render_as_string(
        hide_password=False), timezone="UTC", worker_interval=30, log_level="INFO")
    with pytest.raises(NamesProtected, match="pitch e-mail names a protected member"):
        execute(args, settings)


# --- release exports ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", releases.EXPORT_FORMATS)
def test_an_approved_release_is_not_exported_once_it_names_a_protected_member(db, now, fmt):
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    template = templates.get_template(db, "press_release.en")
    values = templates.sample_values(template)
    assert "Rosa Delgado" in str(values)
    rid = releases.create_release(db, ADMIN, campaign.id, template.name, values, now=now)
    with db.begin() as conn:
        conn.execute(releases_table.update().where(releases_table.c.id == rid)
                     .values(status="approved"))
    assert releases.export(db, rid, fmt)
    add_protected(db, ADMIN, "Rosa Delgado", now=now)
    with pytest.raises(NamesProtected, match="This release names a protected member"):
        releases.export(db, rid, fmt)


# --- the pages ----------------------------------------------------------------------------


def _held_demo_post(store, now) -> int:
    campaign = campaigns.find_campaign(store, demo.DEMO_CAMPAIGN)
    account = post_queue.list_accounts(store, campaign.id)[0]["id"]
    set_org(store, ROOT, {"posts_need_approval": False}, now=now)
    post_id = post_queue.create_post(store, ROOT, account, ["Rosa Delgado speaks at noon."],
                                     now=now, at=now)
    protected_names.add_protected(store, ROOT, "Rosa Delgado", now=now)
    with store.begin() as conn:
        conn.execute(sa.text("UPDATE posts SET status = 'held', last_error = :e WHERE id = :p"),
                     {"e": HELD, "p": post_id})
    return post_id


def test_an_editor_sees_where_a_held_post_names_a_member(demo_store, now):
    post_id = _held_demo_post(demo_store, now)
    at = open_page("social", as_user=user_id(demo_store, "editor"))
    select(at, "Post").select(post_id).run()
    assert any("held, never sent" in e.value for e in at.error)
    assert any("<mark>Rosa&nbsp;Delgado</mark>" in m.value or "<mark>Rosa Delgado</mark>"
               in m.value for m in at.markdown)
    button(at, "Retry now").click().run()
    assert any("names a protected member" in e.value for e in at.error)
    assert post_queue.get_post(demo_store, post_id)["status"] == "held"


def test_an_editor_fixes_the_alt_text_of_a_held_post_on_the_page(demo_store, now):
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    account = post_queue.list_accounts(demo_store, campaign.id)[0]
    set_org(demo_store, ROOT, {"posts_need_approval": False}, now=now)
    image = prepare_image(photo(), "Rosa Delgado at the gate", account["platform"])
    post_id = post_queue.create_post(demo_store, ROOT, account["id"], ["Day 1."], now=now,
                                     at=now, images=[image])
    protected_names.add_protected(demo_store, ROOT, "Rosa Delgado", now=now)
    at = open_page("social", as_user=user_id(demo_store, "editor"))
    select(at, "Post").select(post_id).run()
    assert any("Edit the words or the alt text" in e.value for e in at.error)
    alt = next(t for t in at.text_input if t.label == "Alt text of image 1")
    assert alt.value == "Rosa Delgado at the gate"
    alt.input("A steward at the gate")
    next(b for b in at.button if b.label == "Save the words").click().run()
    post = post_queue.get_post(demo_store, post_id)
    assert post["images"][0]["alt"] == "A steward at the gate"
    assert post["status"] == "scheduled"
    assert not any("names a protected member" in e.value for e in at.error)


def test_a_viewer_sees_a_held_post_without_the_words_that_matched(demo_store, now):
    _held_demo_post(demo_store, now)
    at = open_page("social", as_user=user_id(demo_store, "viewer"))
    select(at, "Show").select("held").run()
    queue = next(d.value for d in at.dataframe if "last_error" in d.value.columns)
    assert list(queue["last_error"]) == [HELD]
    assert not any("<mark>" in m.value for m in at.markdown)


def test_a_viewer_is_not_told_which_words_stop_an_export(demo_store, now):
    protected_names.add_protected(demo_store, ROOT, "Rosa Delgado", now=now)
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    template = templates.get_template(demo_store, "press_release.en")
    rid = releases.create_release(demo_store, ROOT, campaign.id, template.name,
                                  templates.sample_values(template), now=now)
    at = open_page("releases", as_user=user_id(demo_store, "viewer"))
    select(at, "Release").select(rid).run()
    captions = [c.value for c in at.caption if c.value.startswith("No ")]
    assert captions and all(c.endswith(NamesProtected.HIDDEN) for c in captions)
    assert not any("Rosa" in c for c in captions)

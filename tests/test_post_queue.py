"""Composing one post for several accounts, editing saved words, slot plans and X costs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from support.images import photo

from outreach import campaigns
from outreach.auth import users
from outreach.cli import main
from outreach.errors import InvalidInput
from outreach.org_settings import get_org, set_org
from outreach.releases.protected_names import add_protected
from outreach.roles import Actor
from outreach.social import queue as post_queue
from outreach.social.images import prepare_image
from outreach.store.tables import campaigns as campaigns_table
from outreach.store.tables import post_parts, social_accounts, votes

ADMIN = Actor("ada", "admin")
EDITOR = Actor("ed", "editor")
APPROVER = Actor("april", "approver")
LONG = " ".join(["Acme warehouse workers walk out at dawn for safe staffing."] * 6)


@pytest.fixture
def desk(db, now):
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now,
                                         timezone="America/Chicago")
    with db.begin() as conn:
        ids = {platform: conn.execute(social_accounts.insert().values(
            campaign_id=campaign.id, platform=platform, handle=handle, created_at=now,
        )).inserted_primary_key[0] for platform, handle in
            (("bluesky", "local101.bsky.test"), ("x", "local101"))}
    set_org(db, ADMIN, {"post_rule": {"kind": "at_least", "n": 1}}, now=now)
    return {"db": db, "campaign": campaign.id, **ids}


def parts_of(db, post_id: int) -> list[str]:
    return [p["text"] for p in post_queue.get_post(db, post_id)["parts"]]


def test_one_post_goes_to_several_accounts_each_with_its_own_words(desk, now):
    db = desk["db"]
    bsky, x = post_queue.create_posts(db, EDITOR, [
        post_queue.Variant(desk["bluesky"], ["Rally at Gate 3, noon. #AcmeStrike"]),
        post_queue.Variant(desk["x"], ["Rally at Gate 3 at noon!"]),
    ], now=now, at=now + timedelta(days=1))
    assert parts_of(db, bsky) == ["Rally at Gate 3, noon. #AcmeStrike"]
    assert parts_of(db, x) == ["Rally at Gate 3 at noon!"]
    assert {post_queue.get_post(db, i)["group_id"] for i in (bsky, x)} == {bsky}
    # The committee approves them together: one submit, one vote.
    post_queue.submit_post(db, EDITOR, x, now=now)
    assert {post_queue.get_post(db, i)["status"] for i in (bsky, x)} == {"in_review"}
    post_queue.vote_post(db, APPROVER, bsky, "approve", now=now)
    assert {post_queue.get_post(db, i)["status"] for i in (bsky, x)} == {"scheduled"}


def test_a_variant_that_does_not_fit_refuses_them_all(desk, now):
    db = desk["db"]
    with pytest.raises(InvalidInput, match="x local101: The post is .* on x"):
        post_queue.create_posts(db, EDITOR, [
            post_queue.Variant(desk["bluesky"], ["Short and sweet."]),
            post_queue.Variant(desk["x"], [LONG]),
        ], now=now, at=now)
    assert post_queue.list_posts(db, desk["campaign"]) == []


@pytest.mark.parametrize(("at", "why"), [
    (datetime(1, 1, 1, tzinfo=UTC), "before the campaign began"),
    (datetime(2025, 11, 20, 15, tzinfo=UTC), "before the campaign began"),
    (datetime(2062, 11, 20, 15, tzinfo=UTC), "more than two years ahead"),
    (datetime(9999, 12, 31, tzinfo=UTC), "more than two years ahead"),
], ids=["year 1", "a year early", "2062 for 2026", "year 9999"])
def test_a_time_outside_the_campaigns_window_is_refused(desk, now, at, why):
    """A typo'd year (0001) once went into the queue, and then every visit to the Social
    page failed turning it into the campaign's time zone."""
    db = desk["db"]
    with pytest.raises(InvalidInput, match=f"is not a time a post can go out: it is {why}"):
        post_queue.create_posts(db, EDITOR, [
            post_queue.Variant(desk["bluesky"], ["Rally at noon."])], now=now, at=at)
    assert post_queue.list_posts(db, desk["campaign"]) == []
    post_id = post_queue.create_post(db, EDITOR, desk["bluesky"], ["Rally."], now=now, at=now)
    with pytest.raises(InvalidInput, match="check the year"):
        post_queue.reschedule(db, EDITOR, post_id, at, now=now)
    assert post_queue.get_post(db, post_id)["scheduled_at"] == now


def test_the_window_opens_on_the_campaigns_start_date_and_closes_two_years_ahead(desk, now):
    db = desk["db"]
    with db.begin() as conn:
        conn.execute(campaigns_table.update().where(campaigns_table.c.id == desk["campaign"])
                     .values(start_date=date(2026, 9, 1)))
    early = datetime(2026, 9, 1, 5, tzinfo=UTC)  # the morning of the start, campaign time
    late = now + post_queue.MAX_AHEAD
    for at in (early, late):
        post_queue.create_post(db, EDITOR, desk["bluesky"], ["Rally."], now=now, at=at)
    with pytest.raises(InvalidInput, match=r"before the campaign began \(2026-09-01\)"):
        post_queue.create_post(db, EDITOR, desk["bluesky"], ["Rally."], now=now,
                               at=datetime(2026, 8, 31, 12, tzinfo=UTC))


def test_alt_text_passes_the_protected_names_check(desk, now):
    """Alt text is public on Bluesky: a photo described as "Maria Quintana on the picket
    line" names her as surely as the post's words would."""
    db = desk["db"]
    add_protected(db, ADMIN, "Maria Quintana", now=now)
    named = prepare_image(photo(), "Maria Quintana on the picket line", "bluesky")
    with pytest.raises(InvalidInput, match="names a protected member"):
        post_queue.create_posts(db, EDITOR, [
            post_queue.Variant(desk["bluesky"], ["Solidarity at Gate 3."], (named,))],
            now=now, at=now)
    assert post_queue.list_posts(db, desk["campaign"]) == []
    unnamed = prepare_image(photo(), "Pickets at Gate 3 at dawn", "bluesky")
    assert post_queue.create_posts(db, EDITOR, [
        post_queue.Variant(desk["bluesky"], ["Solidarity at Gate 3."], (unnamed,))],
        now=now, at=now)


def test_a_vote_to_approve_checks_the_words_again(desk, now):
    """A name protected after a post was submitted (in its words or an image's alt text)
    stops the approval; asking for changes is still possible."""
    db = desk["db"]
    image = prepare_image(photo(), "Rosa Delgado at Gate 3", "bluesky")
    post_id, = post_queue.create_posts(db, EDITOR, [
        post_queue.Variant(desk["bluesky"], ["Solidarity at Gate 3."], (image,))],
        now=now, at=now)
    post_queue.submit_post(db, EDITOR, post_id, now=now)
    add_protected(db, ADMIN, "Rosa Delgado", now=now)
    with pytest.raises(InvalidInput, match="names a protected member .*'Rosa Delgado'"):
        post_queue.vote_post(db, APPROVER, post_id, "approve", now=now)
    assert post_queue.get_post(db, post_id)["status"] == "in_review"
    post_queue.vote_post(db, APPROVER, post_id, "reject", "Take Rosa out of the alt text.",
                         now=now)
    assert post_queue.get_post(db, post_id)["status"] == "changes_requested"


def test_the_guard_checks_every_variant(desk, now):
    db = desk["db"]
    add_protected(db, ADMIN, "Maria Quintana", now=now)
    with pytest.raises(InvalidInput, match="Maria Quintana"):
        post_queue.create_posts(db, EDITOR, [
            post_queue.Variant(desk["bluesky"], ["Solidarity."]),
            post_queue.Variant(desk["x"], ["Thanks, Maria Quintana!"]),
        ], now=now, at=now)
    assert post_queue.list_posts(db, desk["campaign"]) == []


def test_editing_a_scheduled_post_changes_its_words_and_asks_the_committee_again(desk, now):
    db = desk["db"]
    post_id = post_queue.create_post(db, EDITOR, desk["bluesky"], ["Rally at noon.", "Bring"
                                     " water."], now=now, at=now + timedelta(hours=5))
    post_queue.submit_post(db, EDITOR, post_id, now=now)
    post_queue.vote_post(db, APPROVER, post_id, "approve", now=now)
    old_keys = [p["key"] for p in post_queue.get_post(db, post_id)["parts"]]
    assert post_queue.edit_post(db, EDITOR, post_id, ["Rally moved to 1 pm.", "", "See you."],
                                now=now) == "draft"
    post = post_queue.get_post(db, post_id)
    assert parts_of(db, post_id) == ["Rally moved to 1 pm.", "See you."]
    assert post["text"] == "Rally moved to 1 pm." and post["version"] == 2
    assert not {p["key"] for p in post["parts"]} & set(old_keys)
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(
            votes.c.subject_id == post_id, votes.c.voided_at.is_(None))).scalar_one() == 0
    post_queue.submit_post(db, EDITOR, post_id, now=now)
    post_queue.vote_post(db, APPROVER, post_id, "approve", now=now)
    assert post_queue.get_post(db, post_id)["status"] == "scheduled"


def test_without_approval_an_edit_keeps_the_post_scheduled(desk, now):
    db = desk["db"]
    set_org(db, ADMIN, {"posts_need_approval": False}, now=now)
    post_id = post_queue.create_post(db, EDITOR, desk["x"], ["Rally at noon."], now=now,
                                     at=now + timedelta(hours=5))
    assert post_queue.edit_post(db, EDITOR, post_id, ["Rally at 1 pm."], now=now) == "scheduled"


def test_a_published_or_too_long_edit_is_refused_and_nothing_changes(desk, now):
    db = desk["db"]
    post_id = post_queue.create_post(db, EDITOR, desk["x"], ["Rally at noon."], now=now)
    with pytest.raises(InvalidInput, match="limit is 280"):
        post_queue.edit_post(db, EDITOR, post_id, [LONG], now=now)
    assert parts_of(db, post_id) == ["Rally at noon."]
    with db.begin() as conn:
        conn.execute(post_parts.update().where(post_parts.c.post_id == post_id)
                     .values(remote_id="1234"))
    with pytest.raises(InvalidInput, match="has not gone out"):
        post_queue.edit_post(db, EDITOR, post_id, ["Rally at 1 pm."], now=now)
    with pytest.raises(Exception, match="editor"):
        post_queue.edit_post(db, Actor("vi", "viewer"), post_id, ["x"], now=now)


def test_slots_parse_describe_and_give_the_next_free_one(desk, now):
    db = desk["db"]
    slots = [post_queue.parse_slot(t) for t in ("wed 18:30", "Monday 09:00")]
    assert post_queue.describe_slots(slots) == "Mon 09:00, Wed 18:30"
    for bad in ("Funday 09:00", "Mon 9am", "Mon", "Mon 25:00"):
        with pytest.raises(InvalidInput, match="e.g."):
            post_queue.parse_slot(bad)
    with pytest.raises(InvalidInput, match="once"):
        post_queue.set_slot_plan(db, EDITOR, desk["x"], slots + slots[:1], now=now)
    post_queue.set_slot_plan(db, EDITOR, desk["x"], slots, now=now)
    # now is Friday 2026-11-20 09:00 in Chicago: the next slot is Monday 09:00 local.
    first = post_queue.next_free_slot(db, desk["x"], after=now)
    assert first.isoformat() == "2026-11-23T09:00:00-06:00"
    post_queue.create_post(db, EDITOR, desk["x"], ["Taken."], now=now, at=first)
    assert post_queue.next_free_slot(db, desk["x"], after=now).isoformat() \
        == "2026-11-25T18:30:00-06:00"


def test_x_month_cost_counts_each_part_and_links_dearer(desk, now):
    db = desk["db"]
    prices = get_org(db).x_prices
    at = datetime(2026, 12, 1, 12, 0, tzinfo=now.tzinfo)
    post_queue.create_post(db, EDITOR, desk["x"], ["One.", "Two."], now=now, at=at)
    post_queue.create_post(db, EDITOR, desk["x"], ["Read https://example.org/strike"],
                           now=now, at=at)
    post_queue.create_post(db, EDITOR, desk["bluesky"], ["Not billed."], now=now, at=at)
    cancelled = post_queue.create_post(db, EDITOR, desk["x"], ["Gone."], now=now, at=at)
    post_queue.cancel_post(db, EDITOR, cancelled, now=now)
    post_queue.create_post(db, EDITOR, desk["x"], ["Next month."], now=now,
                           at=at + timedelta(days=40))
    total, requests = post_queue.x_month_cost(db, desk["campaign"], year=2026, month=12,
                                              prices=prices)
    assert requests == 3
    assert total == pytest.approx(2 * 0.015 + 0.20)
    set_org(db, ADMIN, {"x_price_post": 0.02}, now=now)
    with pytest.raises(InvalidInput, match="x_price_post_with_url"):
        set_org(db, ADMIN, {"x_price_post_with_url": -1}, now=now)
    total, _ = post_queue.x_month_cost(db, desk["campaign"], year=2026, month=12,
                                       prices=get_org(db).x_prices)
    assert total == pytest.approx(2 * 0.02 + 0.20)


def test_cli_schedules_to_several_accounts_edits_sets_slots_and_prices(
        desk, now, monkeypatch, capsys):
    db = desk["db"]
    monkeypatch.setenv("OUTREACH_DATABASE_URL", db.url.render_as_string(hide_password=False))
    assert main(["accounts", "slots", "local101", "--set", "Tue 07:00", "--set",
                 "Thu 07:00"]) == 0
    assert "local101: Tue 07:00, Thu 07:00" in capsys.readouterr().out
    assert main(["accounts", "slots", "local101", "--set", "Tue 7am"]) == 1
    assert "HH:MM" in capsys.readouterr().err
    assert main(["post", "schedule", "--account", "local101", "--account",
                 "local101.bsky.test", "--at", "next", "--text", LONG, "--thread"]) == 0
    out = capsys.readouterr().out
    assert out.count("needs the committee's approval first") == 2
    first = int(out.split()[1].rstrip(":"))
    assert main(["post", "edit", str(first), "--text", "Shorter words."]) == 0
    assert parts_of(db, first) == ["Shorter words."]
    assert main(["post", "cost", "--month", "2026-12"]) == 0
    assert "X in 2026-12: 1 post request(s), about $0.015" in capsys.readouterr().out
    assert main(["accounts", "slots", "local101", "--clear"]) == 0
    assert "no slots" in capsys.readouterr().out


def test_whoever_edited_a_post_cannot_approve_it_and_the_tally_says_who_is_left(desk, now):
    db = desk["db"]
    for name in ("april", "bea"):
        users.add_user(db, ADMIN, name, "approver", "correct horse battery", now=now)
    post_id = post_queue.create_post(db, EDITOR, desk["bluesky"], ["Rally at noon."], now=now,
                                     at=now + timedelta(hours=5))
    post_queue.edit_post(db, APPROVER, post_id, ["Rally at 1 pm."], now=now)
    assert post_queue.get_post(db, post_id)["edited_by"] == "april"
    post_queue.submit_post(db, EDITOR, post_id, now=now)
    with pytest.raises(InvalidInput, match="You wrote this version"):
        post_queue.vote_post(db, APPROVER, post_id, "approve", now=now)
    tally = post_queue.post_tally(db, post_id)
    assert tally.describe() == "0 of 1 approval; waiting for: bea"
    post_queue.vote_post(db, Actor("bea", "approver"), post_id, "approve", now=now)
    assert post_queue.get_post(db, post_id)["status"] == "scheduled"

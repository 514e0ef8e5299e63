"""Approval on the pages: the rule as the committee sets it, the tally where the vote is."""

from datetime import timedelta

from support.pages import (
    ROOT,
    button,
    confirmed,
    open_page,
    select,
    user_id,
)

from outreach import campaigns
from outreach.clock import utcnow
from outreach.ops import demo
from outreach.org_settings import get_org, set_org
from outreach.releases import drafts as releases
from outreach.releases import templates
from outreach.roles import Actor
from outreach.social import queue as post_queue


def rule_box(at, label):
    return next(s for s in at.selectbox if s.label == label)


def test_n_is_offered_only_for_at_least_n_and_a_rule_too_big_is_named(store):  # noqa: F811
    at = open_page("settings")
    assert [n.key for n in at.number_input if n.label == "N"] == ["rule-n-rapid_response_rule",
                                                                   "rule-n-post_rule"]
    # The store fixture's committee: approver and admin, two approvers in all.
    rule_box(at, "Releases").select("at_least").run()
    n = next(x for x in at.number_input if x.key == "rule-n-release_rule")
    n.set_value(2).run()
    too_big = "needs 3 approvers when an approver writes it; the committee has 2"
    # The rapid-response rule (at least 2 by default) and now the release rule.
    assert sum(too_big in w.value for w in at.warning) == 2
    rule_box(at, "Releases").select("majority").run()
    assert "rule-n-release_rule" not in [x.key for x in at.number_input]
    assert sum(too_big in w.value for w in at.warning) == 1
    button(at, "Save approval rules").click().run()
    assert confirmed(at) == ["Saved the approval rules."]
    assert get_org(store).release_rule.kind == "majority"


def test_the_release_tally_names_who_is_left_and_an_author_gets_no_ballot(demo_store):  # noqa: F811
    now = utcnow()
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    template = templates.get_template(demo_store, "statement.en")
    author = Actor("approver", "approver")
    rid = releases.create_release(demo_store, author, campaign.id, template.name,
                                  templates.sample_values(template), now=now)
    releases.submit(demo_store, author, rid, now=now)
    at = open_page("releases", as_user=user_id(demo_store, "approver"))
    select(at, "Release").select(rid).run()
    status = next(m.value for m in at.markdown if m.value.startswith("**Status:**"))
    # approver wrote it; admin is the one approver left, and a majority of one is one.
    assert "0 of 1 approval; waiting for: admin" in status
    assert "Cast vote" not in [b.label for b in at.button]
    assert any(c.value.startswith("You wrote this version") for c in at.caption)
    at = open_page("releases")
    select(at, "Release").select(rid).run()
    next(r for r in at.radio if r.label == "Your vote").set_value("approve")
    button(at, "Cast vote").click().run()
    assert confirmed(at) == ["Vote recorded. 1 of 1 approval: approved."]
    assert releases.get_release(demo_store, rid).status == "approved"


def test_a_committee_too_small_is_told_so_where_the_vote_is(store):  # noqa: F811
    now = utcnow()
    set_org(store, ROOT, {"release_rule": {"kind": "at_least", "n": 2}}, now=now)
    campaign = campaigns.create_campaign(store, ROOT, "Drive", now=now, timezone="UTC")
    template = templates.get_template(store, "statement.en")
    rid = releases.create_release(store, Actor("approver", "approver"), campaign.id,
                                  template.name, templates.sample_values(template), now=now)
    releases.submit(store, Actor("approver", "approver"), rid, now=now)
    at = open_page("releases")
    assert any("This needs 2 approvals, but only 1 approver besides the author (approver) "
               "can vote" in w.value for w in at.warning)


def test_the_post_queue_shows_the_tally(demo_store):  # noqa: F811
    now = utcnow()
    campaign = campaigns.find_campaign(demo_store, demo.DEMO_CAMPAIGN)
    account = post_queue.list_accounts(demo_store, campaign.id)[0]
    post_id = post_queue.create_post(demo_store, Actor("editor", "editor"), account["id"],
                                     ["Picket at 6 a.m."], now=now,
                                     at=now + timedelta(days=1))
    post_queue.submit_post(demo_store, Actor("editor", "editor"), post_id, now=now)
    at = open_page("social")
    select(at, "Post").select(post_id).run()
    shown = next(m.value for m in at.markdown if m.value.startswith("**In review:**"))
    assert "0 of 1 approval; waiting for: admin, approver" in shown
    next(r for r in at.radio if r.label == "Your vote").set_value("approve")
    button(at, "Cast vote").click().run()
    assert confirmed(at) == ["Vote recorded. 1 of 1 approval."]
    assert post_queue.get_post(demo_store, post_id)["status"] == "scheduled"

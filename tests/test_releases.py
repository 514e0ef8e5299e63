"""Releases from templates: versions, submission, votes and quorum, export watermark, diff."""

from datetime import timedelta

import pytest

from outreach import campaigns
from outreach.auth import users
from outreach.errors import InvalidInput, PermissionDenied
from outreach.org_settings import ApprovalRule, set_org
from outreach.releases import approval, protected_names, templates
from outreach.releases import drafts as releases
from outreach.roles import Actor
from outreach.store.tables import releases as releases_table

ADMIN = Actor("ada", "admin")
EDITOR = Actor("ed", "editor")
VIEWER = Actor("vi", "viewer")
APPROVERS = [Actor(name, "approver") for name in ("ann", "bo", "cy")]
PASSWORD = "correct horse battery"


@pytest.fixture
def desk(db, now):
    for a in APPROVERS:
        users.add_user(db, ADMIN, a.name, "approver", PASSWORD, now=now)
    c = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="America/Chicago")
    set_org(db, ADMIN, {"union_name": "Warehouse Workers United",
                        "boilerplate": "WWU represents 1,200 warehouse workers.",
                        "media_contact_name": "Media Desk",
                        "media_contact_email": "media@example.org"}, now=now)
    return db, c


def new_release(db, campaign, now, name="press_release.en", actor=EDITOR, **changes):
    template = templates.get_template(db, name)
    values = {**templates.sample_values(template), **changes}
    return releases.create_release(db, actor, campaign.id, name, values, now=now), values


def test_a_draft_from_a_template_is_version_one(desk, now):
    db, c = desk
    rid, values = new_release(db, c, now)
    r = releases.get_release(db, rid)
    assert (r.status, r.version, r.template) == ("draft", 1, "press_release.en")
    assert "WWU represents 1,200 warehouse workers." in r.body
    assert [v["number"] for v in releases.versions(db, rid)] == [1]
    with pytest.raises(PermissionDenied):
        releases.create_release(db, VIEWER, c.id, "press_release.en", values, now=now)


def test_a_missing_field_is_named(desk, now):
    db, c = desk
    template = templates.get_template(db, "press_release.en")
    required = next(f for f in template.fields if f.required)
    values = {**templates.sample_values(template), required.name: ""}
    with pytest.raises(InvalidInput, match=required.name):
        releases.create_release(db, EDITOR, c.id, template.name, values, now=now)


def test_quorum_at_least_two(desk, now):
    db, c = desk
    set_org(db, ADMIN, {"release_rule": {"kind": "at_least", "n": 2}}, now=now)
    rid, _ = new_release(db, c, now)
    with pytest.raises(InvalidInput, match="votes are taken while it is in review"):
        releases.vote(db, APPROVERS[0], rid, "approve", now=now)
    releases.submit(db, EDITOR, rid, now=now)
    assert releases.vote(db, APPROVERS[0], rid, "approve", now=now).state == "pending"
    assert releases.vote(db, APPROVERS[0], rid, "approve", now=now).approvals == 1
    assert releases.vote(db, APPROVERS[1], rid, "approve", now=now).state == "approved"
    assert releases.get_release(db, rid).status == "approved"


def test_majority_and_rejection(desk, now):
    db, c = desk
    rid, _ = new_release(db, c, now)
    releases.submit(db, EDITOR, rid, now=now)
    with pytest.raises(InvalidInput, match="Say what should change"):
        releases.vote(db, APPROVERS[0], rid, "reject", now=now)
    with pytest.raises(PermissionDenied):
        releases.vote(db, EDITOR, rid, "approve", now=now)
    result = releases.vote(db, APPROVERS[0], rid, "reject", "Quote needs consent", now=now)
    assert result.state == "changes_requested"
    assert releases.get_release(db, rid).status == "changes_requested"


def test_an_edit_voids_the_votes_and_goes_back_to_review(desk, now):
    db, c = desk
    set_org(db, ADMIN, {"release_rule": {"kind": "at_least", "n": 2}}, now=now)
    rid, values = new_release(db, c, now)
    releases.submit(db, EDITOR, rid, now=now)
    releases.vote(db, APPROVERS[0], rid, "approve", now=now)
    releases.vote(db, APPROVERS[1], rid, "approve", now=now)
    assert releases.get_release(db, rid).status == "approved"
    first_field = next(f.name for f in templates.get_template(db, "press_release.en").fields
                       if f.type == "long_text")
    later = now + timedelta(minutes=5)
    assert releases.save_release(db, EDITOR, rid, {**values, first_field: "New words."},
                                 now=later) == 2
    r = releases.get_release(db, rid)
    assert (r.status, r.approved_at) == ("in_review", None)
    assert releases.current_tally(db, r).approvals == 0
    record = approval.vote_record(db, "release", rid)
    assert len(record) == 2 and all(v.voided_at == later for v in record)
    assert "void" in releases.release_minutes(db, rid)
    assert "New words." in releases.diff(db, rid, 1, 2)


def test_export_is_watermarked_until_approved(desk, now):
    db, c = desk
    set_org(db, ADMIN, {"release_rule": {"kind": "at_least", "n": 1}}, now=now)
    rid, _ = new_release(db, c, now)
    for fmt in ("md", "html", "txt"):
        assert b"DRAFT" in releases.export(db, rid, fmt)
    releases.submit(db, EDITOR, rid, now=now)
    releases.vote(db, APPROVERS[0], rid, "approve", now=now)
    for fmt in ("md", "html", "txt"):
        assert b"DRAFT" not in releases.export(db, rid, fmt)
    assert releases.export(db, rid, "docx")[:2] == b"PK"
    with pytest.raises(InvalidInput, match="Unknown format"):
        releases.export(db, rid, "pdf")


def test_rapid_response_uses_the_shorter_rule(desk, now):
    db, c = desk
    set_org(db, ADMIN, {"release_rule": {"kind": "majority", "n": 2},
                        "rapid_response_rule": {"kind": "at_least", "n": 1}}, now=now)
    rapid = next(t for t in templates.list_templates(db) if t.rapid_response)
    rid, _ = new_release(db, c, now, name=rapid.name)
    assert releases.rule_for(db, releases.get_release(db, rid)) == ApprovalRule("at_least", 1)
    releases.submit(db, EDITOR, rid, now=now)
    assert releases.vote(db, APPROVERS[0], rid, "approve", now=now).state == "approved"


def test_protected_names_block_submission_and_approval(desk, now):
    db, c = desk
    body_field = next(f.name for f in templates.get_template(db, "press_release.en").fields
                      if f.type == "long_text")
    rid, _ = new_release(db, c, now, **{body_field: "Fired organizer Maria\nGonzalez spoke."})
    protected_names.add_protected(db, EDITOR, "María González", now=now)
    with pytest.raises(InvalidInput, match="protected"):
        releases.submit(db, EDITOR, rid, now=now)
    assert releases.get_release(db, rid).status == "draft"


def test_sent_releases_cannot_change(desk, now):
    db, c = desk
    rid, values = new_release(db, c, now)
    with db.begin() as conn:
        conn.execute(releases_table.update().values(status="sent"))
    with pytest.raises(InvalidInput, match="already sent"):
        releases.save_release(db, EDITOR, rid, values, now=now)


def test_tally_rules():
    vote = approval.Vote
    yes = [vote(n, "approve", "", 1, None, None) for n in ("a", "b")]
    assert approval.tally(yes, ApprovalRule("majority"), ["a", "b", "c", "d"]).state == (
        "pending")
    assert approval.tally(yes, ApprovalRule("majority"), ["a", "b", "c"]).state == "approved"
    assert approval.tally(yes, ApprovalRule("at_least", 2), list("abcdefghi")).state == (
        "approved")
    no = [*yes, vote("c", "reject", "x", 1, None, None)]
    assert approval.tally(no, ApprovalRule("at_least", 1), ["a", "b", "c"]).state == (
        "changes_requested")


def test_an_author_s_vote_never_counts_and_the_tally_names_who_is_left():
    vote = approval.Vote
    mine = [vote("ana", "approve", "", 1, None, None)]
    alone = approval.tally(mine, ApprovalRule("majority"), ["ana"], authors={"ana"})
    assert alone.state == "pending" and alone.approvals == 0
    assert alone.problem() == (
        "This needs 1 approval, but only 0 approvers besides the author (ana) can vote: add "
        "an approver under Settings > Users, or change the rule under Settings > Committee.")
    three = approval.tally([*mine, vote("luis", "approve", "", 1, None, None)],
                           ApprovalRule("majority"), ["ana", "luis", "rosa", "tom"],
                           authors={"ana"})
    # A majority of the three who may vote: two.
    assert three.describe() == "1 of 2 approvals; waiting for: rosa, tom"
    assert three.problem() == ""
    short = approval.tally([], ApprovalRule("at_least", 2), ["ana", "luis"], authors={"ana"})
    assert "needs 2 approvals, but only 1 approver besides the author (ana)" in short.problem()
    rejected = approval.tally([vote("luis", "reject", "fix", 1, None, None)],
                              ApprovalRule("majority"), ["luis", "rosa"], authors={"ed"})
    assert rejected.describe() == "0 of 2 approvals; 1 rejection"


@pytest.mark.parametrize(("rule", "approvers", "problem"), [
    (ApprovalRule("majority"), 0, "There is no approver yet"),
    (ApprovalRule("majority"), 1, "cannot approve what they wrote"),
    (ApprovalRule("majority"), 2, ""),
    (ApprovalRule("at_least", 2), 2, "needs 3 approvers when an approver writes it"),
    (ApprovalRule("at_least", 2), 3, ""),
])
def test_a_rule_the_committee_cannot_meet_is_named(rule, approvers, problem):
    found = approval.rule_problem(rule, approvers)
    assert (problem in found) if problem else found == ""


def test_a_lone_admin_cannot_approve_their_own_release(db, now):
    users.add_user(db, ADMIN, "solo", "admin", PASSWORD, now=now)
    solo = Actor("solo", "admin")
    c = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    rid, _ = new_release(db, c, now, actor=solo)
    releases.submit(db, solo, rid, now=now)
    with pytest.raises(InvalidInput, match="You wrote this version"):
        releases.vote(db, solo, rid, "approve", now=now)
    release = releases.get_release(db, rid)
    tally = releases.current_tally(db, release)
    assert release.status == "in_review" and tally.approvals == 0
    assert "only 0 approvers besides the author (solo)" in tally.problem()


def test_whoever_saved_the_current_version_is_an_author_too(desk, now):
    db, c = desk
    rid, values = new_release(db, c, now)
    releases.save_release(db, APPROVERS[0], rid, {**values, "headline": "Better"}, now=now)
    releases.submit(db, EDITOR, rid, now=now)
    with pytest.raises(InvalidInput, match="You wrote this version"):
        releases.vote(db, APPROVERS[0], rid, "approve", now=now)
    tally = releases.current_tally(db, releases.get_release(db, rid))
    assert tally.waiting_for == ("bo", "cy") and tally.needed == 2



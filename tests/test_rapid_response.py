"""A rapid response starts filled in with what the desk already knows."""

from datetime import timedelta

import pytest

from outreach import campaigns
from outreach.errors import InvalidInput
from outreach.presslist import spokespeople
from outreach.releases import drafts as releases
from outreach.releases import protected_names, templates
from outreach.roles import Actor

ADMIN = Actor("ada", "admin")


def test_only_rapid_response_templates_are_offered(db):
    names = [t.name for t in releases.rapid_responses(db)]
    assert "rapid_response_ice.en" in names
    assert "press_release.en" not in names and "statement.en" not in names


def test_a_rapid_response_is_prefilled_from_the_campaign_and_roster(db, now):
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC",
                                         employer="Acme Logistics")
    today = now.date()
    for name, trained, available_from in (("Abel Untrained", False, today),
                                          ("Bea Away", True, today + timedelta(days=3)),
                                          ("Cruz Ready", True, today)):
        spokespeople.add_spokesperson(db, ADMIN, {
            "name": name, "union_role": "steward", "phone": "555-0100",
            "languages": "English; Spanish", "media_trained": trained,
            "available_from": available_from}, now=now)
    template = templates.get_template(db, "press_release.en")
    releases.create_release(db, ADMIN, campaign.id, template.name,
                            {**templates.sample_values(template), "city": "RIVERSIDE"},
                            now=now)
    start = releases.rapid_response_start(db, campaign.id, "rapid_response_ice.en",
                                          today=today)
    assert start == {
        "city": "RIVERSIDE", "date": today.isoformat(), "employer": "Acme Logistics",
        "spokesperson": {"name": "Cruz Ready", "role": "steward", "phone": "555-0100",
                         "languages": "English; Spanish"},
    }


def test_a_new_campaign_prefills_what_it_can(db, now):
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    start = releases.rapid_response_start(db, campaign.id, "rapid_response_ice.en",
                                          today=now.date())
    assert start == {"date": now.date().isoformat()}


def test_a_rapid_response_goes_to_the_committee_in_one_step(db, now):
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC",
                                         employer="Acme Logistics")
    template = templates.get_template(db, "rapid_response_ice.en")
    values = {**templates.sample_values(template), "employer": "Acme Logistics"}
    rid = releases.start_rapid_response(db, ADMIN, campaign.id, template.name, values,
                                        now=now)
    release = releases.get_release(db, rid)
    assert (release.status, release.version, release.kind) == ("in_review", 1,
                                                               "rapid_response")


def test_a_rapid_response_naming_a_protected_member_writes_nothing(db, now):
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    protected_names.add_protected(db, ADMIN, "Rosa Delgado", now=now)
    template = templates.get_template(db, "rapid_response_ice.en")
    with pytest.raises(InvalidInput, match="Rosa Delgado"):
        releases.start_rapid_response(db, ADMIN, campaign.id, template.name,
                                      templates.sample_values(template), now=now)
    assert releases.list_releases(db, campaign.id) == []


def test_only_a_rapid_response_template_takes_the_short_path(db, now):
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    template = templates.get_template(db, "press_release.en")
    with pytest.raises(InvalidInput, match="not a rapid-response template"):
        releases.start_rapid_response(db, ADMIN, campaign.id, template.name,
                                      templates.sample_values(template), now=now)

"""The hostile-input corpus (tests/data/hostile/) against every door words leave by.

`names.json` holds texts that name the protected member Maria Quintana in disguise (zero-
width and format characters, bidi overrides, look-alike letters, compatibility forms,
hashtags, handles...) and texts that do not. Each door must refuse, or hold, every one of
the first and let every one of the second through: post text, quote text, alt text, a
pitch note, a release on submission, a release export, a pitch e-mail (through what it
quotes about a journalist) and a post at the moment it is published.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from support.desk import ADMIN, EDITOR, make_desk, run
from support.images import photo

from outreach import campaigns
from outreach.org_settings import set_org
from outreach.pitching import pitches as pitching
from outreach.presslist import contacts
from outreach.releases import drafts as releases
from outreach.releases import templates
from outreach.releases.protected_names import (
    NamesProtected,
    ProtectedName,
    add_protected,
    find_matches,
)
from outreach.social import queue as post_queue
from outreach.social.images import prepare_image
from outreach.store.tables import press_hits
from outreach.store.tables import releases as releases_table

CORPUS = json.loads((Path(__file__).parent / "data" / "hostile" / "names.json").read_text())
PROTECTED = CORPUS["protected"]
NAMED = [(c["text"], c["why"]) for c in CORPUS["named"]]
NOT_NAMED = [(c["text"], c["why"]) for c in CORPUS["not_named"]]


def refused_at(door, texts: list[tuple[str, str]]) -> list[str]:
    """The reasons (`why`) of the texts that `door(text)` let through."""
    missed = []
    for text, why in texts:
        try:
            door(text)
        except NamesProtected:
            continue
        missed.append(why)
    return missed


def passed_at(door, texts: list[tuple[str, str]]) -> list[str]:
    """The reasons of the texts that `door(text)` refused."""
    refused = []
    for text, why in texts:
        try:
            door(text)
        except NamesProtected:
            refused.append(why)
    return refused


@pytest.mark.parametrize(("text", "why"), NAMED, ids=[why for _, why in NAMED])
def test_the_matcher_sees_through_the_disguise(text, why):
    assert find_matches(text, [ProtectedName(1, PROTECTED)]), why


@pytest.mark.parametrize(("text", "why"), NOT_NAMED, ids=[why for _, why in NOT_NAMED])
def test_the_matcher_leaves_other_words_alone(text, why):
    assert find_matches(text, [ProtectedName(1, PROTECTED)]) == [], why


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e" \
    "\u2066\u2067\u2068\u2069\u180e"
_BETWEEN = [" ", "\u00a0", "\n", "\t", "-", "  ", "\u3000", "/", " \u200b "]


@st.composite
def disguised(draw) -> str:
    """The protected name with each letter's case chosen at random, invisible and
    direction characters dropped in anywhere, and any separator between the words."""
    words = []
    for word in PROTECTED.split():
        letters = []
        for letter in word:
            letters.append(letter.upper() if draw(st.booleans()) else letter.lower())
            letters.append(draw(st.text(st.sampled_from(_INVISIBLE), max_size=2)))
        words.append("".join(letters))
    return draw(st.sampled_from(_BETWEEN)).join(words)


@settings(max_examples=300, deadline=None)
@given(name=disguised(), before=st.text(max_size=20), after=st.text(max_size=20))
def test_any_mix_of_case_and_invisible_characters_is_seen_through(name, before, after):
    assert find_matches(f"{before} {name} {after}", [ProtectedName(1, PROTECTED)])


@pytest.fixture
def desk(sqlite_db, now, x_server, tmp_path):
    return make_desk(sqlite_db, now, x_server, tmp_path)


def test_every_door_of_a_post_refuses_the_disguised_name(desk, now):
    db, account = desk["db"], desk["account"]
    add_protected(db, ADMIN, PROTECTED, now=now)
    image = prepare_image(photo(), "A picket line", "x")

    def post(text):
        post_queue.create_post(db, EDITOR, account, [text], now=now, at=now)

    def quote(text):
        post_queue.create_post(db, EDITOR, account, [text], now=now, at=now, kind="quote",
                               target_url="https://x.com/nursesunion/status/1")

    def alt(text):
        post_queue.create_post(db, EDITOR, account, ["Day 1."], now=now, at=now,
                               images=[dataclasses.replace(image, alt=text)])

    for door in (post, quote, alt):
        assert refused_at(door, NAMED) == [], door.__name__
        assert passed_at(door, NOT_NAMED) == [], door.__name__


def test_a_post_written_before_the_name_was_protected_is_held_as_it_leaves(
        desk, x_server, now):
    db, account = desk["db"], desk["account"]
    for text, _ in NAMED + NOT_NAMED:
        post_queue.create_post(db, EDITOR, account, [text], now=now, at=now)
    add_protected(db, ADMIN, PROTECTED, now=now)
    assert run(desk, x_server, now, limit=1000) == (
        f"{len(NAMED)} held, {len(NOT_NAMED)} published")
    assert len(x_server.own_posts()) == len(NOT_NAMED)


@pytest.fixture
def release_desk(sqlite_db, now):
    db = sqlite_db
    campaign = campaigns.create_campaign(db, ADMIN, "Mercy Nurses", now=now, timezone="UTC")
    set_org(db, ADMIN, {"smtp_from": "Local 101 Media <media@local101.example>"}, now=now)
    ana = contacts.add_journalist(db, EDITOR, {"name": "Ana Quillfeather",
                                               "email": "ana@example.org"}, now=now)
    contacts.bulk_add_to_list(db, EDITOR, [ana], "Labor desk", now=now)
    template = templates.get_template(db, "statement.en")

    def release(headline: str, status: str = "draft") -> int:
        values = {**templates.sample_values(template), "headline": headline}
        rid = releases.create_release(db, EDITOR, campaign.id, template.name, values, now=now)
        with db.begin() as conn:
            conn.execute(releases_table.update().where(releases_table.c.id == rid)
                         .values(status=status))
        return rid

    return {"db": db, "campaign": campaign.id, "ana": ana, "release": release}


def test_every_door_of_a_release_and_a_pitch_refuses_the_disguised_name(release_desk, now):
    db, release = release_desk["db"], release_desk["release"]
    clean = release("Nurses vote to strike", "approved")
    approved = {text: release(text, "approved") for text, _ in NAMED + NOT_NAMED}
    drafts = {text: release(text) for text, _ in NAMED + NOT_NAMED}
    add_protected(db, ADMIN, PROTECTED, now=now)

    def submit(text):
        releases.submit(db, EDITOR, drafts[text], now=now)

    def export(text):
        releases.export(db, approved[text], "docx")

    def note(text):
        pitching.plan_pitch(db, clean, list_name="Labor desk", note=text)

    def latest_story(text):
        with db.begin() as conn:
            conn.execute(press_hits.delete())
            conn.execute(press_hits.insert().values(
                campaign_id=release_desk["campaign"], journalist_id=release_desk["ana"],
                title=text, url="https://valley.example/1", found_at=now,
                published_at=datetime(2026, 11, 20, tzinfo=UTC)))
        pitching.plan_pitch(db, clean, list_name="Labor desk")

    for door in (submit, export, note, latest_story):
        assert refused_at(door, NAMED) == [], door.__name__
        assert passed_at(door, NOT_NAMED) == [], door.__name__
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(releases_table)
                            .where(releases_table.c.status == "in_review")).scalar_one() \
            == len(NOT_NAMED)

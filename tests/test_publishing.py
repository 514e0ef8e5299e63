"""The worker publishes due posts exactly once, through the X adapter and a local X server."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from support.desk import ADMIN, EDITOR, KEYS, make_desk, run, schedule
from support.images import photo
from support.pds import PDS_GUARD
from support.x_server import XServer

from outreach import campaigns
from outreach.auth import vault
from outreach.cli import main
from outreach.config import Settings
from outreach.errors import InvalidInput
from outreach.net import URLGuard
from outreach.org_settings import set_org
from outreach.social import accounts, publishing
from outreach.social import queue as post_queue
from outreach.social.images import prepare_image
from outreach.social.publisher import new_key
from outreach.store import make_engine, upgrade_to_head
from outreach.store.tables import post_images, post_parts, posts, secrets


@pytest.fixture
def server():
    with XServer(consumer_key=KEYS["api_key"], consumer_secret=KEYS["api_secret"],
                 access_token=KEYS["access_token"],
                 access_secret=KEYS["access_secret"]) as running:
        yield running


@pytest.fixture
def desk(db, now, server, tmp_path):
    return make_desk(db, now, server, tmp_path)








def test_a_due_post_is_published_once_with_its_url(desk, server, now):
    post_id = schedule(desk, now, "Picket at Gate 3, 6 AM.")
    later = schedule(desk, now, "Tomorrow's post", at=now + timedelta(days=1))
    assert run(desk, server, now) == "1 published"
    post = post_queue.get_post(desk["db"], post_id)
    assert post["status"] == "published"
    assert post["remote_url"].startswith("https://x.com/")
    assert [p.text for p in server.own_posts()] == ["Picket at Gate 3, 6 AM."]
    assert run(desk, server, now) == "nothing due"
    assert post_queue.get_post(desk["db"], later)["status"] == "scheduled"


def test_a_thread_goes_out_in_order(desk, server, now):
    post_id = schedule(desk, now, "One.", "Two.", "Three.")
    run(desk, server, now)
    parts = post_queue.get_post(desk["db"], post_id)["parts"]
    posts = {p.id: p for p in server.own_posts()}
    assert [posts[p["remote_id"]].text for p in parts] == ["One.", "Two.", "Three."]
    assert posts[parts[1]["remote_id"]].in_reply_to == parts[0]["remote_id"]
    assert posts[parts[2]["remote_id"]].in_reply_to == parts[1]["remote_id"]


def test_a_lost_answer_is_not_published_twice(desk, server, now):
    post_id = schedule(desk, now, "We voted 94% yes.")
    server.queue_response(503, path="/2/tweets", performed=True)
    assert run(desk, server, now) == "1 scheduled"
    post = post_queue.get_post(desk["db"], post_id)
    assert post["attempts"] == 1 and post["next_attempt_at"] > now
    assert run(desk, server, post["next_attempt_at"]) == "1 published"
    assert len(server.own_posts()) == 1


def test_a_rate_limit_waits_until_the_reset(desk, server, now):
    post_id = schedule(desk, now, "Rally at noon.")
    reset = int((now + timedelta(minutes=7)).timestamp())
    server.queue_response(429, path="/2/tweets", headers={"x-rate-limit-reset": str(reset)})
    run(desk, server, now)
    post = post_queue.get_post(desk["db"], post_id)
    assert post["status"] == "scheduled"
    assert int(post["next_attempt_at"].timestamp()) == reset
    assert run(desk, server, now + timedelta(minutes=1)) == "nothing due"


def test_a_permanent_failure_shows_the_platforms_words_and_can_be_retried(desk, server, now):
    post_id = schedule(desk, now, "Solidarity!")
    server.queue_response(401, path="/2/tweets")
    assert run(desk, server, now) == "1 failed"
    post = post_queue.get_post(desk["db"], post_id)
    assert post["status"] == "failed" and "Unauthorized" in post["last_error"]
    post_queue.retry_post(desk["db"], EDITOR, post_id, now=now)
    assert run(desk, server, now) == "1 published"


def test_transient_failures_back_off_then_give_up(desk, server, now):
    post_id = schedule(desk, now, "Hello")
    when = now
    for attempt in range(publishing.MAX_ATTEMPTS):
        server.queue_response(503, path="/2/tweets")
        run(desk, server, when)
        post = post_queue.get_post(desk["db"], post_id)
        if post["status"] == "failed":
            break
        assert post["next_attempt_at"] - when >= publishing.BASE_BACKOFF * 0.5 * (
            2 ** attempt) or post["next_attempt_at"] - when >= publishing.MAX_BACKOFF * 0.5
        when = post["next_attempt_at"]
    assert post["status"] == "failed" and "gave up" in post["last_error"]


def test_missing_credentials_fail_with_a_clear_message(desk, server, now):
    with desk["db"].begin() as conn:
        conn.execute(secrets.delete())
    post_id = schedule(desk, now, "Hello")
    run(desk, server, now)
    post = post_queue.get_post(desk["db"], post_id)
    assert post["status"] == "failed" and "Settings > Credentials" in post["last_error"]


def test_late_posts_are_held_when_the_committee_says_so(desk, server, now):
    post_id = schedule(desk, now, "Yesterday's news", at=now - timedelta(hours=3))
    assert run(desk, server, now, late_after=timedelta(minutes=30), hold_late=True) == "1 held"
    post = post_queue.get_post(desk["db"], post_id)
    assert (post["status"], post["late"]) == ("held", True)
    post_queue.retry_post(desk["db"], EDITOR, post_id, now=now)
    assert run(desk, server, now, late_after=timedelta(minutes=30), hold_late=True) \
        == "1 published"


def test_a_claim_is_taken_by_one_worker_and_a_dead_workers_claim_expires(desk, now):
    post_id = schedule(desk, now, "Hello")
    assert publishing.claim_due_post(desk["db"], "w1", now=now) == post_id
    assert publishing.claim_due_post(desk["db"], "w2", now=now) is None
    later = now + publishing.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert publishing.claim_due_post(desk["db"], "w2", now=later) == post_id


def test_two_workers_publish_each_post_exactly_once(desk, server, now):
    ids = [schedule(desk, now, f"Post number {i}") for i in range(60)]
    results = []
    workers = [threading.Thread(target=lambda w=w: results.append(run(desk, server, now, w)))
               for w in ("w1", "w2")]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    texts = [p.text for p in server.own_posts()]
    assert sorted(texts) == sorted(f"Post number {i}" for i in range(60))
    assert all(post_queue.get_post(desk["db"], i)["status"] == "published" for i in ids)


def test_two_workers_on_postgresql_publish_500_posts_none_twice_none_lost(
        pg_database_url, server, now, tmp_path):
    db = make_engine(pg_database_url)
    upgrade_to_head(db)
    desk = make_desk(db, now, server, tmp_path)
    for i in range(500):
        schedule(desk, now, f"Picket update {i}")
    results = []

    def work(worker: str) -> None:  # each worker has its own engine, as a process would
        engine = make_engine(pg_database_url)
        factory = accounts.publisher_for(engine, desk["vault"], now=now,
                                         x_base_url=server.url, guard=URLGuard())
        while (done := publishing.publish_due(engine, worker, factory,
                                              clock=lambda: now)) != "nothing due":
            results.append(done)  # a pass takes at most 100 posts, as in the worker
        engine.dispose()

    workers = [threading.Thread(target=work, args=(w,)) for w in ("w1", "w2")]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    texts = [p.text for p in server.own_posts()]
    assert sorted(texts) == sorted(f"Picket update {i}" for i in range(500))
    assert post_queue.count_by_status(db, desk["campaign"])["published"] == 500
    assert len(results) >= 5, results
    db.dispose()


def test_post_commands(desk, now, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OUTREACH_DATABASE_URL", desk["db"].url.render_as_string(
        hide_password=False))
    monkeypatch.chdir(tmp_path)
    handle = post_queue.list_accounts(desk["db"], desk["campaign"])[0]["handle"]
    long_text = " ".join(["Solidarity with the Acme warehouse workers."] * 12)
    assert main(["post", "schedule", "--account", handle, "--at", "now", "--text",
                 long_text]) == 1
    assert "split it into a thread" in capsys.readouterr().err
    assert main(["post", "schedule", "--account", handle, "--at", "2026-12-03T06:00-06:00",
                 "--text", long_text, "--thread", "--number"]) == 0
    out = capsys.readouterr().out
    assert "part(s), scheduled" in out
    post_id = int(out.split()[1].rstrip(":"))
    assert len(post_queue.get_post(desk["db"], post_id)["parts"]) > 1
    assert main(["post", "list", "--status", "scheduled"]) == 0
    assert f"{post_id:>5}  scheduled" in capsys.readouterr().out
    assert main(["post", "cancel", str(post_id)]) == 0
    assert post_queue.get_post(desk["db"], post_id)["status"] == "cancelled"
    assert main(["post", "schedule", "--account", handle, "--at", "tomorrow",
                 "--text", "x"]) == 1
    assert "is not a time" in capsys.readouterr().err
    (tmp_path / "gate3.jpg").write_bytes(photo())
    assert main(["post", "schedule", "--account", handle, "--at", "now", "--text", "Gate 3",
                 "--image", str(tmp_path / "gate3.jpg")]) == 1
    assert "one --alt TEXT for each --image" in capsys.readouterr().err
    assert main(["post", "schedule", "--account", handle, "--at", "now", "--text", "Gate 3",
                 "--image", str(tmp_path / "gate3.jpg"), "--alt", "Pickets at dawn"]) == 0
    with desk["db"].connect() as conn:
        assert conn.execute(sa.select(post_images.c.alt)).scalars().all() == [
            "Pickets at dawn"]
    image_post = int(capsys.readouterr().out.split()[1].rstrip(":"))
    assert main(["post", "edit", str(image_post), "--text", "Gate 3", "--alt",
                 "Pickets at Gate 3 at dawn"]) == 0
    assert [i["alt"] for i in post_queue.get_post(desk["db"], image_post)["images"]] == [
        "Pickets at Gate 3 at dawn"]
    assert main(["post", "edit", str(image_post), "--text", "Gate 3", "--alt", "a",
                 "--alt", "b"]) == 1
    assert "has 1 image(s); give each its alt text" in capsys.readouterr().err


def listed_posts(pds, did: str) -> list[dict]:
    response = httpx.get(pds.xrpc("com.atproto.repo.listRecords"),
                         params={"repo": did, "collection": "app.bsky.feed.post"})
    response.raise_for_status()
    return response.json()["records"]


def test_the_worker_publishes_a_bluesky_thread_once_to_a_real_pds(db, now, pds, tmp_path):
    the_vault = vault.Vault.open(Settings.from_env(
        {"OUTREACH_DATA_DIR": str(tmp_path / "data")}, env_file=None))
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    set_org(db, ADMIN, {"posts_need_approval": False}, now=now)
    handle = f"worker{new_key()[-6:]}.test"
    did = pds.create_account(handle, "picket-line-2026")
    account_id = accounts.connect_bluesky(db, the_vault, ADMIN, campaign.id, handle,
                                          "picket-line-2026", service_url=pds.url, now=now,
                                          guard=PDS_GUARD)
    post_id = post_queue.create_post(db, EDITOR, account_id, [
        "Día 1 de la huelga ✊🏽 #AcmeContract", "We are at Gate 3.", "Bring water."],
        now=now, at=now)
    factory = accounts.publisher_for(db, the_vault, now=now, guard=PDS_GUARD)
    assert publishing.publish_due(db, "w1", factory, clock=lambda: now) == "1 published"
    parts = post_queue.get_post(db, post_id)["parts"]
    records = {r["uri"]: r["value"] for r in listed_posts(pds, did)}
    assert len(records) == 3
    assert records[parts[2]["remote_id"]]["reply"]["parent"]["uri"] == parts[1]["remote_id"]
    assert records[parts[2]["remote_id"]]["reply"]["root"]["uri"] == parts[0]["remote_id"]
    assert parts[0]["remote_url"].startswith(f"https://bsky.app/profile/{handle}/post/")

    # A worker that died after the first part: the next one carries on, nothing twice.
    with db.begin() as conn:
        conn.execute(post_parts.update().where(post_parts.c.post_id == post_id,
                                               post_parts.c.position > 0)
                     .values(remote_id="", remote_url="", cid=""))
        conn.execute(posts.update().where(posts.c.id == post_id)
                     .values(status="scheduled", attempts=1))
    assert publishing.publish_due(db, "w2", factory, clock=lambda: now) == "1 published"
    assert len(listed_posts(pds, did)) == 3
    session = vault.reveal(db, the_vault, vault.account_secret_name("bluesky", account_id,
                                                                    "session"))
    assert session, "the Bluesky session is kept in the vault for the next run"


def test_images_go_out_with_their_alt_text(desk, server, now):
    image = prepare_image(photo(), "Workers at Gate 3", "x")
    post_id = post_queue.create_post(desk["db"], EDITOR, desk["account"], ["Day 1."],
                                     now=now, at=now, images=[image])
    assert run(desk, server, now) == "1 published"
    [posted] = server.own_posts()
    [media_id] = posted.media_ids
    assert server.media[media_id].alt_text == "Workers at Gate 3"
    assert server.media[media_id].data == image.data
    assert post_queue.get_post(desk["db"], post_id)["status"] == "published"
    with pytest.raises(InvalidInput, match="at most 4 images"):
        post_queue.create_post(desk["db"], EDITOR, desk["account"], ["Too many"], now=now,
                               images=[image] * 5)


def test_a_quote_post_goes_out_quoting_its_target(desk, server, now):
    other = server.add_post("Nurses at Mercy General are on strike.", username="nursesunion")
    url = f"https://x.com/nursesunion/status/{other}"
    post_id = post_queue.create_post(desk["db"], EDITOR, desk["account"],
                                     ["We stand with the nurses."], now=now, at=now,
                                     kind="quote", target_url=url)
    assert run(desk, server, now) == "1 published"
    [quote] = [p for p in server.own_posts() if p.quote_of]
    assert quote.quote_of == other and quote.text == "We stand with the nurses."
    assert post_queue.get_post(desk["db"], post_id)["status"] == "published"
    with pytest.raises(InvalidInput, match="address of the post to quote"):
        post_queue.create_post(desk["db"], EDITOR, desk["account"], ["x"], now=now,
                               kind="quote")

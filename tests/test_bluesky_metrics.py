"""The Bluesky adapter's reads (followers, likes, ...) against a real network on 127.0.0.1.

Other accounts follow, like, repost and reply with plain XRPC calls to the PDS
(see tests/bsky_network.py); the adapter reads the counts back through the PDS,
which passes the reads on to the app view, as on bsky.social.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from atproto import Client, Request
from support.pds import PDS_GUARD
from support.services import free_port

from outreach import campaigns
from outreach.auth import vault
from outreach.config import Settings
from outreach.errors import (
    PermanentPublishError,
    RateLimited,
    ReadRefused,
    TransientPublishError,
)
from outreach.insights import metrics
from outreach.org_settings import set_org
from outreach.roles import Actor
from outreach.social import accounts, publishing
from outreach.social import queue as post_queue
from outreach.social.adapters.bluesky import BlueskyPublisher, new_key
from outreach.social.publisher import OutgoingPost
from outreach.social.reader import AccountCounts, PostCounts
from outreach.store.tables import follower_snapshots, post_metrics, post_parts

PASSWORD = "solidarity-2026"
ADMIN = Actor("ada", "admin")
EDITOR = Actor("ed", "editor")
_accounts = itertools.count(1)


def new_account(network, role: str):
    """A fresh account with a handle of its own, e.g. `fan3k2x9q.test`."""
    return network.create_account(f"{role}{next(_accounts)}{new_key()[-5:]}.test", PASSWORD)


def reader_for(network, account, transport: httpx.BaseTransport | None = None):
    """Our adapter for `account`, optionally sending its requests through `transport`."""
    client = None
    if transport is not None:
        client = Client(base_url=network.pds_url, request=Request(transport=transport))
    return BlueskyPublisher(network.pds_url, account.handle, PASSWORD, client=client,
                            guard=PDS_GUARD)


def publish(publisher: BlueskyPublisher, text: str):
    """Publish `text` as a new post; where it landed."""
    return publisher.publish(OutgoingPost(text=text, key=new_key()))


def test_a_new_follower_and_a_like_are_read_back(bsky_network):
    ours = new_account(bsky_network, "local")
    fan = new_account(bsky_network, "fan")
    reader = reader_for(bsky_network, ours)
    post = publish(reader, "Rally at the depot, Friday 5 pm. example.org/rally")

    bsky_network.follow(fan, ours.did)
    bsky_network.like(fan, post.remote_id, post.cid)
    bsky_network.wait_until(lambda: bsky_network.profile(ours.did)["followersCount"] == 1,
                            "the fan follows us")
    bsky_network.wait_until(lambda: bsky_network.post(post.remote_id)["likeCount"] == 1,
                            "the fan likes our post")

    assert reader.account_counts() == AccountCounts(followers=1, following=0, posts=1)
    assert reader.post_counts([post.remote_id]) == {
        post.remote_id: PostCounts(likes=1, reposts=0, replies=0, quotes=0, impressions=None)}


def test_each_count_lands_in_its_own_field(bsky_network):
    ours = new_account(bsky_network, "local")
    fans = [new_account(bsky_network, "fan") for _ in range(3)]
    reader = reader_for(bsky_network, ours)
    post = publish(reader, "Contract vote results tonight.")
    publish(reader, "Thank you to everyone who voted.")
    subject = {"uri": post.remote_id, "cid": post.cid}

    bsky_network.follow(ours, fans[0].did)
    for fan in fans:
        bsky_network.follow(fan, ours.did)
        bsky_network.like(fan, post.remote_id, post.cid)
    for fan in fans[:2]:
        bsky_network.create_record(fan, "app.bsky.feed.repost", {"subject": subject})
    bsky_network.create_record(fans[0], "app.bsky.feed.post", {
        "text": "Proud of this local.", "reply": {"root": subject, "parent": subject}})
    bsky_network.wait_until(lambda: bsky_network.profile(ours.did)["followersCount"] == 3,
                            "three fans follow us")
    bsky_network.wait_until(lambda: bsky_network.post(post.remote_id)["replyCount"] == 1,
                            "a fan replied")

    assert reader.account_counts() == AccountCounts(followers=3, following=1, posts=2)
    assert reader.post_counts([post.remote_id])[post.remote_id] == PostCounts(
        likes=3, reposts=2, replies=1, quotes=0)


def test_more_posts_than_one_read_takes_and_a_deleted_one_left_out(bsky_network):
    ours = new_account(bsky_network, "local")
    reader = reader_for(bsky_network, ours)
    posts = [publish(reader, f"Update {n} from the bargaining table.") for n in range(27)]
    never_posted = f"at://{ours.did}/app.bsky.feed.post/{new_key()}"
    bsky_network.wait_until(lambda: bsky_network.profile(ours.did)["postsCount"] == 27,
                            "all 27 posts are indexed")

    counts = reader.post_counts([post.remote_id for post in posts] + [never_posted])

    assert set(counts) == {post.remote_id for post in posts}
    assert set(counts.values()) == {PostCounts(likes=0, reposts=0, replies=0, quotes=0)}


def test_no_posts_asked_is_no_read(bsky_network):
    ours = new_account(bsky_network, "local")
    assert reader_for(bsky_network, ours).post_counts([]) == {}


class AppViewAnswers(httpx.HTTPTransport):
    """Passes the PDS's own methods through; answers every app.bsky read with one reply."""

    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__()
        self.answer = (status, body, headers or {})

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "/xrpc/app.bsky." not in request.url.path:
            return super().handle_request(request)
        status, body, headers = self.answer
        return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(("status", "error", "expected"), [
    (403, "Forbidden", ReadRefused),
    (400, "AccountTakedown", ReadRefused),
    (400, "AccountDeactivated", ReadRefused),
    (401, "AuthMissing", PermanentPublishError),
    (502, "UpstreamFailure", TransientPublishError),
])
def test_refused_and_failed_reads_say_what_happened(bsky_network, status, error, expected):
    ours = new_account(bsky_network, "local")
    body = {"error": error, "message": f"The app view's words: {error}"}
    reader = reader_for(bsky_network, ours, AppViewAnswers(status, body))

    with pytest.raises(expected, match=f"The app view's words: {error}") as failure:
        reader.account_counts()
    if expected is PermanentPublishError:
        assert not isinstance(failure.value, ReadRefused)
    with pytest.raises(expected):
        reader.post_counts([f"at://{ours.did}/app.bsky.feed.post/{new_key()}"])


def test_a_rate_limited_read_waits_until_the_reset(bsky_network):
    ours = new_account(bsky_network, "local")
    answers = AppViewAnswers(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                             {"ratelimit-reset": "1795000000"})

    with pytest.raises(RateLimited, match="Rate Limit Exceeded") as limited:
        reader_for(bsky_network, ours, answers).account_counts()
    assert limited.value.retry_at == datetime.fromtimestamp(1795000000, UTC)


def test_no_server_is_a_transient_error():
    reader = BlueskyPublisher(f"http://127.0.0.1:{free_port()}", "nobody.test", PASSWORD,
                              guard=PDS_GUARD)
    with pytest.raises(TransientPublishError, match="could not be reached"):
        reader.account_counts()


def test_snapshots_before_and_after_record_the_new_follower_and_the_like(
        bsky_network, db, now, tmp_path):
    the_vault = vault.Vault.open(Settings.from_env(
        {"OUTREACH_DATA_DIR": str(tmp_path / "data")}, env_file=None))
    campaign = campaigns.create_campaign(db, ADMIN, "Contract campaign", now=now, timezone="UTC")
    set_org(db, ADMIN, {"posts_need_approval": False}, now=now)
    ours = new_account(bsky_network, "local")
    account_id = accounts.connect_bluesky(db, the_vault, ADMIN, campaign.id, ours.handle,
                                          PASSWORD, service_url=bsky_network.pds_url, now=now,
                                          guard=PDS_GUARD)
    post_id = post_queue.create_post(db, EDITOR, account_id, ["Strike vote passes, 94% yes."],
                                     now=now, at=now)
    assert publishing.publish_due(db, "w1", accounts.publisher_for(db, the_vault, now=now,
                                                                guard=PDS_GUARD),
                                  clock=lambda: now) == "1 published"
    [part] = post_queue.get_post(db, post_id)["parts"]
    bsky_network.wait_until(lambda: bsky_network.post(part["remote_id"]) is not None,
                            "our post is indexed")

    def snapshot(at: datetime) -> str:
        reader_for = accounts.publisher_for(db, the_vault, now=at, guard=PDS_GUARD)
        return metrics.take_snapshots(db, reader_for, now=at)

    # The first post read is an hour after publishing; the account is read every hour.
    before, after = now + timedelta(hours=1), now + timedelta(hours=3)
    assert snapshot(before) == "1 account and 1 post read"
    fan = new_account(bsky_network, "fan")
    bsky_network.follow(fan, ours.did)
    bsky_network.like(fan, part["remote_id"], part["cid"])
    bsky_network.wait_until(lambda: bsky_network.post(part["remote_id"])["likeCount"] == 1,
                            "the fan likes our post")
    bsky_network.wait_until(lambda: bsky_network.profile(ours.did)["followersCount"] == 1,
                            "the fan follows us")
    assert snapshot(after) == "1 account and 1 post read"

    with db.connect() as conn:
        followers = conn.execute(
            sa.select(follower_snapshots.c.taken_at, follower_snapshots.c.followers,
                      follower_snapshots.c.posts_count)
            .where(follower_snapshots.c.account_id == account_id)
            .order_by(follower_snapshots.c.taken_at)).all()
        likes = conn.execute(
            sa.select(post_metrics.c.taken_at, post_metrics.c.likes, post_metrics.c.impressions)
            .join(post_parts, post_parts.c.id == post_metrics.c.part_id)
            .where(post_parts.c.post_id == post_id)
            .order_by(post_metrics.c.taken_at)).all()
    assert [(row.followers, row.posts_count) for row in followers] == [(0, 1), (1, 1)]
    assert [(row.likes, row.impressions) for row in likes] == [(0, None), (1, None)]
    assert [row.taken_at for row in likes] == [before, after]

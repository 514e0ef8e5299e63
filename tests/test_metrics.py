"""Snapshots of accounts and posts, read from X through the local X server."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
import sqlalchemy as sa
from support.desk import ADMIN, KEYS, make_desk, schedule
from support.desk import run as publish
from support.x_server import NOT_ENROLLED_DETAIL, REQUIRED_ENROLLMENT, XServer, problem

from outreach.cli import main
from outreach.errors import (
    PermanentPublishError,
    RateLimited,
    ReadRefused,
    TransientPublishError,
)
from outreach.insights import metrics
from outreach.net import URLGuard
from outreach.social import accounts
from outreach.social.adapters.x import READ_BATCH, XPublisher
from outreach.social.publisher import OutgoingPost
from outreach.store.tables import follower_snapshots, post_metrics, post_parts

# A second X account, on a second local server, for "only that account backs off".
OTHER_KEYS = {"api_key": "Tk4QmetricsOtherKey000002",
              "api_secret": "Ts8MetricsOtherSecretNotRealAtAll0000000000000002",
              "access_token": "1700000000000000002-MetricsOtherTokenNotReal0002",
              "access_secret": "Ta5MetricsOtherAccessSecretNotReal0000000000002"}


def x_server(keys: dict[str, str], **kwargs) -> XServer:
    return XServer(consumer_key=keys["api_key"], consumer_secret=keys["api_secret"],
                   access_token=keys["access_token"], access_secret=keys["access_secret"],
                   **kwargs)


@pytest.fixture
def server():
    with x_server(KEYS) as running:
        yield running


@pytest.fixture
def desk(db, now, server, tmp_path):
    return make_desk(db, now, server, tmp_path)


def snapshot(desk, server, now) -> str:
    reader_for = accounts.publisher_for(desk["db"], desk["vault"], now=now,
                                        x_base_url=server.url, guard=URLGuard())
    return metrics.take_snapshots(desk["db"], reader_for, now=now)


def snapshots(db) -> list:
    with db.connect() as conn:
        return conn.execute(sa.select(follower_snapshots)
                            .order_by(follower_snapshots.c.taken_at)).all()


def post_rows(db) -> list:
    with db.connect() as conn:
        return conn.execute(
            sa.select(post_metrics, post_parts.c.remote_id)
            .join(post_parts, post_parts.c.id == post_metrics.c.part_id)
            .order_by(post_metrics.c.taken_at, post_parts.c.position)).all()


def status(desk) -> dict:
    [row] = metrics.account_metrics_status(desk["db"], desk["campaign"])
    return row


# --- the X adapter's reads ----------------------------------------------------------------------


@pytest.fixture
def x(server):
    adapter = XPublisher(*KEYS.values(), base_url=server.url)
    yield adapter
    adapter.close()


def test_x_reads_the_accounts_counts(server, x):
    server.followers, server.following = 1234, 56
    server.add_post("Not ours", username="someone_else")
    x.publish(OutgoingPost(text="Rally at noon.", key="k1"))
    counts = x.account_counts()
    assert (counts.followers, counts.following, counts.posts) == (1234, 56, 1)
    read = server.calls("GET", "/2/users/me")[-1]
    assert read.query == {"user.fields": "public_metrics"}


def test_x_reads_posts_in_batches_and_leaves_out_deleted_ones(server, x):
    ids = [server.add_post(f"Post {n}", username="local99media") for n in range(READ_BATCH + 1)]
    server.set_metrics(ids[0], likes=7, reposts=3, replies=2, quotes=1, impressions=900)
    counts = x.post_counts([*ids, "1999999999999999999"])
    assert len(counts) == READ_BATCH + 1 and "1999999999999999999" not in counts
    first = counts[ids[0]]
    assert (first.likes, first.reposts, first.replies, first.quotes, first.impressions) == (
        7, 3, 2, 1, 900)
    assert len(server.calls("GET", "/2/tweets")) == 2
    server.impressions_visible = False
    assert x.post_counts([ids[0]])[ids[0]].impressions is None
    assert x.post_counts([]) == {}


@pytest.mark.parametrize(("status", "body", "error"), [
    (403, None, ReadRefused),  # the tier refusal, set with refuse_read below
    (402, {"title": "UsageCapped", "detail": "Your monthly usage cap is spent.",
           "type": "https://api.twitter.com/2/problems/usage-capped"}, ReadRefused),
    (403, problem(403, "You are not permitted to perform this action."), PermanentPublishError),
    (401, None, PermanentPublishError),
    (503, None, TransientPublishError),
    (429, None, RateLimited),
])
def test_x_read_errors_come_out_as_ours(server, x, status, body, error):
    if body is None and status == 403:
        server.refuse_read("/2/users/me")
    else:
        server.queue_response(status, body, path="/2/users/me")
    with pytest.raises(error) as caught:
        x.account_counts()
    if error is ReadRefused:
        assert "usage cap" in str(caught.value) or (
            NOT_ENROLLED_DETAIL in str(caught.value) and REQUIRED_ENROLLMENT in str(caught.value))


# --- snapshots ----------------------------------------------------------------------------------


def test_an_account_snapshot_stores_followers_following_and_posts(desk, server, now):
    server.followers, server.following = 310, 42
    assert snapshot(desk, server, now) == "1 account read"
    [row] = snapshots(desk["db"])
    assert (row.taken_at, row.followers, row.following, row.posts_count) == (now, 310, 42, 0)
    assert metrics.follower_series(desk["db"], desk["campaign"]) == [
        {"taken_at": now, "account": "x:local99media", "followers": 310}]
    shown = status(desk)
    assert shown["state"] == "ok" and shown["followers"] == 310 and shown["message"] == ""
    assert shown["next_read_at"] == now + metrics.DEFAULT_ACCOUNT_INTERVAL
    server.followers = 325
    assert snapshot(desk, server, now + timedelta(minutes=59)) == "nothing due"
    assert snapshot(desk, server, now + timedelta(hours=1)) == "1 account read"
    assert [r.followers for r in snapshots(desk["db"])] == [310, 325]
    assert status(desk)["followers"] == 325


def test_a_published_posts_counts_are_read_on_schedule_for_14_days(desk, server, now):
    schedule(desk, now, "1/ We won the vote.", "2/ Thank you, members.")
    assert publish(desk, server, now) == "1 published"
    [first, second] = server.own_posts()
    assert snapshot(desk, server, now + timedelta(minutes=30)) == "1 account read"
    for n, offset in enumerate(metrics.POST_SCHEDULE, start=1):
        server.set_metrics(first.id, likes=10 * n, reposts=n, replies=2, quotes=1,
                           impressions=100 * n)
        summary = snapshot(desk, server, now + offset)
        assert "1 post read" in summary
        assert snapshot(desk, server, now + offset + timedelta(minutes=1)) in (
            "nothing due", "1 account read")
        assert len(post_rows(desk["db"])) == 2 * n
    reads = server.calls("GET", "/2/tweets")
    assert len(reads) == len(metrics.POST_SCHEDULE)
    assert reads[0].query["ids"] == f"{first.id},{second.id}"
    rows = post_rows(desk["db"])
    assert [r.likes for r in rows if r.remote_id == first.id] == [
        10 * n for n in range(1, len(metrics.POST_SCHEDULE) + 1)]
    assert [r.taken_at for r in rows if r.remote_id == first.id] == [
        now + offset for offset in metrics.POST_SCHEDULE]
    assert rows[-2].impressions == 100 * len(metrics.POST_SCHEDULE)
    for later in (timedelta(days=15), timedelta(days=30)):
        assert "post" not in snapshot(desk, server, now + later)
    assert len(server.calls("GET", "/2/tweets")) == len(metrics.POST_SCHEDULE)


def test_a_tier_refusal_stores_xs_words_and_no_zeros(desk, server, now):
    schedule(desk, now, "Contract ratified.")
    publish(desk, server, now)
    server.refuse_read("/2/users/me")
    server.refuse_read("/2/tweets")
    asked = len(server.calls("GET", "/2/users/me"))
    hour = now + timedelta(hours=1)
    assert snapshot(desk, server, hour) == "2 reads refused"
    assert snapshots(desk["db"]) == [] and post_rows(desk["db"]) == []
    shown = status(desk)
    assert shown["state"] == "refused" and shown["followers"] is None
    assert shown["message"].startswith("X refuses this read on your access tier: ")
    assert NOT_ENROLLED_DETAIL in shown["message"] and NOT_ENROLLED_DETAIL in shown["post_error"]
    # Not asked again (each ask is billed) until a day has passed.
    assert snapshot(desk, server, hour + timedelta(hours=6)) == "nothing due"
    assert len(server.calls("GET", "/2/users/me")) == asked + 1  # the refused read only
    server.refused.clear()
    assert snapshot(desk, server, hour + metrics.REFUSED_RETRY) == "1 account read"
    assert status(desk)["state"] == "ok" and status(desk)["error"] == ""
    assert snapshot(desk, server, now + timedelta(days=2)) == "1 account and 1 post read"
    assert status(desk)["post_error"] == "" and status(desk)["message"] == ""


def test_a_rate_limit_backs_off_only_that_account(desk, server, now):
    with x_server(OTHER_KEYS, username="local12media") as other:
        other_id = accounts.connect_x(
            desk["db"], desk["vault"], ADMIN, desk["campaign"], OTHER_KEYS, now=now,
            make=lambda *keys: XPublisher(*keys, base_url=other.url))
        servers = {desk["account"]: server, other_id: other}
        reader_for = functools.partial(_reader, servers)
        reset = now + timedelta(minutes=7)
        server.queue_response(429, path="/2/users/me",
                              headers={"x-rate-limit-reset": str(int(reset.timestamp()))})
        assert metrics.take_snapshots(desk["db"], reader_for, now=now) == (
            "1 account read, 1 account failing, backing off")
        assert [r.account_id for r in snapshots(desk["db"])] == [other_id]
        shown = {s["handle"]: s for s in metrics.account_metrics_status(desk["db"],
                                                                         desk["campaign"])}
        failing, fine = shown["local99media"], shown["local12media"]
        assert failing["state"] == "failing"
        assert failing["next_read_at"] == reset and "Too Many Requests" in failing["message"]
        assert fine["state"] == "ok"
        assert metrics.take_snapshots(desk["db"], reader_for,
                                      now=now + timedelta(minutes=6)) == "nothing due"
        assert metrics.take_snapshots(desk["db"], reader_for, now=reset) == "1 account read"
        assert {s["state"] for s in metrics.account_metrics_status(
            desk["db"], desk["campaign"])} == {"ok"}


def _reader(servers: dict[int, XServer], account: dict) -> XPublisher:
    keys = KEYS if account["handle"] == "local99media" else OTHER_KEYS
    return XPublisher(*keys.values(), base_url=servers[account["id"]].url)


def test_a_second_pass_at_the_same_time_reads_nothing_again(desk, server, now):
    schedule(desk, now, "Picket at Gate 3.")
    publish(desk, server, now)
    asked = len(server.calls("GET", "/2/users/me"))
    hour = now + timedelta(hours=1)
    assert snapshot(desk, server, hour) == "1 account and 1 post read"
    assert snapshot(desk, server, hour) == "nothing due"
    assert len(server.calls("GET", "/2/users/me")) == asked + 1
    assert len(server.calls("GET", "/2/tweets")) == 1
    assert len(snapshots(desk["db"])) == 1 and len(post_rows(desk["db"])) == 1


def test_metrics_snapshot_once_prints_the_summary(desk, server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OUTREACH_DATABASE_URL", desk["db"].url.render_as_string(
        hide_password=False))
    monkeypatch.setenv("OUTREACH_DATA_DIR", str(tmp_path / "data"))  # the desk's vault key
    monkeypatch.delenv("OUTREACH_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(accounts, "publisher_for", functools.partial(
        accounts.publisher_for, x_base_url=server.url))
    server.followers = 77
    assert main(["metrics", "snapshot", "--once"]) == 0
    assert capsys.readouterr().out.strip().endswith("UTC: 1 account read.")
    assert [r.followers for r in snapshots(desk["db"])] == [77]

"""The X adapter against a local server that checks OAuth 1.0a signatures as X does."""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from requests_oauthlib import OAuth1
from support.x_server import DUPLICATE_DETAIL, XServer, problem

from outreach.errors import PermanentPublishError, RateLimited, TransientPublishError
from outreach.social.adapters.x import (
    DEFAULT_PRICES,
    UPLOAD_CHUNK_BYTES,
    XPublisher,
    estimate_cost,
)
from outreach.social.publisher import Image, OutgoingPost, Published

API_KEY = "Lx9Qk2VbN7mPz4RtY8wC3dFhJ"
API_SECRET = "q8Jm3Xv0Tz5Wc2Nb7Rk4Lp9Hs6Dg1Fy0Ue3Ia8Oo5Kt2Mn7Bv"
ACCESS_TOKEN = "1612345678901234567-Hq4Zt8Vn2Lm6Rc0Xw3Jb7Yp5Gd9Ks1"
ACCESS_SECRET = "Wt6Yh2Nc8Qm4Lz0Rv5Xb3Jk7Pd1Gs9Fa2Ue6Io4Tn8Bm0Cy"


@pytest.fixture
def server():
    with XServer(consumer_key=API_KEY, consumer_secret=API_SECRET,
                 access_token=ACCESS_TOKEN, access_secret=ACCESS_SECRET) as x_server:
        yield x_server


def publisher(server, *, api_secret=API_SECRET, access_secret=ACCESS_SECRET) -> XPublisher:
    return XPublisher(API_KEY, api_secret, ACCESS_TOKEN, access_secret, base_url=server.url)


@pytest.fixture
def x(server):
    adapter = publisher(server)
    yield adapter
    adapter.close()


def post(text: str, key: str = "k1", **kwargs) -> OutgoingPost:
    return OutgoingPost(text=text, key=key, **kwargs)


def test_publish_creates_the_post_and_returns_its_public_url(server, x):
    published = x.publish(post("Strike vote Thursday at 6pm, Local 99 hall."))

    assert published.url == f"https://x.com/local99media/status/{published.remote_id}"
    [stored] = server.own_posts()
    assert stored.id == published.remote_id
    assert stored.text == "Strike vote Thursday at 6pm, Local 99 hall."
    [create] = server.calls("POST", "/2/tweets")
    assert create.json == {"text": "Strike vote Thursday at 6pm, Local 99 hall."}
    assert server.requests and all(r.verified for r in server.requests)


def test_debug_logging_never_prints_a_credential(server, x, caplog):
    """Even with every logger at DEBUG, no key, token or signature reaches the log."""
    with caplog.at_level(logging.DEBUG):
        logging.getLogger().setLevel(logging.DEBUG)
        x.publish(post("Picket at 6"))
    assert caplog.records  # the program itself still logs
    for credential in (API_KEY, API_SECRET, ACCESS_TOKEN, ACCESS_SECRET, "oauth_signature"):
        assert credential not in caplog.text


def test_a_thread_goes_out_in_order_each_part_replying_to_the_last(server, x):
    first = x.publish(post("1/ We voted to strike.", key="t1"))
    second = x.publish(post("2/ 94% yes on 91% turnout.", key="t2",
                            reply_to=first, thread_root=first))
    third = x.publish(post("3/ Pickets start Monday at 6am.", key="t3",
                           reply_to=second, thread_root=first))

    stored = server.own_posts()
    assert [p.id for p in stored] == [first.remote_id, second.remote_id, third.remote_id]
    assert [p.in_reply_to for p in stored] == [None, first.remote_id, second.remote_id]
    replies = [c.json.get("reply") for c in server.calls("POST", "/2/tweets")]
    assert replies == [None, {"in_reply_to_tweet_id": first.remote_id},
                       {"in_reply_to_tweet_id": second.remote_id}]
    # The account is asked for once, not once per post.
    assert len(server.calls("GET", "/2/users/me")) == 1


def test_images_are_uploaded_in_chunks_with_their_alt_text(server, x):
    photo = Image(data=bytes(range(256)) * (UPLOAD_CHUNK_BYTES * 5 // 2 // 256),
                  mime="image/jpeg", alt="Members on the picket line outside the plant")
    chart = Image(data=b"\x89PNG tiny chart", mime="image/png", alt="")

    published = x.publish(post("Day 3 on the line.", images=(photo, chart)))

    [stored] = server.own_posts()
    assert stored.id == published.remote_id
    photo_id, chart_id = stored.media_ids
    assert server.media[photo_id].data == photo.data
    assert server.media[photo_id].media_type == "image/jpeg"
    assert server.media[photo_id].category == "tweet_image"
    assert server.media[photo_id].alt_text == "Members on the picket line outside the plant"
    assert server.media[chart_id].data == chart.data
    assert server.media[chart_id].alt_text is None
    paths = [r.path for r in server.requests if r.path.startswith("/2/media")]
    assert paths == [
        "/2/media/upload/initialize",
        *[f"/2/media/upload/{photo_id}/append"] * 3,
        f"/2/media/upload/{photo_id}/finalize",
        "/2/media/metadata",
        "/2/media/upload/initialize",
        f"/2/media/upload/{chart_id}/append",
        f"/2/media/upload/{chart_id}/finalize",
    ]
    appends = server.calls("POST", f"/2/media/upload/{photo_id}/append")
    assert [a.form["segment_index"] for a in appends] == ["0", "1", "2"]
    [init, _] = server.calls("POST", "/2/media/upload/initialize")
    assert init.json == {"media_type": "image/jpeg", "total_bytes": len(photo.data),
                         "media_category": "tweet_image"}
    [metadata] = server.calls("POST", "/2/media/metadata")
    assert metadata.json == {"id": photo_id, "metadata": {"alt_text": {
        "text": "Members on the picket line outside the plant"}}}
    [create] = server.calls("POST", "/2/tweets")
    assert create.json["media"] == {"media_ids": [photo_id, chart_id]}


def test_a_duplicate_content_refusal_returns_the_post_already_there(server, x):
    text = "Rally at City Hall & march to the plant: https://local99.example/rally?day=3"
    photo = Image(data=b"jpeg bytes", mime="image/jpeg", alt="Rally poster")
    first = x.publish(post(text, key="a", images=(photo,)))

    again = x.publish(post(text, key="a", images=(photo,)))

    assert again == first
    assert len(server.own_posts()) == 1
    creates = server.calls("POST", "/2/tweets")
    assert len(creates) == 2  # the second was refused as a duplicate
    assert server.calls("GET", f"/2/users/{server.user_id}/tweets")


def test_a_duplicate_older_than_the_recent_posts_is_a_permanent_error(server, x):
    x.publish(post("Old news."))
    for n in range(25):
        x.publish(post(f"Update {n}", key=f"u{n}"))

    with pytest.raises(PermanentPublishError, match=DUPLICATE_DETAIL):
        x.publish(post("Old news.", key="again"))


def test_find_published_finds_a_post_whose_answer_was_lost(server, x):
    first = x.publish(post("Bargaining update: no deal yet.", key="b1"))
    reply = post("Next session Tuesday & we'll be there: union.example/next", key="b2",
                 reply_to=first)
    server.queue_response(503, path="/2/tweets", performed=True)

    with pytest.raises(TransientPublishError):
        x.publish(reply)

    found = x.find_published(reply)
    assert found is not None
    assert found.remote_id == server.own_posts()[-1].id
    assert found.url == f"https://x.com/local99media/status/{found.remote_id}"
    assert len(server.own_posts()) == 2


def test_find_published_matches_text_and_reply_target_only(server, x):
    first = x.publish(post("We are the union."))
    x.publish(post("Solidarity forever.", key="s", reply_to=first))
    server.add_post("Solidarity forever.", username="nurses_union")

    assert x.find_published(post("Solidarity forever.", reply_to=first)) is not None
    assert x.find_published(post("Solidarity forever.")) is None
    assert x.find_published(post("Never posted.")) is None
    [lookup, *_] = server.calls("GET", f"/2/users/{server.user_id}/tweets")
    assert lookup.query["max_results"] == "20"
    assert lookup.query["exclude"] == "retweets"


def test_a_rate_limit_becomes_rate_limited_with_xs_reset_time(server, x):
    reset = int(time.time()) + 600
    server.queue_response(429, path="/2/tweets", headers={
        "x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(reset)})

    with pytest.raises(RateLimited) as caught:
        x.publish(post("Too soon."))

    assert caught.value.retry_at == datetime.fromtimestamp(reset, UTC)
    assert str(caught.value) == "Too Many Requests"
    assert server.own_posts() == []


def test_a_rate_limit_without_a_reset_waits_one_window(server, x):
    server.queue_response(429, path="/2/tweets")

    with pytest.raises(RateLimited) as caught:
        x.publish(post("Too soon."))

    expected = datetime.now(UTC) + timedelta(minutes=15)
    assert abs(caught.value.retry_at - expected) < timedelta(seconds=30)


@pytest.mark.parametrize(("status", "body", "error", "message"), [
    (401, None, PermanentPublishError, "Unauthorized"),
    (403, problem(403, "You are not permitted to perform this action."),
     PermanentPublishError, "You are not permitted to perform this action."),
    (503, None, TransientPublishError, "Service Unavailable"),
])
def test_refusals_become_our_errors_in_xs_words(server, x, status, body, error, message):
    server.queue_response(status, body, path="/2/tweets")

    with pytest.raises(error) as caught:
        x.publish(post("Hello."))

    assert str(caught.value) == message
    assert server.own_posts() == []


def test_an_invalid_request_is_permanent_with_xs_specific_message(x):
    ghost = Published(remote_id="1234567890123456789", url="https://x.com/a/status/1")

    with pytest.raises(PermanentPublishError,
                       match="The tweet you are replying to does not exist."):
        x.publish(post("Replying to nothing.", reply_to=ghost))


def test_a_failed_upload_is_transient_and_nothing_is_posted(server, x):
    server.queue_response(503, path="/2/media/upload/initialize")

    with pytest.raises(TransientPublishError):
        x.publish(post("With a photo.",
                       images=(Image(data=b"jpeg", mime="image/jpeg", alt="A photo"),)))

    assert server.calls("POST", "/2/tweets") == []


def test_an_unreachable_x_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    adapter = XPublisher(API_KEY, API_SECRET, ACCESS_TOKEN, ACCESS_SECRET,
                         base_url=f"http://127.0.0.1:{closed_port}")

    with pytest.raises(TransientPublishError, match="Could not reach X"):
        adapter.publish(post("Anyone there?"))


def test_verify_returns_the_account_handle(server, x):
    assert x.verify() == "@local99media"
    assert server.calls("GET", "/2/users/me")


@pytest.mark.parametrize("secrets", [{"api_secret": "not-the-consumer-secret"},
                                     {"access_secret": "not-the-access-secret"}])
def test_a_wrong_secret_is_refused_by_the_signature_check(server, secrets):
    adapter = publisher(server, **secrets)

    with pytest.raises(PermanentPublishError, match="^Unauthorized$"):
        adapter.verify()

    assert [r.verified for r in server.requests] == [False]


def _signed_request(server, **oauth) -> requests.PreparedRequest:
    request = requests.Request("GET", "https://api.twitter.com/2/users/me", auth=OAuth1(
        API_KEY, API_SECRET, ACCESS_TOKEN, ACCESS_SECRET, **oauth)).prepare()
    request.url = server.url + "/2/users/me"
    return request


def test_a_replayed_request_is_refused(server):
    request = _signed_request(server)
    with requests.Session() as session:
        first = session.send(request)
        replay = session.send(request)

    assert first.status_code == 200
    assert replay.status_code == 401
    assert replay.json()["detail"] == "Unauthorized"


def test_a_stale_timestamp_is_refused(server):
    with requests.Session() as session:
        answer = session.send(_signed_request(server, timestamp=str(int(time.time()) - 3600)))

    assert answer.status_code == 401


def test_repost_retweets_the_post_at_the_link(server, x):
    original = server.add_post("Nurses walk out at St. Mary's.", username="nurses_union")

    reposted = x.repost(f"https://twitter.com/nurses_union/status/{original}", key="r1")
    x.repost(f"https://x.com/nurses_union/status/{original}?s=20", key="r1")

    assert reposted == Published(remote_id=original,
                                 url=f"https://x.com/nurses_union/status/{original}")
    [retweet, _] = server.calls("POST", f"/2/users/{server.user_id}/retweets")
    assert retweet.json == {"tweet_id": original}
    assert [p.retweet_of for p in server.posts if p.author_id == server.user_id] == [original]


def test_repost_refuses_a_link_that_is_not_a_post(x):
    with pytest.raises(PermanentPublishError, match="Not a link to a post on X"):
        x.repost("https://example.com/nurses_union/status/1", key="r1")


def test_quote_publishes_a_post_quoting_the_link(server, x):
    original = server.add_post("Management walked away from the table.",
                               username="labor_reporter")

    quoted = x.quote(f"https://x.com/labor_reporter/status/{original}",
                     post("They walked away. We did not."))

    [stored] = server.own_posts()
    assert stored.id == quoted.remote_id
    assert stored.quote_of == original
    [create] = server.calls("POST", "/2/tweets")
    assert create.json == {"text": "They walked away. We did not.", "quote_tweet_id": original}


@pytest.mark.parametrize(("text", "cost"), [
    ("Strike vote Thursday.", 0.015),
    ("Read our statement: https://local99.example/statement", 0.20),
    ("Details at local99.example", 0.20),
    ("Wages up 4.5% in year one, e.g. for the U.S. plants.", 0.015),
])
def test_estimate_cost_charges_more_for_a_link(text, cost):
    assert estimate_cost(text) == pytest.approx(cost)
    assert estimate_cost(text, prices=DEFAULT_PRICES) == pytest.approx(cost)


def test_estimate_cost_uses_the_price_table_given():
    prices = {"post": 0.01, "post_with_url": 0.5, "read": 0.001}

    assert estimate_cost("No link here.", prices=prices) == pytest.approx(0.01)
    assert estimate_cost("https://x.example", prices=prices) == pytest.approx(0.5)

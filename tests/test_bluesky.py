"""The Bluesky adapter against a real PDS on 127.0.0.1 (see tests/support/pds.py).

Records are read back with plain XRPC calls to the PDS, not through the adapter,
so a test sees what Bluesky would show.
"""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from atproto import Client, Request, Session
from PIL import Image as PILImage
from support.images import photo_with_location
from support.pds import PDS_GUARD, get_blob, read_record
from support.services import free_port

from outreach.errors import PermanentPublishError, RateLimited, TransientPublishError
from outreach.net import URLGuard
from outreach.social.adapters.bluesky import BlueskyPublisher, LinkCard, new_key
from outreach.social.publisher import Image, OutgoingPost

# The SDK hands blob bytes to httpx as `data=`, which httpx deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

PASSWORD = "picket-line-2026"
_accounts = itertools.count(1)


class Account:
    """A fresh account on the test PDS."""

    def __init__(self, pds):
        self.handle = f"local{next(_accounts)}x{new_key()[-5:]}.test"
        self.did = pds.create_account(self.handle, PASSWORD)


class CountingTransport(httpx.HTTPTransport):
    """Passes requests through, counting them by XRPC method; can lose one answer."""

    def __init__(self, lose_answer_to: str | None = None):
        super().__init__()
        self.calls: dict[str, int] = {}
        self.lose_answer_to = lose_answer_to

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        self.calls[method] = self.calls.get(method, 0) + 1
        response = super().handle_request(request)
        if method == self.lose_answer_to:
            self.lose_answer_to = None
            response.read()
            response.close()
            raise httpx.ReadTimeout("the answer was lost on the way back", request=request)
        return response


def publisher_for(pds, account: Account, transport: httpx.BaseTransport | None = None,
                  **kwargs) -> BlueskyPublisher:
    """A publisher for `account`, optionally through `transport`."""
    client = None
    if transport is not None:
        client = Client(base_url=pds.url, request=Request(transport=transport))
    kwargs.setdefault("guard", PDS_GUARD)
    return BlueskyPublisher(pds.url, account.handle, kwargs.pop("password", PASSWORD),
                            client=client, **kwargs)




def list_records(pds, did: str, collection: str) -> list[dict]:
    """Every record of `collection` in the account's repository."""
    response = httpx.get(pds.xrpc("com.atproto.repo.listRecords"),
                         params={"repo": did, "collection": collection, "limit": 100})
    response.raise_for_status()
    return response.json()["records"]






def without_metadata(data: bytes) -> bytes:
    """The same picture re-encoded from its pixels alone, so no metadata survives."""
    with PILImage.open(io.BytesIO(data)) as image:
        pixels = PILImage.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    pixels.save(out, "JPEG", quality=90)
    return out.getvalue()


def png(size=(32, 32)) -> bytes:
    """A small PNG."""
    out = io.BytesIO()
    PILImage.new("RGB", size, (20, 90, 160)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def account(pds) -> Account:
    """A fresh account on the PDS."""
    return Account(pds)


def test_text_post_is_read_back_with_facets_at_the_right_bytes(pds, account):
    other = Account(pds)
    link = "https://union.example/huelga/2026/noticias?día=3"
    text = f"Día 3 de huelga 🎉✊🏽 en Águas Claras con @{other.handle} #huelga: {link} ¡únete!"
    publisher = publisher_for(pds, account, langs=["es"])
    key = new_key()

    published = publisher.publish(OutgoingPost(text=text, key=key))

    assert published.remote_id == f"at://{account.did}/app.bsky.feed.post/{key}"
    assert published.url == f"https://bsky.app/profile/{account.handle}/post/{key}"
    stored = read_record(pds, published.remote_id)
    assert stored["cid"] == published.cid
    post = stored["value"]
    # As the official app posts it: the link shortened, its facet keeping the full URL.
    assert post["text"] == text.replace(link, "union.example/huelga/2026/...")
    assert post["langs"] == ["es"]
    assert datetime.fromisoformat(post["createdAt"]).tzinfo is not None
    data = post["text"].encode()
    spans = {data[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(): f["features"][0]
             for f in post["facets"]}
    assert spans == {
        f"@{other.handle}": {"$type": "app.bsky.richtext.facet#mention", "did": other.did},
        "#huelga": {"$type": "app.bsky.richtext.facet#tag", "tag": "huelga"},
        "union.example/huelga/2026/...": {"$type": "app.bsky.richtext.facet#link",
                                          "uri": link},
    }


def test_images_keep_their_alt_text_and_reach_the_pds_without_exif(pds, account):
    original = photo_with_location()
    assert PILImage.open(io.BytesIO(original)).getexif().get(0x8825)  # the phone's GPS
    stripped = without_metadata(original)
    images = (Image(stripped, "image/jpeg", "Members on the picket line at gate 2"),
              Image(png(), "image/png", "The union's logo"))

    published = publisher_for(pds, account).publish(
        OutgoingPost(text="Gate 2 this morning.", key=new_key(), images=images))

    embed = read_record(pds, published.remote_id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [i["alt"] for i in embed["images"]] == [image.alt for image in images]
    assert [i["image"]["mimeType"] for i in embed["images"]] == ["image/jpeg", "image/png"]
    blob = get_blob(pds, account.did, embed["images"][0]["image"])
    assert blob == stripped
    assert b"Exif" not in blob
    assert not PILImage.open(io.BytesIO(blob)).getexif()


def test_more_than_four_images_is_refused_before_anything_is_sent(pds, account):
    images = tuple(Image(png(), "image/png", f"picture {n}") for n in range(5))
    transport = CountingTransport()
    with pytest.raises(PermanentPublishError, match="at most 4 images"):
        publisher_for(pds, account, transport).publish(
            OutgoingPost(text="Too many", key=new_key(), images=images))
    assert "uploadBlob" not in transport.calls
    assert "createRecord" not in transport.calls


def test_link_card_with_thumbnail(pds, account):
    card = LinkCard(uri="https://union.example/strike", title="Why we strike",
                    description="Our demands, in plain words.", thumb=png((120, 63)),
                    thumb_mime="image/png")

    published = publisher_for(pds, account).publish_with_card(
        OutgoingPost(text="Read why: https://union.example/strike", key=new_key()), card)

    embed = read_record(pds, published.remote_id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    external = embed["external"]
    assert (external["uri"], external["title"], external["description"]) == (
        card.uri, card.title, card.description)
    assert get_blob(pds, account.did, external["thumb"]) == card.thumb


def test_a_three_post_thread_links_root_and_parent(pds, account):
    publisher = publisher_for(pds, account)
    first = publisher.publish(OutgoingPost(text="1/3 We are on strike.", key=new_key()))
    second = publisher.publish(OutgoingPost(text="2/3 Here is why.", key=new_key(),
                                            reply_to=first, thread_root=first))
    third = publisher.publish(OutgoingPost(text="3/3 Join us.", key=new_key(),
                                           reply_to=second, thread_root=first))

    assert "reply" not in read_record(pds, first.remote_id)["value"]
    for part, parent in ((second, first), (third, second)):
        reply = read_record(pds, part.remote_id)["value"]["reply"]
        assert (reply["root"]["uri"], reply["root"]["cid"]) == (first.remote_id, first.cid)
        assert (reply["parent"]["uri"], reply["parent"]["cid"]) == (parent.remote_id, parent.cid)


def test_repost_and_quote_another_accounts_post(pds, account):
    other = Account(pds)
    theirs = publisher_for(pds, other).publish(
        OutgoingPost(text="Solidarity from the nurses' union.", key=new_key()))
    transport = CountingTransport()
    publisher = publisher_for(pds, account, transport)
    key = new_key()

    reposted = publisher.repost(theirs.url, key)
    again = publisher.repost(theirs.url, key)

    assert reposted == again
    assert transport.calls["com.atproto.repo.createRecord"] == 1
    assert reposted.remote_id == f"at://{account.did}/app.bsky.feed.repost/{key}"
    assert reposted.url == theirs.url
    (record,) = list_records(pds, account.did, "app.bsky.feed.repost")
    assert record["value"]["subject"] == {
        "$type": "com.atproto.repo.strongRef", "uri": theirs.remote_id, "cid": theirs.cid}

    quoted = publisher.quote(theirs.url, OutgoingPost(text="Thank you!", key=new_key()))
    embed = read_record(pds, quoted.remote_id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.record"
    assert (embed["record"]["uri"], embed["record"]["cid"]) == (theirs.remote_id, theirs.cid)


def test_a_retry_after_a_lost_answer_does_not_post_twice(pds, account):
    transport = CountingTransport(lose_answer_to="com.atproto.repo.createRecord")
    publisher = publisher_for(pds, account, transport)
    post = OutgoingPost(text="Rally at noon, city hall.", key=new_key())
    assert publisher.find_published(post) is None

    first = publisher.publish(post)  # the PDS made it; its answer never arrived
    retried = publisher.publish(post)

    assert retried == first
    assert publisher.find_published(post) == first
    assert transport.calls["com.atproto.repo.createRecord"] == 2
    (record,) = list_records(pds, account.did, "app.bsky.feed.post")
    assert record["uri"] == first.remote_id


def test_a_saved_session_is_reused_without_signing_in(pds, account):
    saved: list[str] = []
    first = CountingTransport()
    did = publisher_for(pds, account, first, on_session_change=saved.append).verify()
    assert did == account.did
    assert first.calls["com.atproto.server.createSession"] == 1
    assert len(saved) == 1

    second = CountingTransport()
    # A wrong password proves the point twice: signing in would fail.
    publisher = publisher_for(pds, account, second, session_string=saved[-1],
                              password="not-the-password")
    published = publisher.publish(OutgoingPost(text="Second worker pass.", key=new_key()))

    assert read_record(pds, published.remote_id)["value"]["text"] == "Second worker pass."
    assert "com.atproto.server.createSession" not in second.calls


def test_a_saved_session_of_another_account_is_not_used(pds, account):
    saved: list[str] = []
    publisher_for(pds, Account(pds), on_session_change=saved.append).verify()
    transport = CountingTransport()

    did = publisher_for(pds, account, transport, session_string=saved[-1]).verify()

    assert did == account.did
    assert transport.calls["com.atproto.server.createSession"] == 1


def test_wrong_password_gives_the_platforms_message(pds, account):
    publisher = publisher_for(pds, account, password="wrong-password")
    with pytest.raises(PermanentPublishError) as failure:
        publisher.verify()
    assert str(failure.value) == "Invalid identifier or password"
    with pytest.raises(PermanentPublishError, match="Invalid identifier or password"):
        publisher.publish(OutgoingPost(text="never", key=new_key()))


def test_too_many_sign_ins_is_rate_limited_until_the_reset(pds, account):
    before = datetime.now(UTC)
    publisher = publisher_for(pds, account, password="wrong-password")
    with pytest.raises(RateLimited) as limited:  # the PDS allows 30 sign-ins in 5 minutes
        for _ in range(40):
            with pytest.raises(PermanentPublishError):
                publisher.verify()
    retry_at = limited.value.retry_at
    assert retry_at.tzinfo is not None
    assert before < retry_at <= before + timedelta(minutes=5, seconds=5)


def test_no_server_is_a_transient_error():
    publisher = BlueskyPublisher(f"http://127.0.0.1:{free_port()}", "nobody.test", PASSWORD,
                                 guard=PDS_GUARD)
    with pytest.raises(TransientPublishError, match="could not be reached"):
        publisher.verify()


@pytest.mark.parametrize(("status", "headers", "expected"), [
    (503, {}, TransientPublishError),
    (502, {}, TransientPublishError),
    (400, {}, PermanentPublishError),
    (429, {"ratelimit-reset": "1795000000"}, RateLimited),
])
def test_error_answers_are_translated(status, headers, expected):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers,
                              json={"error": "Whatever", "message": "The platform's words"})

    client = Client(base_url="http://127.0.0.1:9", request=Request(
        transport=httpx.MockTransport(answer)))
    with pytest.raises(expected, match="The platform's words") as failure:
        BlueskyPublisher("http://127.0.0.1:9", "alice.test", PASSWORD, client=client,
                         guard=PDS_GUARD).verify()
    if expected is RateLimited:
        assert failure.value.retry_at == datetime.fromtimestamp(1795000000, UTC)


# --- where the password and tokens may go -------------------------------------------------


def no_lookup(host, port):
    pytest.fail(f"the guard looked up {host!r} before refusing plain http")


def test_the_pds_a_session_names_must_pass_the_guard_too(pds, account):
    # The session records the PDS the account's DID document named at sign-in (the test PDS
    # sends none, so it is set here): 127.0.0.1, the server set, is allowlisted, localhost
    # is not, so no token goes there.
    saved: list[str] = []
    publisher_for(pds, account, on_session_change=saved.append).verify()
    session = Session.decode(saved[-1])
    session.pds_endpoint = pds.url.replace("127.0.0.1", "localhost")
    transport = CountingTransport()
    publisher = publisher_for(pds, account, transport, session_string=session.encode(),
                              guard=URLGuard(["127.0.0.1"]))
    with pytest.raises(PermanentPublishError) as refused:
        publisher.verify()
    assert transport.calls == {}
    message = str(refused.value)
    assert message.startswith("Not signing in to Bluesky through the PDS its DID document or "
                              "saved session names. Refused http://localhost:")
    assert "plain http would carry the password and sign-in tokens unencrypted" in message
    assert "add localhost to OUTREACH_URL_ALLOWLIST" in message


def test_a_server_on_plain_http_is_refused_before_any_request_unless_allowlisted(pds, account):
    transport = CountingTransport()
    publisher = publisher_for(pds, account, transport, guard=URLGuard())
    with pytest.raises(PermanentPublishError, match=f"Refused {pds.url}: plain http"):
        publisher.verify()
    assert transport.calls == {}
    assert publisher_for(pds, account, guard=PDS_GUARD).verify() == account.did


@pytest.mark.parametrize(("url", "resolver", "why"), [
    ("http://pds.example.org", no_lookup, "Refused http://pds.example.org: plain http would "
     "carry the password"),
    ("https://pds.example.org", lambda host, port: [(2, 1, 6, "", ("10.0.0.5", port))],
     "Refused https://pds.example.org: pds.example.org resolves to 10.0.0.5, a private "
     "address. Add the host or its network to OUTREACH_URL_ALLOWLIST"),
])
def test_a_server_address_the_guard_refuses_gets_no_password(url, resolver, why):
    # Any connection attempt would trip the conftest guard (a lookup or a socket outside
    # 127.0.0.1): the refusal comes first.
    publisher = BlueskyPublisher(url, "alice.test", PASSWORD, guard=URLGuard(resolver=resolver))
    with pytest.raises(PermanentPublishError) as refused:
        publisher.verify()
    assert str(refused.value).startswith(
        f"Not signing in to Bluesky through the Bluesky server set for this account. {why}")

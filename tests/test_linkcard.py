"""Bluesky link cards: read from a page on a local web server, posted to the local PDS.

The pages are served by http.server on 127.0.0.1, which the URL guard lets through only
with `URLGuard(allowlist=["127.0.0.1"])`; the posts go to the real PDS of tests/support/pds.py.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from atproto import Client, Request
from PIL import Image as PILImage
from support.images import photo_with_location
from support.pds import PDS_GUARD, get_blob, read_record
from support.services import free_port
from support.web import Page

from outreach import campaigns
from outreach.auth import vault
from outreach.config import Settings
from outreach.errors import InvalidInput, NotFound, UnsafeURL
from outreach.net import URLGuard
from outreach.org_settings import set_org
from outreach.roles import Actor
from outreach.social import accounts, publishing
from outreach.social import queue as post_queue
from outreach.social.adapters import linkcard
from outreach.social.images import prepare_image
from outreach.social.publisher import new_key

# The SDK hands blob bytes to httpx as `data=`, which httpx deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

ADMIN = Actor("ada", "admin")
EDITOR = Actor("ed", "editor")
PASSWORD = "picket-line-2026"









@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as http:
        yield http


GUARD = URLGuard(allowlist=["127.0.0.1"])


class LosingTransport(httpx.HTTPTransport):
    """Passes requests to the PDS through, but loses the first answer to each XRPC method
    named: the PDS did the work, the caller never hears of it."""

    def __init__(self, *methods: str) -> None:
        super().__init__()
        self.lose = set(methods)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        method = request.url.path.rsplit("/", 1)[-1]
        if method in self.lose:
            self.lose.discard(method)
            response.read()
            response.close()
            raise httpx.ReadTimeout("the answer was lost on the way back", request=request)
        return response


def exif_of(data: bytes) -> dict:
    with PILImage.open(io.BytesIO(data)) as image:
        return dict(image.getexif())


# --- reading a card ----------------------------------------------------------------------


def test_a_card_has_the_og_title_description_and_a_thumb_without_exif(site, client):
    assert exif_of(photo_with_location())  # the page's photo does carry a position
    card = linkcard.fetch_card(site.url("/article"), client=client, guard=GUARD)
    assert card.uri == site.url("/article")
    assert card.title == "Why we strike: pay & safety at Acme\u2019s plant"
    assert card.description == "Local 7 explains the vote: 94% yes."
    assert card.thumb_mime == "image/jpeg"
    assert exif_of(card.thumb) == {}
    with PILImage.open(io.BytesIO(card.thumb)) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (64, 48)
    assert site.hits == ["/article", "/img/picket.jpg"]


def test_a_page_without_og_tags_falls_back_to_title_and_description(site, client):
    card = linkcard.fetch_card(site.url("/plain"), client=client, guard=GUARD)
    assert (card.title, card.description, card.thumb) == (
        "Rally at Caf\u00e9 Solidaridad \u2014 Local 7", "Bring signs & water.", None)


def test_long_text_is_trimmed_for_the_card(site, client):
    site.pages["/long"] = Page(
        f'<meta property="og:title" content="{"Solidarity " * 60}">'
        f'<meta property="og:description" content="{"forever " * 200}">'.encode())
    card = linkcard.fetch_card(site.url("/long"), client=client, guard=GUARD)
    assert len(card.title) <= 300 and card.title.endswith("…")
    assert len(card.description) <= 1000 and card.description.startswith("forever forever")


def test_a_large_transparent_image_becomes_a_small_jpeg_thumb(site, client):
    logo = io.BytesIO()
    PILImage.new("RGBA", (2400, 1200), (200, 20, 40, 128)).save(logo, "PNG")
    site.pages["/img/logo.png"] = Page(logo.getvalue(), "image/png")
    site.pages["/logo"] = Page(b'<meta property="og:title" content="Local 7">'
                               b'<meta property="og:image" content="img/logo.png">')
    card = linkcard.fetch_card(site.url("/logo"), client=client, guard=GUARD)
    with PILImage.open(io.BytesIO(card.thumb)) as thumb:
        assert (thumb.format, thumb.size) == ("JPEG", (1000, 500))


def test_an_image_that_cannot_be_fetched_only_drops_the_thumb(site, client):
    card = linkcard.fetch_card(site.url("/no-image"), client=client, guard=GUARD)
    assert (card.title, card.thumb) == ("Strike fund", None)


def test_a_missing_page_is_not_found(site, client):
    with pytest.raises(NotFound, match=r"/gone was not found \(HTTP 404\)"):
        linkcard.fetch_card(site.url("/gone"), client=client, guard=GUARD)


def test_a_page_that_is_not_html_is_refused(site, client):
    with pytest.raises(InvalidInput, match="is not a web page .*application/json"):
        linkcard.fetch_card(site.url("/report.json"), client=client, guard=GUARD)


@pytest.mark.parametrize("send_length", [True, False], ids=["declared", "streamed"])
def test_an_oversized_page_is_refused(site, client, send_length):
    site.pages["/huge"] = Page(b"<html><head><title>Huge</title></head>" + b"x" * 50_000,
                               send_length=send_length)
    with pytest.raises(InvalidInput, match="larger than 10,000 bytes"):
        linkcard.fetch_card(site.url("/huge"), client=client, guard=GUARD, max_bytes=10_000)


def test_a_page_that_does_not_answer_is_a_clear_error(client):
    url = f"http://127.0.0.1:{free_port()}/article"
    with pytest.raises(InvalidInput, match=f"Could not fetch the page at {url}"):
        linkcard.fetch_card(url, client=client, guard=GUARD)


def test_a_private_address_is_refused_without_the_allowlist(site, client):
    with pytest.raises(UnsafeURL, match="127.0.0.1 is a loopback address"):
        linkcard.fetch_card(site.url("/article"), client=client, guard=URLGuard())
    with pytest.raises(UnsafeURL, match="10.0.0.7 is a private address"):
        linkcard.fetch_card("http://10.0.0.7/router", client=client, guard=GUARD)
    assert site.hits == []


def test_the_preview_shows_the_first_links_card_or_nothing(site, client):
    text = f"Read why we strike: {site.url('/article')} and {site.url('/plain')}"
    card = linkcard.preview_card(text, client=client, guard=GUARD)
    assert card is not None and card.uri == site.url("/article")
    assert linkcard.preview_card("No link today.", client=client, guard=GUARD) is None
    assert linkcard.preview_card(f"See {site.url('/gone')}", client=client, guard=GUARD) is None


# --- publishing with a card --------------------------------------------------------------


@pytest.fixture
def desk(db, now, pds, tmp_path):
    """A campaign with a Bluesky account on the local PDS, posting without a vote."""
    the_vault = vault.Vault.open(Settings.from_env(
        {"OUTREACH_DATA_DIR": str(tmp_path / "data")}, env_file=None))
    campaign = campaigns.create_campaign(db, ADMIN, "Drive", now=now, timezone="UTC")
    set_org(db, ADMIN, {"posts_need_approval": False}, now=now)
    handle = f"card{new_key()[-6:]}.test"
    did = pds.create_account(handle, PASSWORD)
    account_id = accounts.connect_bluesky(db, the_vault, ADMIN, campaign.id, handle, PASSWORD,
                                          service_url=pds.url, now=now, guard=PDS_GUARD)
    return {"db": db, "vault": the_vault, "account": account_id, "did": did}


def publish(desk, now, client, *, when=None, bluesky_client=None) -> str:
    factory = accounts.publisher_for(desk["db"], desk["vault"], now=now,
                                     bluesky_client=bluesky_client, guard=PDS_GUARD)
    return publishing.publish_due(desk["db"], "w1", factory, clock=lambda: when or now,
                                  card_fetcher=linkcard.card_fetcher(client, GUARD))


def records(pds, desk, post_id) -> list[dict]:
    return [read_record(pds, part["remote_id"])["value"]
            for part in post_queue.get_post(desk["db"], post_id)["parts"]]


def test_a_post_with_a_link_goes_out_with_its_card(pds, desk, site, client, now):
    link = site.url("/article")
    post_id = post_queue.create_post(desk["db"], EDITOR, desk["account"],
                                     [f"Read why we strike: {link}", f"More: {link}"],
                                     now=now, at=now)
    assert publish(desk, now, client) == "1 published"
    first, second = records(pds, desk, post_id)
    external = first["embed"]["external"]
    assert first["embed"]["$type"] == "app.bsky.embed.external"
    assert (external["uri"], external["title"], external["description"]) == (
        link, "Why we strike: pay & safety at Acme\u2019s plant",
        "Local 7 explains the vote: 94% yes.")
    thumb = get_blob(pds, desk["did"], external["thumb"])
    assert external["thumb"]["mimeType"] == "image/jpeg" and exif_of(thumb) == {}
    assert "embed" not in second  # only the first part of a thread gets a card
    assert site.hits.count("/article") == 1


def test_when_the_page_is_down_the_post_goes_out_without_a_card(pds, desk, client, now):
    post_id = post_queue.create_post(
        desk["db"], EDITOR, desk["account"],
        [f"Read why we strike: http://127.0.0.1:{free_port()}/article"], now=now, at=now)
    assert publish(desk, now, client) == "1 published"
    [record] = records(pds, desk, post_id)
    assert record["text"].startswith("Read why we strike:") and "embed" not in record


def test_a_post_with_images_keeps_its_images_and_fetches_no_card(pds, desk, site, client, now):
    image = prepare_image(photo_with_location(), "Workers at Gate 3", "bluesky")
    post_id = post_queue.create_post(desk["db"], EDITOR, desk["account"],
                                     [f"Picket photos: {site.url('/article')}"], now=now,
                                     at=now, images=[image])
    assert publish(desk, now, client) == "1 published"
    [record] = records(pds, desk, post_id)
    assert record["embed"]["$type"] == "app.bsky.embed.images"
    assert site.hits == []


def test_a_retry_after_a_lost_answer_does_not_post_the_card_twice(pds, desk, site, client, now):
    post_id = post_queue.create_post(desk["db"], EDITOR, desk["account"],
                                     [f"Vote results: {site.url('/article')}"], now=now, at=now)
    # The record lands with its card, but neither its answer nor the check for it arrives.
    transport = LosingTransport("com.atproto.repo.createRecord", "com.atproto.repo.getRecord")
    lossy = Client(base_url=pds.url, request=Request(transport=transport))
    assert publish(desk, now, client, bluesky_client=lossy) == "1 scheduled"
    retry_at = post_queue.get_post(desk["db"], post_id)["next_attempt_at"]
    assert publish(desk, now, client, when=retry_at) == "1 published"
    response = httpx.get(pds.xrpc("com.atproto.repo.listRecords"),
                         params={"repo": desk["did"], "collection": "app.bsky.feed.post"})
    [listed] = response.json()["records"]
    assert listed["value"]["embed"]["external"]["uri"] == site.url("/article")
    assert listed["uri"] == post_queue.get_post(desk["db"], post_id)["parts"][0]["remote_id"]
    assert site.hits.count("/article") == 1  # the retry found the post; no second fetch

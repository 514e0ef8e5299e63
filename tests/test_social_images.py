"""Images are made safe to post: upright, no EXIF or GPS, small enough for each platform."""

import io

import pytest
from PIL import Image as PILImage
from support.images import GPS_IFD, photo

from outreach.errors import InvalidInput
from outreach.social.images import MAX_BYTES, prepare_image


def opened(data: bytes) -> PILImage.Image:
    return PILImage.open(io.BytesIO(data))


def test_exif_and_gps_are_gone():
    original = photo()
    assert opened(original).getexif().get_ifd(GPS_IFD)
    image = prepare_image(original, "Pickets at Gate 3", "bluesky")
    assert image.mime == "image/jpeg" and image.alt == "Pickets at Gate 3"
    cleaned = opened(image.data)
    assert not cleaned.getexif() and "exif" not in cleaned.info
    assert b"PhoneMaker" not in image.data


def test_a_sideways_phone_photo_is_turned_upright():
    image = prepare_image(photo(size=(1200, 800), orientation=6), "Rally", "x")
    assert opened(image.data).size == (800, 1200)


@pytest.mark.parametrize("platform", ["bluesky", "x"])
def test_big_photos_shrink_below_the_platform_limit(platform):
    image = prepare_image(photo(size=(5000, 4000), noise=True), "Crowd", platform)
    assert len(image.data) <= MAX_BYTES[platform]
    assert max(opened(image.data).size) <= 2000


def test_transparent_png_stays_png_when_small():
    image = prepare_image(photo(size=(300, 300), mode="RGBA", fmt="PNG"), "Logo", "bluesky")
    assert image.mime == "image/png"


def test_alt_text_is_required_and_junk_is_refused():
    with pytest.raises(InvalidInput, match="alt text"):
        prepare_image(photo(), "  ", "bluesky")
    with pytest.raises(InvalidInput, match="not an image"):
        prepare_image(b"%PDF-1.7 not a picture", "x", "bluesky")


@pytest.mark.parametrize("side", [7_000, 20_000])
def test_a_small_file_with_huge_dimensions_is_refused_before_decoding(side):
    """A PNG of a few kilobytes can say it is gigapixels: it is refused from its header,
    in words (Pillow alone would decode 7,000 x 7,000, and raise on 20,000 x 20,000)."""
    out = io.BytesIO()
    PILImage.new("1", (side, side)).save(out, "PNG", optimize=True)
    assert len(out.getvalue()) < 200_000
    with pytest.raises(InvalidInput, match="40 million .*Resize it"):
        prepare_image(out.getvalue(), "A blank picture", "bluesky")

"""Images for posts: turned upright, stripped of EXIF and GPS, resized to fit each platform.

Photos from a picket line carry the phone's location; re-encoding the pixels
alone, without any of the original metadata, is what keeps it off the internet.
"""

from __future__ import annotations

import io

from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from outreach.errors import InvalidInput
from outreach.social.publisher import Image

MAX_IMAGES = 4
# Bytes an uploaded image may take: older Bluesky servers refuse blobs over 976.56 KB.
MAX_BYTES = {"bluesky": 976_560, "x": 5_000_000}
MAX_SIDE = 2000
# The largest image file read, as the dashboard's upload limit (.streamlit/config.toml).
MAX_FILE_BYTES = 50 * 1_048_576
# Characters of alt text each platform keeps: X refuses more; Bluesky's app stops there.
MAX_ALT = {"bluesky": 2000, "x": 1000}
# Larger pictures are not decoded at all: a small file can unpack to gigabytes of pixels.
MAX_PIXELS = 40_000_000
QUALITIES = (90, 82, 74, 66, 58, 50)


def _encode(picture: PILImage.Image, fmt: str, quality: int) -> bytes:
    out = io.BytesIO()
    if fmt == "PNG":
        picture.save(out, "PNG", optimize=True)
    else:
        picture.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def refuse_too_many_pixels(opened: PILImage.Image) -> None:
    """Refuse, before decoding, a picture of more than MAX_PIXELS pixels (read from its
    header): decoding a 17 KB PNG of that size takes gigabytes of memory."""
    if opened.width * opened.height > MAX_PIXELS:
        raise InvalidInput(f"The image is {opened.width}x{opened.height} pixels; at most "
                           f"{MAX_PIXELS // 1_000_000} million are read. Resize it and "
                           "try again.")


def check_alt(alt: str, platform: str) -> str:
    """Alt text as kept: trimmed, required (people using screen readers get the picture
    too) and within what the platform takes, or InvalidInput saying how to fix it."""
    alt = alt.strip()
    if not alt:
        raise InvalidInput("Describe the image in its alt text (what a screen reader "
                           "should say), e.g. 'Workers picketing at Gate 3 at dawn'.")
    if len(alt) > MAX_ALT[platform]:
        raise InvalidInput(f"Alt text on {platform} takes at most {MAX_ALT[platform]:,} "
                           f"characters; this one has {len(alt):,}. Shorten it.")
    return alt


def prepare_image(data: bytes, alt: str, platform: str) -> Image:
    """An upload-ready image: upright, without metadata, within the platform's size,
    with its alt text checked (see check_alt)."""
    alt = check_alt(alt, platform)
    try:
        with PILImage.open(io.BytesIO(data)) as opened:
            refuse_too_many_pixels(opened)
            opened.load()
            picture = ImageOps.exif_transpose(opened)
    except PILImage.DecompressionBombError:
        raise InvalidInput(f"The image has far more than {MAX_PIXELS // 1_000_000} million "
                           "pixels, the most that are read. Resize it and try again.") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidInput(f"This file is not an image we can read ({exc}); use a JPEG "
                           "or PNG.") from None
    # A fresh image holds the pixels only: no EXIF, GPS, ICC or text chunks survive.
    has_alpha = picture.mode in ("RGBA", "LA") or "transparency" in picture.info
    clean = PILImage.new("RGBA" if has_alpha else "RGB", picture.size)
    clean.paste(picture.convert(clean.mode))
    clean.thumbnail((MAX_SIDE, MAX_SIDE))
    limit = MAX_BYTES[platform]
    if has_alpha:
        encoded = _encode(clean, "PNG", 0)
        if len(encoded) <= limit:
            return Image(encoded, "image/png", alt)
        flat = PILImage.new("RGB", clean.size, "white")
        flat.paste(clean, mask=clean.getchannel("A"))
        clean = flat
    while True:
        for quality in QUALITIES:
            encoded = _encode(clean, "JPEG", quality)
            if len(encoded) <= limit:
                return Image(encoded, "image/jpeg", alt)
        if min(clean.size) < 200:
            raise InvalidInput("This image cannot be made small enough to post.")
        clean = clean.resize((clean.width * 3 // 4, clean.height * 3 // 4))

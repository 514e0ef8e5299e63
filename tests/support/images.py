"""Photos made on the spot: any size, mode and format, with EXIF orientation or GPS."""

from __future__ import annotations

import io

from PIL import Image as PILImage

GPS_IFD = 0x8825  # the EXIF block that holds a photo's location


def photo(size=(1200, 800), mode="RGB", fmt="JPEG", orientation=None, noise=False) -> bytes:
    """A photo as a phone saves it: a camera make and a GPS location in its EXIF."""
    picture = PILImage.effect_noise(size, 90).convert(mode) if noise \
        else PILImage.new(mode, size, (200, 40, 40, 128)[:len(mode)])
    exif = PILImage.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[GPS_IFD] = {1: "N", 2: (41.0, 52.0, 30.0), 3: "W", 4: (87.0, 37.0, 40.0)}
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    picture.save(out, fmt, exif=exif.tobytes()) if fmt == "JPEG" else picture.save(out, fmt)
    return out.getvalue()


def photo_with_location() -> bytes:
    """A JPEG as a phone writes it: camera model and GPS position in its EXIF."""
    image = PILImage.new("RGB", (64, 48), (180, 30, 40))
    exif = PILImage.Exif()
    exif[0x0110] = "Picket Phone 12"  # Model
    exif[0x8825] = {1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()

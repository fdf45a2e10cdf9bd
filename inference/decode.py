"""Decoding images from strangers safely (docs/conventions.md section 6).

Any bytes, any size: a pixel-count cap against decompression bombs, EXIF
orientation applied, the first frame of an animation, every mode (CMYK,
16-bit, palette, alpha, grayscale) turned into 8-bit RGB, HEIC/HEIF accepted.
Large JPEGs are decoded at reduced size (Pillow's draft mode), so a
12-megapixel phone photo never costs a full-size decode.
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF from iPhones
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - declared dependency, guarded for partial installs
    pass

# Pillow logs every EXIF tag it parses (camera, description, GPS position) at DEBUG level: never let a
# server's debug logging copy what is inside a stranger's photo into its logs.
logging.getLogger("PIL").setLevel(logging.INFO)

#: File endings of pictures we accept (folders are scanned for these).
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".bmp", ".tif", ".tiff", ".gif"}
#: Refuse anything larger than this many pixels before decoding it...
MAX_PIXELS = 80_000_000
#: ...except a JPEG, which draft mode decodes at 1/8 of its size or less: phones take 50-200 MP photos.
MAX_JPEG_PIXELS = 320_000_000
# Pillow's own bomb check runs inside Image.open, before the format is known; ours above replaces it (it
# is checked from the header too, before any pixel is allocated), so Pillow's is set above both limits.
Image.MAX_IMAGE_PIXELS = MAX_JPEG_PIXELS
#: The EXIF tag that says how a camera held the phone.
EXIF_ORIENTATION = 0x0112
#: Longest side we ever need; draft mode decodes JPEGs at the nearest power-of-two reduction above it.
WORK_SIDE = 1024


class ImageError(ValueError):
    """An input that cannot be used, with a message a runner understands."""


def open_image(source: str | Path | bytes, max_side: int = WORK_SIDE) -> Image.Image:
    """Decode `source` into an 8-bit RGB image whose longest side is at most `max_side`."""
    data = source if isinstance(source, bytes) else None
    try:
        fh = io.BytesIO(data) if data is not None else open(source, "rb")
    except OSError as exc:
        raise ImageError(f"the file could not be opened ({exc.strerror or exc})") from exc
    with fh:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # Pillow warns of big pictures (our limits decide) and broken EXIF
                img = Image.open(fh)
                stored_size = img.size
                limit = MAX_JPEG_PIXELS if img.format == "JPEG" else MAX_PIXELS
                if img.width * img.height > limit:
                    raise ImageError(f"the picture is too large ({img.width}x{img.height} pixels); please send a photo "
                                     f"under {limit // 1_000_000} megapixels")
                if img.format == "JPEG":
                    img.draft("RGB", (max_side, max_side))
                img.seek(0)  # first frame of an animation
                img.load()
        except ImageError:
            raise
        except Image.DecompressionBombError as exc:   # past even the JPEG limit, refused by Pillow from the header
            raise ImageError(f"the picture is too large; please send a photo under {MAX_PIXELS // 1_000_000} megapixels "
                             f"(or a JPEG under {MAX_JPEG_PIXELS // 1_000_000})") from exc
        except UnidentifiedImageError as exc:
            raise ImageError("this file is not a picture solewear can read (try a JPEG, PNG, HEIC or WebP photo)") from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageError("the picture is damaged or incomplete and could not be read") from exc
    img, turned = _upright(img)
    img = _to_rgb(img)
    if max(img.size) > max_side:
        # reducing_gap 1: a box reduction by a whole factor first, then Lanczos; 20 ms less on a 12 MP photo
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=1.0)
    img.info["stored_size"] = stored_size[::-1] if turned else stored_size
    return img


def _upright(img: Image.Image) -> tuple[Image.Image, bool]:
    """The photo turned as the camera's EXIF says, and whether that swapped width and height.

    A broken EXIF block is common in edited photos; it must not cost the photo, so it is
    ignored (the pixels are used as stored) and Pillow's warning about it stays quiet.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            orientation = img.getexif().get(EXIF_ORIENTATION, 1)
            return ImageOps.exif_transpose(img) or img, orientation in (5, 6, 7, 8)   # quarter turns swap sides
        except (OSError, SyntaxError, ValueError, TypeError, KeyError, struct.error):
            return img, False


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any mode to 8-bit RGB; transparency is composited onto white, as a viewer shows it."""
    if img.mode in {"I;16", "I;16B", "I;16L", "I"}:
        arr = np.asarray(img, dtype=np.float64)
        top = arr.max() if arr.max() > 255 else 255.0
        img = Image.fromarray(np.clip(arr / top * 255 + 0.5, 0, 255).astype(np.uint8), "L")
    elif img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        span = max(arr.max() - arr.min(), 1e-9)
        img = Image.fromarray(((arr - arr.min()) / span * 255).astype(np.uint8), "L")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in {"RGBA", "LA", "PA"}:
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
        return background
    return img.convert("RGB")


def load_rgb(source: str | Path | bytes, max_side: int = WORK_SIDE) -> np.ndarray:
    """`open_image` as an (H, W, 3) uint8 array."""
    return np.asarray(open_image(source, max_side))


def load_photo(source: str | Path | bytes, max_side: int = WORK_SIDE) -> tuple[np.ndarray, tuple[int, int]]:
    """The decoded photo and the (width, height) of the photo as stored, upright: what boxes are reported in."""
    img = open_image(source, max_side)
    return np.asarray(img), tuple(img.info["stored_size"])

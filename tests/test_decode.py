"""Decoding strangers' photos safely: every format a phone or a browser hands over."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from inference import decode
from inference.decode import ImageError, load_rgb, open_image


def _bytes(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.fixture
def photo() -> Image.Image:
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 255, (60, 40, 3), dtype=np.uint8)
    arr[:10] = (255, 0, 0)  # a red band at the top, to follow orientation
    return Image.fromarray(arr)


@pytest.mark.parametrize("fmt, mode", [("PNG", "RGBA"), ("PNG", "P"), ("PNG", "L"), ("WEBP", "RGB"), ("JPEG", "CMYK"),
                                       ("TIFF", "RGB"), ("BMP", "RGB")])
def test_every_mode_becomes_8bit_rgb(photo, fmt, mode):
    img = load_rgb(_bytes(photo.convert(mode), fmt))
    assert img.dtype == np.uint8 and img.shape == (60, 40, 3)


def test_sixteen_bit_png_keeps_its_contrast():
    arr = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    img = load_rgb(_bytes(Image.fromarray(arr), "PNG"))
    assert img.shape == (64, 64, 3) and img.min() < 10 and img.max() > 245


def test_transparency_is_composited_on_white(photo):
    rgba = photo.convert("RGBA")
    rgba.putalpha(0)
    assert (load_rgb(_bytes(rgba, "PNG")) == 255).all()


def test_heic_is_accepted(photo):
    pytest.importorskip("pillow_heif")
    img = load_rgb(_bytes(photo, "HEIF", quality=90))
    assert img.shape == (60, 40, 3)


def test_animation_gives_its_first_frame(photo):
    frames = [photo, Image.new("RGB", photo.size, (0, 0, 255))]
    data = _bytes(frames[0], "GIF", save_all=True, append_images=frames[1:])
    img = load_rgb(data)
    assert img[0, 0, 0] > 200 and img[0, 0, 2] < 80  # red band of frame one, not the blue frame two


def test_exif_orientation_is_applied(photo):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    img = load_rgb(_bytes(photo, "JPEG", exif=exif, quality=95))
    assert img.shape[:2] == (40, 60)
    assert img[:, -8:, 0].mean() > 200  # the top red band now runs down the right edge


def test_large_jpeg_decodes_reduced_and_fast():
    big = Image.fromarray(np.random.default_rng(1).integers(0, 255, (3000, 4000, 3), dtype=np.uint8))
    img = open_image(_bytes(big, "JPEG", quality=80))
    assert max(img.size) <= decode.WORK_SIDE


def test_decompression_bombs_are_refused(monkeypatch, photo):
    monkeypatch.setattr(decode, "MAX_PIXELS", 1000)
    with pytest.raises(ImageError, match="too large"):
        load_rgb(_bytes(photo, "PNG"))


@pytest.mark.parametrize("payload", [b"", b"hello, not a picture", b"\xff\xd8\xff\xe0" + b"\x00" * 50])
def test_garbage_gets_a_plain_message(payload):
    with pytest.raises(ImageError) as info:
        load_rgb(payload)
    assert "picture" in str(info.value)


def test_truncated_jpeg_is_reported(photo):
    data = _bytes(photo.resize((400, 600)), "JPEG")
    with pytest.raises(ImageError):
        load_rgb(data[: len(data) // 3])


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height but carries almost no data: a decompression bomb's header."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def test_a_bomb_is_refused_from_its_header_before_any_pixel_is_allocated():
    import tracemalloc

    tracemalloc.start()
    with pytest.raises(ImageError, match="too large"):
        load_rgb(_png_header_only(30_000, 30_000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20_000_000                                   # 900 megapixels would be 2.7 GB


@pytest.mark.slow
def test_a_108_megapixel_phone_jpeg_is_read_at_reduced_size(repo):
    """Several phones take 108 MP photos: read, not refused (Pillow's own bomb warning fires at 89 MP)."""
    scene = Image.open(repo / "data" / "samples" / "03-left.jpg").convert("RGB").resize((9000, 12000))
    buf = io.BytesIO()
    scene.save(buf, format="JPEG", quality=85)
    del scene
    img = open_image(buf.getvalue())
    assert max(img.size) <= decode.WORK_SIDE and img.info["stored_size"] == (9000, 12000)

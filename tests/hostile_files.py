"""A corpus of hostile and awkward files, made on the spot (nothing downloaded).

Strangers upload whatever a phone or their curiosity produces. Each file here
is one kind of trouble, named for it, with what solewear must do with it:
`READ` (decoded and read: a reading, or "no sole found" where there is none)
or `REFUSED` (not a picture it can use: a one-sentence message). Used by tests/test_hostile_files.py through the CLI, the Python API
and the app.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image

READ, REFUSED = "read", "refused"


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def bomb_png(side: int = 30_000) -> bytes:
    """A valid 1-bit PNG of side x side pixels: a few hundred kB that would decode to gigabytes as RGB."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row * 1000) for _ in range(side // 1000)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")


def encoded(img: Image.Image, fmt: str, **options) -> bytes:
    """The file a picture program would write: `img` saved as `fmt`."""
    buf = io.BytesIO()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def _exif_rotated(scene: Image.Image, orientation: int) -> bytes:
    """The scene stored as a camera would for EXIF orientation n (the pixels turned the other way)."""
    undo = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
            4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
            7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}[orientation]
    stored = scene if undo is None else scene.transpose(undo)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encoded(stored, "JPEG", quality=90, exif=exif.tobytes())


def _corrupt_exif_jpeg(scene: Image.Image) -> bytes:
    """A JPEG whose APP1 (EXIF) segment claims an IFD far past its end."""
    data = encoded(scene, "JPEG", quality=90)
    bad = b"Exif\x00\x00MM\x00\x2a\xff\xff\xff\xf0" + b"\x00" * 20
    segment = b"\xff\xe1" + struct.pack(">H", len(bad) + 2) + bad
    return data[:2] + segment + data[2:]


def _animation(scene: Image.Image, fmt: str) -> bytes:
    frames = [scene.rotate(angle) for angle in (0, 10, 20)]
    return encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def _multipage_tiff(scene: Image.Image) -> bytes:
    pages = [scene, scene.convert("L"), scene.rotate(90, expand=True)] * 4
    return encoded(pages[0], "TIFF", save_all=True, append_images=pages[1:])


def _phone_jpeg(scene: Image.Image, width: int, height: int) -> bytes:
    """A full-resolution phone photo of a real-looking scene (the sole photo scaled up)."""
    return encoded(scene.resize((width, height), Image.Resampling.BILINEAR), "JPEG", quality=80)


def small_corpus(scene: Image.Image) -> dict[str, tuple[bytes, str]]:
    """Every kind of trouble that is cheap to make, as name -> (bytes, what must happen)."""
    photo = encoded(scene, "JPEG", quality=90)
    rgba = scene.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(scene.size))
    pdf = encoded(scene, "PDF")
    corpus = {
        "zero-bytes.jpg": (b"", REFUSED),
        "truncated.jpg": (photo[: len(photo) // 3], REFUSED),
        "text-renamed.jpg": (b"Dear runner,\nthis is a letter, not a photo.\n" * 20, REFUSED),
        "pdf-renamed.jpg": (pdf, REFUSED),
        "drawing.svg": (b'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="600">'
                        b'<ellipse cx="200" cy="300" rx="120" ry="280" fill="#333"/></svg>', REFUSED),
        "bomb-30000x30000.png": (bomb_png(), REFUSED),
        "sixteen-bit.png": (encoded(scene.convert("I;16"), "PNG"), READ),
        "cmyk.jpg": (encoded(scene.convert("CMYK"), "JPEG", quality=90), READ),
        "palette-transparent.png": (encoded(rgba.convert("P"), "PNG", transparency=0), READ),
        "animated.gif": (_animation(scene, "GIF"), READ),
        "animated.webp": (_animation(scene, "WEBP"), READ),
        "one-pixel.png": (encoded(Image.new("RGB", (1, 1), (90, 90, 90)), "PNG"), READ),
        "strip-10000x50.png": (encoded(scene.resize((10_000, 50)), "PNG"), READ),
        "photo.heic": (encoded(scene, "HEIF", quality=80), READ),
        "corrupt-exif.jpg": (_corrupt_exif_jpeg(scene), READ),
        "many-pages.tif": (_multipage_tiff(scene), READ),
        "alpha.png": (encoded(rgba, "PNG"), READ),
    }
    for n in range(1, 9):
        corpus[f"exif-orientation-{n}.jpg"] = (_exif_rotated(scene, n), READ)
    return corpus


def write_corpus(folder: Path, scene: Image.Image, huge: bool = True) -> dict[str, str]:
    """Write the corpus into `folder` (with the 108- and 200-megapixel phone JPEGs if `huge`); name -> expectation."""
    folder.mkdir(parents=True, exist_ok=True)
    files = small_corpus(scene)
    if huge:
        files["phone-108mp.jpg"] = (_phone_jpeg(scene, 9000, 12000), READ)
        files["phone-200mp.jpg"] = (_phone_jpeg(scene, 12240, 16320), READ)
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {name: expected for name, (_, expected) in files.items()}

"""Photos of the case log, kept as files under their content hash beside the database.

A photo is decoded and stored again as a JPEG without any metadata, so a
phone's EXIF block (GPS position, device, time) never reaches the log, and
the stored pixels are exactly those the model read (the same safe decoder,
EXIF rotation applied, the same size cap): boxes in the stored reading fit
the stored photo. One photo is stored once, however many visits cite it.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from pathlib import Path

from PIL import Image

from inference.cases.database import private_dir
from inference.decode import load_rgb

_SHA256 = re.compile(r"[0-9a-f]{64}")


class PhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a photo hash: {sha256!r}")
        return self.root / sha256[:2] / f"{sha256}.jpg"

    def put(self, data: bytes) -> str:
        """Store an uploaded photo (raises inference.decode.ImageError for one that cannot be read)."""
        buffer = io.BytesIO()
        Image.fromarray(load_rgb(data)).save(buffer, format="JPEG", quality=92)
        encoded = buffer.getvalue()
        sha256 = hashlib.sha256(encoded).hexdigest()
        target = self.path(sha256)
        if not target.is_file():
            private_dir(target.parent)
            # Written whole, then renamed: a reader never sees half a photo, two writers never clash.
            fd, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                fh.write(encoded)
            os.replace(temp, target)
        return sha256

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def discard(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)
        try:
            self.path(sha256).parent.rmdir()
        except OSError:
            pass  # other photos share the folder

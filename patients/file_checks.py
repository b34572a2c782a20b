"""Checks and clean-up of uploaded files: type by magic bytes, image metadata, file names.

The client's declared content type and file extension are never trusted. Images are decoded
and re-encoded from their pixels alone, which drops EXIF (GPS position, camera make, model
and serial number, time taken), XMP, IPTC, comments, ICC profiles and PNG text chunks: no
list of tags to keep up to date, nothing carried over that we did not put there ourselves.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import warnings

from PIL import Image, ImageOps

from .models import AttachmentType

# Pillow logs every EXIF tag's value at DEBUG (camera make and serial, GPS position): personal
# data of the patient. Keep its loggers at INFO whatever the root level, even when a developer
# turns on DEBUG logging. Settings should pin this too (LOGGING["loggers"]["PIL"]).
logging.getLogger("PIL").setLevel(logging.INFO)

MAGIC_NUMBERS: dict[AttachmentType, bytes] = {
    AttachmentType.PDF: b"%PDF-",
    AttachmentType.JPEG: b"\xff\xd8\xff",
    AttachmentType.PNG: b"\x89PNG\r\n\x1a\n",
}
PILLOW_FORMATS = {AttachmentType.JPEG: "JPEG", AttachmentType.PNG: "PNG"}
EXTENSIONS = {AttachmentType.PDF: "pdf", AttachmentType.JPEG: "jpg", AttachmentType.PNG: "png"}
JPEG_QUALITY = 92
FILENAME_STEM_MAX = 80
_UNSAFE_FILENAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._ -]+")


class UnreadableImageError(Exception):
    """The bytes claim to be an image of an allowed type but do not decode as one."""


class ImageTooLargeError(Exception):
    """The image decodes to more pixels than the configured limit."""


def detected_type(data: bytes) -> AttachmentType | None:
    """Return the allowed type whose magic number starts `data`, or None."""
    for kind, magic in MAGIC_NUMBERS.items():
        if data.startswith(magic):
            return kind
    return None


def image_without_metadata(data: bytes, kind: AttachmentType, *, max_pixels: int) -> bytes:
    """Return the image in `data` re-encoded as `kind` from its pixels, with no metadata.

    The EXIF orientation is applied to the pixels first, so the picture does not turn on its
    side when the tag that said how to rotate it is gone.
    """
    expected_format = PILLOW_FORMATS[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected_format:
                    raise UnreadableImageError
                if image.width * image.height > max_pixels:
                    raise ImageTooLargeError
                image.load()
                upright = ImageOps.exif_transpose(image) or image
                if kind == AttachmentType.PNG and upright.mode in ("P", "PA"):
                    upright = upright.convert("RGBA")
                elif kind == AttachmentType.JPEG and upright.mode not in ("RGB", "L", "CMYK"):
                    upright = upright.convert("RGB")
                pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    except (ImageTooLargeError, UnreadableImageError):
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise UnreadableImageError from error
    output = io.BytesIO()
    if kind == AttachmentType.JPEG:
        pixels.save(output, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        pixels.save(output, format="PNG", optimize=True)
    return output.getvalue()


def safe_filename(name: str, kind: AttachmentType) -> str:
    """Return a download file name: no path, ASCII letters, digits and `._ -`, right extension."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE_FILENAME_CHARACTERS.sub("_", ascii_stem).strip(" ._-")
    return f"{cleaned[:FILENAME_STEM_MAX] or 'attachment'}.{EXTENSIONS[kind]}"

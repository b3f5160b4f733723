"""Check and re-encode citizens' photos so that no metadata reaches storage.

Pure: bytes in, bytes out, no ORM. The file's content decides its type, never its
name or the browser's word. Every photo is decoded and written anew as JPEG with
its orientation applied, so EXIF (which carries GPS positions and device
identifiers), XMP and ICC comments of the original are dropped.
"""

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

ACCEPTED_MIME = {"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"}
LONGEST_SIDE = 2560
THUMBNAIL_SIDE = 480
# A 12 000 × 12 000 photo is larger than any phone makes; more is a decompression bomb.
MAX_PIXELS = 144_000_000


@dataclass(frozen=True)
class Photo:
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def _encode(image: Image.Image, longest: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in {"RGBA", "LA", "P"}:
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def check_size(size: int, *, name: str, max_bytes: int) -> None:
    """Raise ValidationError when a file of ``size`` bytes is over the limit."""
    if size > max_bytes:
        raise ValidationError(
            _("%(name)s is %(size)s MB; photos may be at most %(limit)s MB.")
            % {
                "name": name,
                "size": f"{size / 1_048_576:.1f}",
                "limit": max_bytes // 1_048_576,
            },
            code="too_large",
        )


def process(data: bytes, *, name: str, max_bytes: int) -> Photo:
    """Return the photo re-encoded, or raise ValidationError saying what is wrong."""
    check_size(len(data), name=name, max_bytes=max_bytes)
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ACCEPTED_MIME:
        raise ValidationError(
            _("%(name)s is not a photo we can read. Use JPEG, PNG, WebP or HEIC.")
            % {"name": name},
            code="not_an_image",
        )
    try:
        with Image.open(io.BytesIO(data)) as original:
            if original.width * original.height > MAX_PIXELS:
                raise ValidationError(
                    _("%(name)s has too many pixels.") % {"name": name},
                    code="too_many_pixels",
                )
            original.load()
            image = _flatten(ImageOps.exif_transpose(original))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("%(name)s could not be read as a photo; it may be damaged.")
            % {"name": name},
            code="unreadable",
        ) from None
    full = _encode(image, LONGEST_SIDE)
    with Image.open(io.BytesIO(full)) as encoded:
        width, height = encoded.size
    return Photo(
        image=full,
        thumbnail=_encode(image, THUMBNAIL_SIDE),
        width=width,
        height=height,
    )

"""Check and re-encode citizens' photos so that no metadata reaches storage.

Pure: bytes in, bytes out, no ORM. The file's content decides its type, never its
name or the browser's word. Every photo is decoded and written anew as JPEG with
its orientation applied, so EXIF (which carries GPS positions and device
identifiers), XMP and ICC comments of the original are dropped.
"""

import io
import warnings
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
# 50 megapixels is more than phones make; more is treated as a decompression bomb,
# since one decoded copy of it already takes 150–200 MB of memory.
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


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
        with warnings.catch_warnings():
            # Pillow only warns between one and two times MAX_PIXELS; the check
            # below refuses those photos with a message instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            original = Image.open(
                io.BytesIO(data), formats=["JPEG", "PNG", "WEBP", "HEIF"]
            )
        with original:
            if original.width * original.height > MAX_PIXELS:
                raise ValidationError(
                    _("%(name)s has too many pixels.") % {"name": name},
                    code="too_many_pixels",
                )
            # Decode at reduced size where the format allows (JPEG), and scale
            # down before any copy, so memory stays near one output-sized image.
            original.draft("RGB", (LONGEST_SIDE, LONGEST_SIDE))
            original.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
            image = _flatten(ImageOps.exif_transpose(original))
        # Comments and other text chunks ride along in .info and would be written
        # into the JPEG again.
        image.info.clear()
        full = _encode(image, LONGEST_SIDE)
        thumbnail = _encode(image, THUMBNAIL_SIDE)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("%(name)s could not be read as a photo; it may be damaged.")
            % {"name": name},
            code="unreadable",
        ) from None
    with Image.open(io.BytesIO(full)) as encoded:
        width, height = encoded.size
    return Photo(
        image=full,
        thumbnail=thumbnail,
        width=width,
        height=height,
    )

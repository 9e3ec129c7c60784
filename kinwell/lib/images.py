"""Pictures people upload, drawn again from their pixels alone, so that no
EXIF data (such as where or when a photo was taken) and nothing else hidden
in the file survives."""

import io
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

MEGABYTE = 1024 * 1024


def reencoded(
    upload: Any, *, field: str, max_bytes: int, max_size: tuple[int, int]
) -> tuple[ContentFile[bytes], tuple[int, int]]:
    """The picture as a fresh PNG no larger than `max_size`, and its size.
    Raises ValidationError (on `field`) for files that are too big or are not
    pictures."""
    if getattr(upload, "size", 0) > max_bytes:
        limit = max_bytes // MEGABYTE
        raise ValidationError({field: f"Choose a picture smaller than {limit} MB."})
    try:
        with Image.open(upload) as image:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            clean = upright.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError(
            {field: "This file is not a picture we can read. Try a PNG or JPEG."}
        ) from None
    clean.thumbnail(max_size)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(8)}.png"), clean.size

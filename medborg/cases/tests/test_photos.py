import io

from django.core.exceptions import ValidationError

import pytest
from PIL import Image

from medborg.cases import photos
from medborg.cases.tests.conftest import jpeg_bytes

MB = 1_048_576


def test_jpeg_is_reencoded_without_exif():
    original = jpeg_bytes(exif_gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)
    photo = photos.process(original, name="a.jpg", max_bytes=MB)
    with Image.open(io.BytesIO(photo.image)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
    assert (photo.width, photo.height) == (64, 48)


def test_orientation_is_applied_before_the_exif_goes():
    image = Image.new("RGB", (60, 20), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    photo = photos.process(out.getvalue(), name="r.jpg", max_bytes=MB)
    assert (photo.width, photo.height) == (20, 60)


def test_png_with_transparency_becomes_jpeg():
    out = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 0, 0, 0)).save(out, format="PNG")
    photo = photos.process(out.getvalue(), name="t.png", max_bytes=MB)
    assert Image.open(io.BytesIO(photo.image)).mode == "RGB"


def test_heic_from_phones_is_accepted():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 40)).save(out, format="HEIF")
    photo = photos.process(out.getvalue(), name="IMG_0001.HEIC", max_bytes=MB)
    assert (photo.width, photo.height) == (40, 30)


def test_large_photo_is_scaled_and_thumbnailed():
    photo = photos.process(
        jpeg_bytes(size=(4000, 3000)), name="b.jpg", max_bytes=10 * MB
    )
    assert max(photo.width, photo.height) == photos.LONGEST_SIDE
    assert max(Image.open(io.BytesIO(photo.thumbnail)).size) == photos.THUMBNAIL_SIDE


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.7 not a photo", "not_an_image"),
        (b"GIF89a" + b"\0" * 50, "not_an_image"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 100, "unreadable"),
    ],
)
def test_files_that_are_not_photos_are_refused(data, code):
    with pytest.raises(ValidationError) as error:
        photos.process(data, name="x.jpg", max_bytes=MB)
    assert error.value.code == code
    assert "x.jpg" in error.value.messages[0]


def test_too_large_names_file_and_limit():
    with pytest.raises(ValidationError) as error:
        photos.check_size(3 * MB, name="big.jpg", max_bytes=2 * MB)
    assert error.value.code == "too_large"
    assert error.value.messages == ["big.jpg is 3.0 MB; photos may be at most 2 MB."]


def png_with_text(key, text, zipped=False, size=(40, 30)) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    (info.add_itxt if zipped else info.add_text)(
        key, text, **({"zip": True} if zipped else {})
    )
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def test_text_comments_do_not_survive():
    secret = "owner: alice@example.com GPS 56.87,14.80"
    data = png_with_text("comment", secret)
    photo = photos.process(data, name="c.png", max_bytes=MB)
    for output in (photo.image, photo.thumbnail):
        assert b"alice" not in output
        assert "comment" not in Image.open(io.BytesIO(output)).info


def test_a_huge_comment_is_dropped_not_a_crash():
    data = png_with_text("comment", "x" * 70_000, zipped=True)
    photo = photos.process(data, name="c.png", max_bytes=MB)
    assert photo.width == 40


def test_decompression_bombs_are_refused():
    out = io.BytesIO()
    Image.new("1", (8000, 7000)).save(out, format="PNG")
    assert len(out.getvalue()) < MB
    with pytest.raises(ValidationError) as error:
        photos.process(out.getvalue(), name="bomb.png", max_bytes=MB)
    assert error.value.code == "too_many_pixels"

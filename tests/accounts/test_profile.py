"""The profile page: edit, avatar checks, language; who may see it. (Its "My places" section is
tested in tests/places/test_personal_data.py.)"""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

PROFILE = reverse("accounts:profile")


def _data(**changes):
    return {
        "display_name": "Member A",
        "bio": "I repair bicycles.",
        "skills": "soldering, bread , soldering,,",
        "language": "fr",
        **changes,
    }


def test_anonymous_people_are_sent_to_log_in(client, db):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={PROFILE}"


def test_profile_shows_the_person(client_for, member_a):
    body = client_for(member_a).get(PROFILE).content.decode()
    assert member_a.email in body
    assert "<h1>My account</h1>" in body


def test_edit_the_profile(client_for, member_a):
    client = client_for(member_a)
    response = client.post(PROFILE, _data(display_name="  Alex   B. ", language="en"))
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.display_name == "Alex B."
    assert member_a.bio == "I repair bicycles."
    assert member_a.skills == "soldering, bread"
    assert member_a.language == "en"


def test_saving_the_language_sets_the_cookie(client_for, member_a):
    client = client_for(member_a)
    response = client.post(PROFILE, _data(language="en"))
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get(PROFILE).content.decode()
    response = client.post(PROFILE, _data(language="fr"))
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert '<html lang="fr">' in client.get(PROFILE).content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"bio": "x" * 2001}, "bio"),
        ({"skills": "x" * 301}, "skills"),
        ({"language": "de"}, "language"),
    ],
)
def test_bad_input_changes_nothing(client_for, member_a, changes, field):
    response = client_for(member_a).post(PROFILE, _data(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'role="alert"' in response.content.decode()
    member_a.refresh_from_db()
    assert member_a.display_name == "Member A"
    assert member_a.bio == ""


def test_an_invalid_form_does_not_change_the_page_heading(client_for, member_a):
    body = client_for(member_a).post(PROFILE, _data(display_name="")).content.decode()
    assert "Member A" in body


# Avatar ------------------------------------------------------------------------------------------


def _upload(client, image, **changes):
    return client.post(PROFILE, {**_data(**changes), "avatar": image})


def test_upload_an_avatar(client_for, member_a, make_image):
    response = _upload(client_for(member_a), make_image("selfie.png"))
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert member_a.avatar.name.startswith("avatars/")
    assert "selfie" not in member_a.avatar.name  # the uploaded name is not kept
    with default_storage.open(member_a.avatar.name) as stored:
        assert Image.open(stored).format in ("PNG", "JPEG")


def test_the_avatar_is_shrunk_and_loses_its_metadata(client_for, member_a, make_image):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (48.0, 51.0, 0.0)}  # GPS latitude
    response = _upload(
        client_for(member_a), make_image("photo.jpg", fmt="JPEG", size=(2000, 1000), exif=exif)
    )
    assert response.status_code == 302
    member_a.refresh_from_db()
    with default_storage.open(member_a.avatar.name) as stored:
        image = Image.open(stored)
        assert image.size == (512, 256)
        assert not image.getexif()


def test_a_transparent_avatar_stays_transparent(client_for, member_a, make_image):
    _upload(client_for(member_a), make_image("logo.png", mode="RGBA"))
    member_a.refresh_from_db()
    with default_storage.open(member_a.avatar.name) as stored:
        assert Image.open(stored).mode == "RGBA"


def test_a_text_file_named_png_is_refused(client_for, member_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("me.png", b"this is not an image\n" * 10, content_type="image/png")
    response = _upload(client_for(member_a), fake)
    assert response.status_code == 200
    assert "Upload a valid image" in str(response.context["form"].errors["avatar"])
    member_a.refresh_from_db()
    assert not member_a.avatar
    assert member_a.bio == ""  # nothing else saved either


def test_an_oversized_avatar_is_refused(client_for, member_a, make_image, settings):
    settings.MAX_IMAGE_SIZE = 10_000
    big = make_image("big.png", size=(200, 200), noise=True)
    assert big.size > settings.MAX_IMAGE_SIZE
    response = _upload(client_for(member_a), big)
    assert response.status_code == 200
    errors = str(response.context["form"].errors["avatar"])
    assert "too large" in errors
    member_a.refresh_from_db()
    assert not member_a.avatar


def test_an_image_with_too_many_pixels_is_refused(client_for, member_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")  # small file, 48 megapixels
    response = _upload(client_for(member_a), SimpleUploadedFile("huge.png", out.getvalue()))
    assert response.status_code == 200
    assert "too many pixels" in str(response.context["form"].errors["avatar"])


def test_an_unusual_image_format_is_refused(client_for, member_a, make_image):
    response = _upload(client_for(member_a), make_image("scan.tiff", fmt="TIFF"))
    assert response.status_code == 200
    assert "JPEG, PNG, WebP or GIF" in str(response.context["form"].errors["avatar"])


def test_replacing_and_removing_the_avatar_deletes_the_old_file(
    client_for, member_a, make_image, django_capture_on_commit_callbacks
):
    client = client_for(member_a)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, make_image("one.png"))
    member_a.refresh_from_db()
    first = member_a.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, make_image("two.png"))
    member_a.refresh_from_db()
    second = member_a.avatar.name
    assert second != first
    assert not default_storage.exists(first)
    assert default_storage.exists(second)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, _data(remove_avatar="on"))
    member_a.refresh_from_db()
    assert not member_a.avatar
    assert not default_storage.exists(second)


def test_saving_without_a_new_avatar_keeps_the_old_one(client_for, member_a, make_image):
    client = client_for(member_a)
    _upload(client, make_image())
    member_a.refresh_from_db()
    name = member_a.avatar.name
    client.post(PROFILE, _data(bio="changed"))
    member_a.refresh_from_db()
    assert member_a.avatar.name == name
    assert member_a.bio == "changed"

"""The site administration answers for every registered model, and only to administrators."""

from __future__ import annotations

import pytest
from django.contrib import admin

MODELS = [f"{m._meta.app_label}/{m._meta.model_name}" for m in admin.site._registry]


@pytest.mark.parametrize("model", [m for m in MODELS if m.split("/")[0] in ("accounts", "places")])
def test_admin_pages_answer(client_for, admin, place_a, member_a, network, model):
    client = client_for(admin)
    assert client.get(f"/admin/{model}/").status_code == 200
    assert client.get(f"/admin/{model}/?q=quai").status_code == 200


def test_admin_change_pages(client_for, admin, place_a, member_a, network):
    client = client_for(admin)
    assert client.get(f"/admin/places/place/{place_a.pk}/change/").status_code == 200
    assert client.get(f"/admin/accounts/user/{member_a.pk}/change/").status_code == 200
    assert client.get(f"/admin/places/network/{network.pk}/change/").status_code == 200


def test_admin_is_closed_to_managers(client_for, manager_a):
    response = client_for(manager_a).get("/admin/places/place/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]

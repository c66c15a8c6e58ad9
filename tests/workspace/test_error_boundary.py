"""The staff surface's one error boundary (refuge/workspace/decorators.py): what a view could not
do becomes a page with the right status, in one place, and the view keeps its happy path."""

from __future__ import annotations

import uuid

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from refuge.core.errors import UserError
from refuge.crypto import CryptoError
from refuge.keyring.keyring import KeyNotHeld
from refuge.urls import urlpatterns as refuge_urlpatterns
from refuge.workspace.decorators import CONFLICT, LOCKED, UNREADABLE, StaffRequest, refusal_of, staff_view
from tests.personas import World

FAILURES = {
    "locked": KeyNotHeld(),
    "unreadable": CryptoError("does not open"),
    "refused": UserError("too_late", "It is too late for that."),
}


@staff_view()
def _failing_view(request: StaffRequest, kind: str, object_id: uuid.UUID) -> HttpResponse:
    assert request.member.username and request.keyring.unlocked  # the typed request
    raise FAILURES[kind]


urlpatterns = [*refuge_urlpatterns, path("failing/<str:kind>/<uuid:object_id>/", _failing_view, name="failing")]


def test_each_failure_becomes_one_refusal_with_its_status() -> None:
    assert (refusal_of(KeyNotHeld()).code, refusal_of(KeyNotHeld()).status) == (LOCKED, 403)
    assert (refusal_of(CryptoError("x")).code, refusal_of(CryptoError("x")).status) == (UNREADABLE, 403)
    refused = refusal_of(UserError("too_late", "It is too late for that."))
    assert (refused.code, refused.message, refused.status) == ("too_late", "It is too late for that.", 400)
    assert refusal_of(UserError(CONFLICT, "Someone saved first.")).status == 409


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("kind", "status", "said"),
    [
        ("locked", 403, "You do not hold the key this needs"),
        ("unreadable", 403, "it may have been altered in the database"),
        ("refused", 400, "It is too late for that."),
    ],
)
def test_a_view_without_a_page_of_its_own_gets_the_plain_refusal_page(
    world: World, client_for, caplog: pytest.LogCaptureFixture, kind: str, status: int, said: str
) -> None:
    object_id = uuid.uuid4()
    response = client_for(world.bob).get(f"/failing/{kind}/{object_id}/")
    assert response.status_code == status
    assert said in response.content.decode()
    # Altered data is an operator's business: logged with the view's name and the ids in its address only.
    tampered = [record.getMessage() for record in caplog.records if "tampered" in record.getMessage()]
    assert tampered == (
        [f"failing ({kind}, {object_id}) did not decrypt; it may have been tampered with"]
        if kind == "unreadable"
        else []
    )


def test_the_boundary_does_not_let_anyone_in(world: World, client) -> None:  # type: ignore[no-untyped-def]
    with override_settings(ROOT_URLCONF=__name__):
        response = client.get(f"/failing/locked/{uuid.uuid4()}/")
    assert response.status_code == 302 and response["Location"].endswith("/login/")

"""A database failure while saving the session is a server error, never "your session ended".

Django answers every failed session update with 400 "session interrupted". When the
database failed after the page's action had committed, that tells the person nothing
happened, and they do it again (found by the crash suite: a note stored twice).
"""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from refuge.accounts.models import StaffSession
from tests.personas import World, log_in, world  # noqa: F401


def test_a_session_save_that_fails_in_the_database_is_not_a_400(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = Client(raise_request_exception=True)
    log_in(client, world.alice)

    def fail(*args: object, **kwargs: object) -> None:
        raise OperationalError("the database went away")

    monkeypatch.setattr(StaffSession, "save", fail)
    with pytest.raises(OperationalError):
        client.get("/account/")


def test_a_revoked_session_still_ends_the_way_django_ends_it(world: World) -> None:  # noqa: F811
    client = Client()
    log_in(client, world.alice)
    StaffSession.objects.all().delete()
    response = client.get("/account/")
    assert response.status_code in {302, 400}

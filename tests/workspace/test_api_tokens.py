"""A member's API tokens on the workspace: made and shown once, listed on the account page, revoked."""

from __future__ import annotations

import base64
import re

import pytest

from refuge.accounts.models import ApiToken
from refuge.audit.models import AuditEntry
from refuge.crypto import generate_keypair, sha256_hex
from tests.personas import World

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"refuge_[A-Za-z0-9_-]{43}")


def _make(client, **fields):  # type: ignore[no-untyped-def]
    data = {"name": "referral bridge", "scopes": ["referrals:write"], "days": "30", "unlock_public_key": ""}
    data.update(fields)
    return client.post("/account/tokens/", data)


def test_a_token_is_shown_once_and_kept_as_a_hash(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.ivan)
    response = _make(client)
    assert response.status_code == 200
    secret = SECRET.search(response.content.decode()).group(0)  # type: ignore[union-attr]
    token = ApiToken.objects.get(member=world.ivan.user)
    assert token.digest == sha256_hex(secret.encode()) and token.scopes == ["referrals:write"]
    assert not token.bound
    listing = client.get("/account/tokens/").content.decode()
    assert "referral bridge" in listing and secret not in listing
    account = client.get("/account/").content.decode()
    assert "referral bridge" in account and secret not in account
    assert AuditEntry.objects.filter(code=6000, object_id=str(token.pk)).count() == 1


def test_binding_a_key_pair_seals_the_members_key_to_it(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    pair = generate_keypair()
    response = _make(client_for(world.bob), unlock_public_key=base64.b64encode(pair.public).decode())
    assert response.status_code == 200 and b"bound to your script" in response.content
    token = ApiToken.objects.get(member=world.bob.user)
    assert token.bound and bytes(token.unlock_public_key) == pair.public
    assert world.bob.private_key not in bytes(token.sealed_member_key)
    assert AuditEntry.objects.filter(code=6002, object_id=str(token.pk)).count() == 1


def test_a_public_key_that_is_not_one_is_refused_next_to_its_field(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    response = _make(client_for(world.bob), unlock_public_key="not-a-key")
    assert response.status_code == 400 and b"This is not a public key" in response.content
    assert not ApiToken.objects.exists()


def test_a_token_without_a_name_or_scope_is_refused(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    response = _make(client_for(world.bob), name="", scopes=[])
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_a_member_revokes_their_own_token_and_no_one_elses(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    bob, bella = client_for(world.bob), client_for(world.bella)
    _make(bob)
    token = ApiToken.objects.get(member=world.bob.user)
    assert bella.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert bob.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    revoked = ApiToken.objects.get(pk=token.pk)
    assert revoked.revoked_at is not None and not revoked.live and bytes(revoked.sealed_member_key) == b""
    assert "Revoked" in bob.get("/account/tokens/").content.decode()


def test_the_pages_speak_russian(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.bob).get("/account/tokens/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Токены API" in page

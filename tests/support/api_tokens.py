"""API tokens for tests, made as the account page makes them (refuge/accounts/api_tokens.py)."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

from refuge.accounts.api_tokens import Scope, do_create_api_token
from refuge.crypto import generate_keypair
from refuge.keyring.keyring import Keyring
from tests.personas import Persona

ALL_SCOPES = list(Scope.values)


@dataclass
class Token:
    secret: str
    token_id: uuid.UUID
    # The script's own X25519 private key, base64: sent as Refuge-Unlock (None for a token that opens nothing).
    unlock: str | None = None

    def headers(self, *, unlock: bool = True) -> dict[str, str]:
        """The headers for Django's test client."""
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}"}
        if unlock and self.unlock is not None:
            headers["HTTP_REFUGE_UNLOCK"] = self.unlock
        return headers


def ring(persona: Persona) -> Keyring:
    return Keyring(persona.refresh().user, persona.private_key)


def make_token(persona: Persona, scopes: list[str] | None = None, *, bound: bool = True, days: int = 30) -> Token:
    """A token of the persona's; `bound`: to a key pair the script holds, the member's key sealed to it."""
    pair = generate_keypair() if bound else None
    new = do_create_api_token(
        actor=persona.refresh().user,
        keyring=ring(persona),
        name="script",
        scopes=ALL_SCOPES if scopes is None else scopes,
        days=days,
        unlock_public_key=pair.public if pair else None,
    )
    unlock = base64.b64encode(pair.private).decode() if pair else None
    return Token(new.secret, new.token.pk, unlock)

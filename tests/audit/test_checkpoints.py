"""Signed checkpoints: made over a checked chain, verified with the key from outside the database."""

from __future__ import annotations

import pytest
from django.conf import settings

from refuge.audit.actions import do_sign_checkpoint
from refuge.audit.chain import checkpoint_message
from refuge.audit.keys import installation_public_key
from refuge.audit.models import AuditCheckpoint, AuditEntry
from refuge.audit.verify import verify_chain
from refuge.core.errors import UserError
from refuge.crypto import generate_signing_keypair, sign, verify_signature
from tests.audit.conftest import Append
from tests.audit.helpers import rechain

pytestmark = pytest.mark.django_db


def test_it_signs_the_head_with_the_installation_key(append: Append) -> None:
    entries = append(4)

    checkpoint = do_sign_checkpoint()

    assert checkpoint.seq == 4
    assert bytes(checkpoint.entry_hash) == entries[-1].entry_hash
    assert bytes(checkpoint.public_key) == installation_public_key()
    message = checkpoint_message(4, bytes(entries[-1].entry_hash), checkpoint.signed_at)
    verify_signature(installation_public_key(), message, bytes(checkpoint.signature))


def test_signing_writes_no_entry_so_the_checkpoint_stays_at_the_head(append: Append) -> None:
    append(2)

    do_sign_checkpoint()

    assert AuditEntry.objects.count() == 2
    assert verify_chain().ok


def test_signing_an_unchanged_head_again_returns_the_same_checkpoint(append: Append) -> None:
    append(2)

    first = do_sign_checkpoint()
    second = do_sign_checkpoint()

    assert first.pk == second.pk
    assert AuditCheckpoint.objects.count() == 1


def test_it_refuses_to_sign_an_empty_log() -> None:
    with pytest.raises(UserError) as error:
        do_sign_checkpoint()

    assert error.value.code == "audit_log_empty"
    assert not AuditCheckpoint.objects.exists()


def test_it_refuses_to_sign_over_a_chain_that_does_not_verify(append: Append) -> None:
    append(3)
    AuditEntry.objects.filter(seq=2).update(code=999)

    with pytest.raises(UserError) as error:
        do_sign_checkpoint()

    assert error.value.code == "audit_chain_broken"
    assert not AuditCheckpoint.objects.exists()


def test_it_refuses_to_sign_after_a_forged_checkpoint(append: Append) -> None:
    append(3)
    do_sign_checkpoint()
    AuditCheckpoint.objects.update(signature=bytes(64))
    append(1)

    with pytest.raises(UserError):
        do_sign_checkpoint()


def test_it_names_a_checkpoint_with_a_forged_signature(append: Append) -> None:
    append(3)
    do_sign_checkpoint()
    AuditCheckpoint.objects.update(signature=bytes(64))

    report = verify_chain()

    assert [(p.seq, p.kind) for p in report.problems] == [(3, "checkpoint_signature")]
    assert "signature that does not verify" in report.problems[0].message


def test_it_names_a_checkpoint_signed_by_another_key_even_if_stored_beside_it(append: Append) -> None:
    # The forger signs with their own key and stores its public half in the row.
    entries = append(3)
    forger = generate_signing_keypair()
    checkpoint = do_sign_checkpoint()
    signature = sign(forger.private, checkpoint_message(3, bytes(entries[-1].entry_hash), checkpoint.signed_at))
    AuditCheckpoint.objects.update(signature=signature, public_key=forger.public)

    report = verify_chain()

    assert [(p.seq, p.kind) for p in report.problems] == [(3, "checkpoint_signature")]
    assert "signed by another key" in report.problems[0].message


def test_it_names_a_checkpoint_whose_entry_was_rechained(append: Append) -> None:
    append(3)
    do_sign_checkpoint()
    append(3)
    do_sign_checkpoint()
    rechain(edit_seq=5)

    report = verify_chain()

    assert [(p.seq, p.kind) for p in report.problems] == [(6, "checkpoint_mismatch")]
    assert "rewritten at or before entry 6 (after entry 3" in report.problems[0].message


def test_the_installation_key_comes_from_settings() -> None:
    message = b"anything"
    signature = sign(bytes(settings.REFUGE_AUDIT_SIGNING_KEY), message)

    verify_signature(installation_public_key(), message, signature)

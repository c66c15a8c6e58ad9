"""A damaged, cut, replayed, spliced or foreign backup is refused with a clear reason and changes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from refuge.crypto import generate_keypair
from refuge.ops.backup.container import MAGIC, BackupRefused
from refuge.ops.backup.read import verify_backup
from refuge.ops.backup.restore import restore_backup
from tests.ops.backup_support import backup_bytes, make_demo, table_digests, wipe

pytestmark = pytest.mark.django_db(transaction=True)

_SECRETSTREAM_PREFIX = 5 + 24  # the stream's magic and header


def _body_start(backup: bytes) -> int:
    return len(MAGIC) + 4 + int.from_bytes(backup[len(MAGIC) : len(MAGIC) + 4], "big")


def _chunks(backup: bytes) -> list[tuple[int, int]]:
    """(start, end) of each encrypted chunk, length prefix included."""
    position, spans = _body_start(backup) + _SECRETSTREAM_PREFIX, []
    while position < len(backup):
        end = position + 4 + int.from_bytes(backup[position : position + 4], "big")
        spans.append((position, end))
        position = end
    return spans


def _flip(backup: bytes, at: int) -> bytes:
    return backup[:at] + bytes([backup[at] ^ 0x01]) + backup[at + 1 :]


def _replay_first_chunk(backup: bytes) -> bytes:
    (start, end), *_rest = _chunks(backup)
    return backup[:end] + backup[start:end] + backup[end:]


def _swap_chunks(backup: bytes) -> bytes:
    (a0, a1), (b0, b1), *_rest = _chunks(backup)
    return backup[:a0] + backup[b0:b1] + backup[a0:a1] + backup[b1:]


DAMAGES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "cut_in_half": (lambda b: b[: len(b) // 2], "damaged"),
    "last_byte_cut": (lambda b: b[:-1], "damaged"),
    "last_chunk_dropped": (lambda b: b[: _chunks(b)[-1][0]], "damaged"),
    "bit_flipped_near_the_end": (lambda b: _flip(b, len(b) - 40), "damaged"),
    "bit_flipped_in_the_header": (lambda b: _flip(b, len(MAGIC) + 40), "damaged"),
    "recipient_key_flipped": (lambda b: _flip(b, b.index(b"sealed_key") + 20), "damaged|another organisation"),
    "first_chunk_replayed": (_replay_first_chunk, "damaged"),
    "chunks_reordered": (_swap_chunks, "damaged"),
    "bytes_appended": (lambda b: b + b"\x00" * 10, "damaged"),
    "not_a_backup": (lambda b: b"PK\x03\x04" + b[4:], "not a Refuge backup"),
    "empty_file": (lambda b: b"", "not a Refuge backup"),
}


@pytest.fixture
def made() -> tuple[bytes, bytes]:
    demo = make_demo()
    backup = backup_bytes()
    wipe()
    return backup, demo.recovery_key


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_backup_is_refused_and_nothing_is_restored(made: tuple[bytes, bytes], damage: str) -> None:
    backup, key = made
    change, reason = DAMAGES[damage]
    empty = table_digests()
    damaged = change(backup)
    with pytest.raises(BackupRefused, match=reason):
        verify_backup(io.BytesIO(damaged), key)
    with pytest.raises(BackupRefused, match=reason):
        restore_backup(io.BytesIO(damaged), key)
    assert table_digests() == empty


def test_a_header_spliced_from_another_backup_is_refused(made: tuple[bytes, bytes]) -> None:
    backup, key = made
    restore_backup(io.BytesIO(backup), key)
    other = backup_bytes()  # same recipients, another data key
    wipe()
    empty = table_digests()
    spliced = other[: _body_start(other)] + backup[_body_start(backup) :]
    with pytest.raises(BackupRefused, match="pieced together"):
        restore_backup(io.BytesIO(spliced), key)
    assert table_digests() == empty


def test_a_backup_of_another_organisation_is_refused(made: tuple[bytes, bytes]) -> None:
    backup, _key = made
    empty = table_digests()
    with pytest.raises(BackupRefused, match="another organisation"):
        restore_backup(io.BytesIO(backup), generate_keypair().private)
    assert table_digests() == empty


def test_a_backup_is_restored_only_into_an_empty_installation(made: tuple[bytes, bytes]) -> None:
    backup, key = made
    restore_backup(io.BytesIO(backup), key)
    full = table_digests()
    with pytest.raises(BackupRefused, match="not empty"):
        restore_backup(io.BytesIO(backup), key)
    assert table_digests() == full


def test_a_second_backup_key_opens_the_backup_without_the_recovery_shares() -> None:
    make_demo()
    pair = generate_keypair()
    backup = backup_bytes(extra_recipients=[pair.public])
    wipe()
    restore_backup(io.BytesIO(backup), pair.private)

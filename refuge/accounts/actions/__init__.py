"""Every write to organisations and staff accounts (STYLE.md #2), one module per resource.

Key flow (DESIGN.md §5, docs/keys.md): each member has an X25519 keypair whose
private half is stored only wrapped twice — under an Argon2id key from their
password, and under a personal recovery key shown once. Their TOTP secret is
sealed to their own public key. The server never holds any of these in clear
outside a request.

base.py makes a member's key material (shared by the organisation's creation, members
and enrolment); the other modules are organisation, members, invitations, credentials
and recovery.
"""

"""Settings for the test suite: fixed throwaway secrets and a weak KDF.

Weak parameters exist only here (STYLE.md #11); production settings refuse them.
"""

import os
import tempfile

os.environ.setdefault("REFUGE_DATA_DIR", os.environ.get("REFUGE_DATA_DIR") or tempfile.mkdtemp(prefix="refuge-test-"))
os.environ.setdefault(
    "REFUGE_SECRETS_DIR", os.environ.get("REFUGE_SECRETS_DIR") or tempfile.mkdtemp(prefix="refuge-test-secrets-")
)
os.environ.setdefault("REFUGE_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("REFUGE_RECEIPT_PEPPER", "test-pepper-0123456789abcdef0123456789")
os.environ.setdefault("REFUGE_SERVER_KEY", "dGVzdC1zZXJ2ZXIta2V5LTAxMjM0NTY3ODlhYmNkZWY=")
os.environ.setdefault("REFUGE_AUDIT_SIGNING_KEY", "dGVzdC1hdWRpdC1zaWduaW5nLWtleS0wMTIzNDU2Nzg=")

from refuge.settings import *  # noqa: F403

REFUGE_KDF_OPSLIMIT = 1
REFUGE_KDF_MEMLIMIT = 8192
DEBUG = False
# `refuge init` creates this with collectstatic; tests serve static files from the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# Test-only models for the keyring rotation and shredding tests (tests/keyring_testapp), and
# test-only audit events declared as a new app declares its own (tests/audit_testapp).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.keyring_testapp", "tests.audit_testapp"]  # noqa: F405

"""Settings for the test suite: fixed throwaway secrets, weak KDF, fast hashing.

Weak parameters exist only here (STYLE.md #11); production settings refuse them.
"""

import os
import tempfile

_test_data = tempfile.mkdtemp(prefix="refuge-test-")
os.environ.setdefault("REFUGE_DATA_DIR", _test_data)
os.environ.setdefault("REFUGE_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("REFUGE_RECEIPT_PEPPER", "test-pepper-0123456789abcdef0123456789")
os.environ.setdefault("REFUGE_SERVER_KEY", "dGVzdC1zZXJ2ZXIta2V5LTAxMjM0NTY3ODlhYmNkZWY=")
os.environ.setdefault("REFUGE_AUDIT_SIGNING_KEY", "dGVzdC1hdWRpdC1zaWduaW5nLWtleS0wMTIzNDU2Nzg=")

from refuge.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["refuge.accounts.hashers.FastTestPasswordHasher"]
REFUGE_KDF_OPSLIMIT = 1
REFUGE_KDF_MEMLIMIT = 8192
DEBUG = False

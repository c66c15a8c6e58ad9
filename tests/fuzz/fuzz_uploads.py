"""Coverage-guided fuzzing of refuge.intake.uploads with atheris (libFuzzer).

    .venv/bin/python tests/fuzz/fuzz_uploads.py -runs=100000 /tmp/fuzz-work tests/corpus/uploads

libFuzzer adds the inputs it finds interesting to the first directory, so give it a
scratch one before the committed corpus. Any exception other than UserError is a
crash: libFuzzer stops and saves the input as crash-<sha1> (see -artifact_prefix).
tests/fuzz/test_fuzzers.py runs a bounded number of executions (marker `slow`).
"""

from __future__ import annotations

import io
import sys

import atheris

with atheris.instrument_imports(include=["refuge", "PIL", "pikepdf"]):
    import django
    from django.conf import settings

    from refuge.core.errors import UserError
    from refuge.intake.uploads import REMOVED_LABELS, sanitise_upload

KINDS = {"jpeg", "png", "webp", "pdf"}


def test_one_input(data: bytes) -> None:
    """Feed one input; a refusal is fine, any other exception is a crash."""
    try:
        upload = sanitise_upload("fuzz", io.BytesIO(data))
    except UserError:
        return
    if upload.kind not in KINDS or not set(upload.removed) <= set(REMOVED_LABELS) or not upload.data:
        raise AssertionError(f"malformed result: {upload!r}")


def main() -> None:
    """Run libFuzzer over test_one_input with the command line's options."""
    if not settings.configured:
        settings.configure(USE_I18N=False)  # refusal messages are formatted; nothing else is needed
        django.setup()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

"""Production settings whose safety clock runs ahead by what a file says (tests/safety/test_alarm_delivery_live.py).

The controllable clock of a real scheduler process: `refuge.safety.clock.now` is replaced
by the real time plus the seconds written in $REFUGE_TEST_CLOCK_OFFSET_FILE, read at every
call. Only that clock moves: leases, mail and everything else keep the real time. Only
tests select these settings (DJANGO_SETTINGS_MODULE of the processes they start).
"""

import os
from datetime import datetime, timedelta
from pathlib import Path

from refuge.settings import *  # noqa: F403

_OFFSET_FILE = Path(os.environ["REFUGE_TEST_CLOCK_OFFSET_FILE"])


def _shifted_now() -> datetime:
    from django.utils import timezone

    try:
        offset = float(_OFFSET_FILE.read_text(encoding="utf-8").strip() or 0)
    except FileNotFoundError:
        offset = 0.0
    return timezone.now() + timedelta(seconds=offset)


def _install() -> None:
    import refuge.safety.clock

    refuge.safety.clock.now = _shifted_now


_install()

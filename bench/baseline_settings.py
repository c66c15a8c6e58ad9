"""Benchmark build only: Refuge's settings plus the intake flow with encryption switched off.

DESIGN.md §7 asks for intake "within 1.3× of the same flow with encryption switched
off in a benchmark build". This is that build: `refuge serve` with
DJANGO_SETTINGS_MODULE=bench.baseline_settings (and the repository on PYTHONPATH)
serves everything Refuge serves, plus bench/baseline_app's plaintext request form.
Nothing of it is in refuge/, and no production setting names it.
"""

from refuge.settings import *  # noqa: F403 - the whole production configuration, unchanged

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline_app"]  # noqa: F405
ROOT_URLCONF = "bench.baseline_app.urls"

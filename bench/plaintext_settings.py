"""Benchmark build only: Refuge with its encryption switched off, for the case-page overhead.

DESIGN.md §7 asks for "intake and case pages within 1.3× of the same flow with encryption
switched off in a benchmark build". For case pages this is that build: the production
settings, unchanged, plus bench/plaintext_app, whose `ready()` replaces the AEAD and
sealed-box primitives with stand-ins that keep the stored layout and do no cryptography
(bench/plaintext_app/apps.py says exactly what is switched off). Every view, action,
query and template runs as in production. Nothing of it is in refuge/, and no production
setting names it. The database it writes is readable by anyone: it is only ever a
throwaway benchmark database.
"""

from refuge.settings import *  # noqa: F403 - the whole production configuration, unchanged

INSTALLED_APPS = [*INSTALLED_APPS, "bench.plaintext_app"]  # noqa: F405

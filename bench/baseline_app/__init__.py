"""The intake flow with encryption switched off: the baseline of bench/intake.py (benchmark build only)."""

"""Models used only by the keyring tests: installed by refuge/test_settings.py, never in production."""

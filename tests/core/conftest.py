from tests.personas import world  # noqa: F401

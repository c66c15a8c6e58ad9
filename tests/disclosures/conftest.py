from tests.personas import client_for, world  # noqa: F401

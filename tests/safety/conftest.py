from tests.personas import client_for, world  # noqa: F401
from tests.safety.support import fake_clock  # noqa: F401

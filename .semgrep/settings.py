# Fixture for settings.yml: each line after a "ruleid" comment must be reported, each after "ok" must not.
from django.conf import settings
from django.test import override_settings
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from refuge.core.env import env_bool

# ruleid: debug-switched-on-in-code
DEBUG = True
# ok: debug-switched-on-in-code
DEBUG = env_bool("REFUGE_DEBUG", False)
# ok: debug-switched-on-in-code
DEBUG = False
# ruleid: debug-switched-on-in-code
settings.DEBUG = True


# ruleid: debug-switched-on-in-code
@override_settings(DEBUG=True)
def check() -> None:
    pass


# ruleid: csrf-exempt-outside-allow-list
@csrf_exempt
def webhook(request):
    pass


def hook(request):
    pass


# ruleid: csrf-exempt-outside-allow-list
exempt = csrf_exempt(hook)
# ruleid: csrf-exempt-outside-allow-list
hook.csrf_exempt = True


# ok: csrf-exempt-outside-allow-list
@csrf_protect
def form_view(request):
    pass

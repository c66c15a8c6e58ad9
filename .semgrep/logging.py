# Fixture for logging.yml: each line after a "ruleid" comment must be reported, each after "ok" must not.
import logging

from django.contrib import messages

from django.http import HttpRequest

log = logging.getLogger(__name__)


def view(request: HttpRequest, form, help_request, error: Exception, password: str, receipt: str) -> None:
    # ruleid: request-data-in-log
    log.info("submitted %s", request.POST)
    # ruleid: request-data-in-log
    log.warning("bad body %r", request.body[:200])
    # ruleid: request-data-in-log
    logging.error("form %s", dict(form.cleaned_data))
    # ruleid: request-data-in-log
    log.debug("query %s", request.GET.get("q"))
    # ruleid: request-data-in-log
    log.error("failed: %s", request.get_full_path())
    # ruleid: request-data-in-log
    log.error("failed: %s", request)
    # ruleid: request-data-in-log
    log.exception("from %s", request.META["REMOTE_ADDR"])
    # ruleid: request-data-in-log, secret-in-log
    log.info("login for %s with %s", form.cleaned_data["username"], password)
    # ruleid: secret-in-log
    log.warning("receipt %s not found", receipt)
    # ruleid: secret-in-log
    log.debug("key %s", help_request.key.private_key)
    # ruleid: secret-in-log
    log.debug("session %s", session_token)
    # ok: request-data-in-log
    messages.info(request, "Your password is changed.")
    # ok: secret-in-log
    messages.error(request, password_error_message)
    # ok: request-data-in-log
    log.info("member %s logged out", request.user.pk)
    # ok: request-data-in-log
    log.error("request %s did not decrypt; it may have been tampered with", help_request.pk)
    # ok: secret-in-log
    log.warning("the receipt look-up budget is spent; password checks continue")
    # ok: secret-in-log
    log.warning("could not send a notice for organisation %s: %s", help_request.organisation_id, type(error).__name__)


session_token = "x"
password_error_message = "x"

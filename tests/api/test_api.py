"""The JSON API v1 as a script sees it: tokens, access, content behind an unlocked key, errors."""

from __future__ import annotations

import uuid

import pytest

from refuge.accounts.api_tokens import Scope, do_revoke_api_token
from refuge.accounts.models import ApiToken, User
from refuge.audit.models import AuditEntry
from refuge.cases.models import Case, Task
from refuge.intake.access import access_by_receipt
from refuge.intake.models import HelpRequest
from refuge.intake.queries import read_answers
from refuge.keyring.keyring import Keyring
from tests.api.conftest import CASE_STORY, TASK_TITLE, Call, make_token
from tests.personas import World

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "fields"}


def _error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == ERROR_KEYS and body["code"] == code, body
    return body


def test_a_team_member_lists_their_cases_as_metadata(world: World, case: Case, api: Call) -> None:
    response = api(make_token(world.bob), "GET", "/api/v1/cases")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1 and body["items"][0]["reference"] == case.reference
    assert body["next_page"] is None
    assert CASE_STORY.encode() not in response.content


def test_it_pages_the_case_list(world: World, api: Call) -> None:
    from tests.api.conftest import make_case

    made = [make_case(world, f"story {index}") for index in range(3)]
    token = make_token(world.alice)
    first = api(token, "GET", "/api/v1/cases?per_page=2").json()
    second = api(token, "GET", "/api/v1/cases?per_page=2&page=2").json()
    beyond = api(token, "GET", "/api/v1/cases?per_page=2&page=9").json()
    assert first["total"] == 3 and len(first["items"]) == 2 and first["next_page"] == 2
    assert len(second["items"]) == 1 and second["next_page"] is None and beyond["items"] == []
    listed = {item["id"] for item in first["items"] + second["items"]}
    assert listed == {str(c.pk) for c in made}


def test_it_hides_other_organisations_cases_with_the_same_404(world: World, case: Case, api: Call) -> None:
    outsider = make_token(world.charlie)
    assert api(outsider, "GET", "/api/v1/cases").json()["total"] == 0
    foreign = api(outsider, "GET", f"/api/v1/cases/{case.pk}")
    missing = api(make_token(world.bob), "GET", f"/api/v1/cases/{uuid.uuid4()}")
    nowhere = api(make_token(world.bob), "GET", "/api/v1/no/such/thing")
    _error(foreign, 404, "not_found")
    assert foreign.content == missing.content == nowhere.content


def test_a_caseworker_off_the_team_gets_404(world: World, case: Case, api: Call) -> None:
    _error(api(make_token(world.bella), "GET", f"/api/v1/cases/{case.pk}"), 404, "not_found")


def test_no_token_or_a_revoked_or_expired_one_gets_401(world: World, case: Case, api: Call) -> None:
    _error(api(None, "GET", "/api/v1/cases"), 401, "unauthenticated")
    token = make_token(world.bob)
    do_revoke_api_token(actor=world.bob.user, token=ApiToken.objects.get(pk=token.token_id))
    _error(api(token, "GET", "/api/v1/cases"), 401, "unauthenticated")
    old = make_token(world.bob, days=1)
    ApiToken.objects.filter(pk=old.token_id).update(expires_at="2020-01-01T00:00:00Z")
    _error(api(old, "GET", "/api/v1/cases"), 401, "unauthenticated")


def test_a_deactivated_or_duress_locked_members_token_stops(world: World, api: Call) -> None:
    token = make_token(world.bob)
    assert api(token, "GET", "/api/v1/cases").status_code == 200
    User.objects.filter(pk=world.bob.user.pk).update(locked_by_duress=True)
    _error(api(token, "GET", "/api/v1/cases"), 401, "unauthenticated")
    User.objects.filter(pk=world.bob.user.pk).update(locked_by_duress=False, is_active=False)
    _error(api(token, "GET", "/api/v1/cases"), 401, "unauthenticated")


def test_a_token_is_hashed_at_rest(world: World) -> None:
    token = make_token(world.bob)
    stored = ApiToken.objects.get(pk=token.token_id)
    assert token.secret not in stored.digest and len(stored.digest) == 64
    assert token.secret.encode() not in bytes(stored.sealed_member_key)


def test_a_token_without_the_scope_is_refused_before_anything_is_looked_up(world: World, case: Case, api: Call) -> None:
    token = make_token(world.bob, [Scope.REFERRALS])
    _error(api(token, "GET", f"/api/v1/cases/{uuid.uuid4()}"), 403, "scope")


def test_stage_change_needs_the_members_keys_unlocked(world: World, case: Case, api: Call) -> None:
    token = make_token(world.bob)
    change = {"stage": "sheltered", "version": case.version}
    _error(api(token, "POST", f"/api/v1/cases/{case.pk}/stage", change, unlock=False), 403, "locked")
    assert Case.objects.get(pk=case.pk).stage == case.stage
    response = api(token, "POST", f"/api/v1/cases/{case.pk}/stage", change)
    assert response.status_code == 200 and response.json()["stage"] == "sheltered"
    assert Case.objects.get(pk=case.pk).stage == "sheltered"


def test_a_stage_change_from_an_old_version_is_a_conflict(world: World, case: Case, api: Call) -> None:
    token = make_token(world.bob)
    _error(api(token, "POST", f"/api/v1/cases/{case.pk}/stage", {"stage": "sheltered", "version": 99}), 409, "conflict")


def test_a_stage_the_case_cannot_reach_is_refused_by_its_field(world: World, case: Case, api: Call) -> None:
    token = make_token(world.bob)
    body = _error(
        api(token, "POST", f"/api/v1/cases/{case.pk}/stage", {"stage": "arrived", "version": case.version}),
        422,
        "bad_stage",
    )
    assert body["fields"][0]["field"] == "stage"


def test_travel_is_refused_through_the_api_as_on_the_stage_form(world: World, case: Case, api: Call) -> None:
    token = make_token(world.bob)
    moved = api(token, "POST", f"/api/v1/cases/{case.pk}/stage", {"stage": "applying", "version": case.version})
    assert moved.status_code == 200
    version = moved.json()["version"]
    body = _error(
        api(token, "POST", f"/api/v1/cases/{case.pk}/stage", {"stage": "travel", "version": version}),
        422,
        "recorded_stage",
    )
    assert body["fields"][0]["field"] == "stage"
    assert Case.objects.get(pk=case.pk).stage == "applying"


def test_a_body_that_does_not_match_the_schema_names_its_fields(world: World, case: Case, api: Call) -> None:
    token = make_token(world.bob)
    body = _error(api(token, "POST", f"/api/v1/cases/{case.pk}/stage", {"stage": "flying"}), 400, "invalid")
    assert {item["field"] for item in body["fields"]} == {"stage", "version"}


def test_a_wrong_unlock_key_is_refused(world: World, case: Case, api: Call) -> None:
    token = make_token(world.bob)
    other = make_token(world.bob)
    token.unlock = other.unlock
    _error(api(token, "GET", f"/api/v1/cases/{case.pk}/tasks"), 401, "unlock_failed")


def test_tasks_show_titles_only_with_unlocked_keys(world: World, case: Case, api: Call) -> None:
    token = make_token(world.bob)
    added = api(token, "POST", f"/api/v1/cases/{case.pk}/tasks", {"title": TASK_TITLE, "due_on": "2030-01-02"})
    assert added.status_code == 201, added.content
    locked = api(token, "GET", f"/api/v1/cases/{case.pk}/tasks", unlock=False).json()
    unlocked = api(token, "GET", f"/api/v1/cases/{case.pk}/tasks").json()
    assert [item["title"] for item in locked["items"]] == [None]
    assert [item["title"] for item in unlocked["items"]] == [TASK_TITLE]
    task_id = added.json()["id"]
    done = api(token, "POST", f"/api/v1/cases/{case.pk}/tasks/{task_id}/done")
    assert done.status_code == 200 and Task.objects.get(pk=task_id).done_on is not None
    _error(api(token, "POST", f"/api/v1/cases/{case.pk}/tasks/{task_id}/done"), 422, "task_done")


def test_a_task_of_another_case_is_404(world: World, case: Case, api: Call) -> None:
    from tests.api.conftest import make_case

    other = make_case(world, "another")
    token = make_token(world.bob)
    task_id = api(token, "POST", f"/api/v1/cases/{other.pk}/tasks", {"title": "x"}).json()["id"]
    _error(api(token, "POST", f"/api/v1/cases/{case.pk}/tasks/{task_id}/done"), 404, "not_found")


def test_the_export_decrypts_for_an_unlocked_team_member_only(world: World, case: Case, api: Call) -> None:
    token = make_token(world.bob)
    _error(api(token, "GET", f"/api/v1/cases/{case.pk}/export", unlock=False), 403, "locked")
    exported = api(token, "GET", f"/api/v1/cases/{case.pk}/export")
    assert exported.status_code == 200, exported.content
    assert exported.json()["summary"]["what_happened"] == CASE_STORY
    assert AuditEntry.objects.filter(code=6004, object_id=str(case.pk)).count() == 1


def test_a_referral_is_sealed_like_a_portal_request(world: World, api: Call) -> None:
    token = make_token(world.ivan, [Scope.REFERRALS], bound=False)
    referral = {"what_happened": "Referred by a partner", "where_now": "Tbilisi", "urgency": "now", "name": "A. B."}
    response = api(token, "POST", "/api/v1/referrals", referral)
    assert response.status_code == 201, response.content
    receipt = response.json()["receipt"]
    opened = access_by_receipt(receipt)
    assert read_answers(opened.request, opened.secret)["what_happened"] == "Referred by a partner"
    # Intake opens it with the intake group key, as a portal request.
    ivan = Keyring(world.ivan.user, world.ivan.private_key)
    assert read_answers(opened.request, ivan.secret_for(opened.request.key))["name"] == "A. B."
    stored = HelpRequest.objects.get(reference=response.json()["reference"])
    assert b"Referred by a partner" not in bytes(stored.content)
    assert AuditEntry.objects.filter(code=6003, object_id=str(token.token_id)).count() == 1


def test_a_caseworker_cannot_refer(world: World, api: Call) -> None:
    token = make_token(world.bob, [Scope.REFERRALS])
    referral = {"what_happened": "x", "where_now": "y", "urgency": "now"}
    _error(api(token, "POST", "/api/v1/referrals", referral), 404, "not_found")
    assert HelpRequest.objects.count() == 0


def test_too_many_calls_get_429(world: World, api: Call, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REFUGE_API_REQUESTS_PER_MINUTE = 2
    token = make_token(world.bob)
    assert api(token, "GET", "/api/v1/cases").status_code == 200
    assert api(token, "GET", "/api/v1/cases").status_code == 200
    refused = api(token, "GET", "/api/v1/cases")
    _error(refused, 429, "too_many_requests")
    assert int(refused["Retry-After"]) >= 1


def test_a_method_the_address_does_not_take_gets_405_in_the_same_shape(world: World, api: Call) -> None:
    refused = api(make_token(world.bob), "DELETE", "/api/v1/cases")
    _error(refused, 405, "method_not_allowed")
    assert "GET" in refused["Allow"]


def test_a_body_that_is_not_json_is_400(world: World, case: Case, api: Call) -> None:
    token = make_token(world.bob)
    from django.test import Client

    response = Client().post(
        f"/api/v1/cases/{case.pk}/stage", data=b"{not json", content_type="application/json", **token.headers()
    )
    assert response.status_code == 400 and set(response.json()) == ERROR_KEYS


def test_a_body_that_is_not_a_json_object_is_400(world: World, case: Case, api: Call) -> None:
    token = make_token(world.bob)
    _error(api(token, "POST", f"/api/v1/cases/{case.pk}/tasks", '"AAA"'), 400, "bad_request")
    assert Task.objects.count() == 0


def test_errors_speak_the_callers_language(world: World, api: Call) -> None:
    from django.test import Client

    response = Client().get("/api/v1/cases", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 401 and "Отправьте действующий токен API" in response.json()["message"]
    missing = Client().get("/api/v1/nothing", HTTP_ACCEPT_LANGUAGE="ru")
    assert missing.json()["message"] == "Здесь ничего нет, или у вас нет к этому доступа."


def test_list_parameters_are_bounded_and_unknown_ones_refused(world: World, api: Call) -> None:
    token = make_token(world.bob)
    body = _error(api(token, "GET", "/api/v1/cases?per_page=101"), 400, "invalid")
    assert body["fields"][0]["field"] == "per_page"
    _error(api(token, "GET", "/api/v1/cases?page=0"), 400, "invalid")
    _error(api(token, "GET", "/api/v1/cases?perpage=10"), 400, "unknown_parameter")


def test_a_body_over_the_limit_is_refused_unread(world: World, case: Case, api: Call) -> None:
    from refuge.api.bodies import MAX_API_BODY_BYTES

    token = make_token(world.bob)
    huge = '{"title": "' + "x" * MAX_API_BODY_BYTES + '"}'
    _error(api(token, "POST", f"/api/v1/cases/{case.pk}/tasks", huge), 413, "body_too_large")
    assert Task.objects.count() == 0


def test_a_referral_that_breaks_the_forms_rules_names_its_fields(world: World, api: Call) -> None:
    token = make_token(world.ivan, [Scope.REFERRALS])
    referral = {"what_happened": "   ", "where_now": "x" * 201, "urgency": "soon", "name": "a\x00b"}
    body = _error(api(token, "POST", "/api/v1/referrals", referral), 400, "invalid")
    assert {item["field"] for item in body["fields"]} == {"what_happened", "where_now", "urgency", "name"}
    assert HelpRequest.objects.count() == 0


def test_a_cases_applications_are_listed_as_metadata(world: World, case: Case, api: Call) -> None:
    from refuge.applications.actions import do_start_application
    from refuge.cases.models import Person
    from refuge.relocation.models import Pathway
    from tests.api.conftest import ring

    pathway = Pathway.objects.filter(organisation__isnull=True).order_by("pk").first()
    assert pathway is not None
    person = Person.objects.get(case=case)
    made = do_start_application(
        actor=world.bob.user, keyring=ring(world.bob), case=case, person=person, pathway=pathway
    )
    listed = api(make_token(world.bob, bound=False), "GET", f"/api/v1/cases/{case.pk}/applications").json()
    assert [item["id"] for item in listed["items"]] == [str(made.pk)]
    assert listed["items"][0]["pathway_country"] == pathway.country and listed["items"][0]["status"] == made.status
    _error(api(make_token(world.bella), "GET", f"/api/v1/cases/{case.pk}/applications"), 404, "not_found")

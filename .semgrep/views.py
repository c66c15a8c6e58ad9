# Fixture for views.yml: each line after a "ruleid" comment must be reported, each after "ok" must not.
from django.db import connection, transaction
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render

from refuge.audit.actions import record
from refuge.cases import actions
from refuge.cases.access import access_case
from refuge.cases.forms import NoteForm
from refuge.cases.models import Case, Note


def edit_case(request: HttpRequest, case_id: str) -> HttpResponse:
    # ruleid: object-lookup-outside-access
    case = get_object_or_404(Case, pk=case_id)
    # ruleid: object-lookup-outside-access
    case = Case.objects.get(pk=case_id)
    # ruleid: object-lookup-outside-access
    case = Case.objects.select_related("key").get(pk=case_id)
    # ok: object-lookup-outside-access
    case = access_case(request.user, case_id)
    # ruleid: model-write-outside-actions
    case.save()
    # ruleid: model-write-outside-actions
    case.delete()
    # ruleid: model-write-outside-actions
    Note.objects.create(case=case, body=request.POST["body"])
    # ruleid: model-write-outside-actions
    case.notes.create(body="x")
    # ruleid: model-write-outside-actions
    Note.objects.bulk_create([])
    # ruleid: model-write-outside-actions
    Case.objects.filter(pk=case.pk).update(stage="closed")
    # ruleid: model-write-outside-actions
    Case.objects.update(stage="closed")
    # ruleid: model-write-outside-actions
    Note.objects.filter(case=case).delete()
    # ruleid: model-write-outside-actions
    Case.objects.get_or_create(reference="R-1")
    form = NoteForm(request.POST)
    # ruleid: model-write-outside-actions
    form.save()
    # ruleid: model-write-outside-actions
    with transaction.atomic():
        pass
    # ruleid: model-write-outside-actions
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET stage = 'closed'")
    # ruleid: model-write-outside-actions
    record(1, actor_id=request.user.pk)
    # ok: model-write-outside-actions
    actions.do_add_note(actor=request.user, case=case, body=form.cleaned_data["body"])
    context = {"case": case}
    # ok: model-write-outside-actions
    context.update({"form": form})
    # ok: model-write-outside-actions
    request.session.save()
    # ok: model-write-outside-actions
    request.session.delete("refuge_flag")
    response = redirect("workspace:home")
    # ok: model-write-outside-actions
    response.delete_cookie("refuge-seen")
    return render(request, "case.html", context) or response


def delete_case(request: HttpRequest, case_id: str) -> HttpResponse:
    if not request.user.is_staff:
        # ruleid: forbidden-instead-of-not-found
        raise PermissionDenied
    if request.user.is_anonymous:
        # ruleid: forbidden-instead-of-not-found
        return HttpResponseForbidden()
    if not case_id:
        # ok: forbidden-instead-of-not-found
        raise Http404
    # ok: forbidden-instead-of-not-found
    return render(request, "case.html", {"locked": True}, status=403)

# Fixture for views.yml: each line after a "ruleid" comment must be reported, each after "ok" must not.
from django.db import connection, transaction
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render

from refuge.audit.actions import record
from refuge.cases import actions
from refuge.cases.access import access_case, access_note
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
    # ruleid: object-lookup-outside-access
    note = Note.objects.filter(pk=request.GET["note"], case=case).first()
    # ruleid: object-lookup-outside-access
    note = Note.objects.select_related("key").filter(pk=request.GET["note"]).last()
    # ruleid: object-lookup-outside-access
    on_team = case.team.filter(user=request.user).exists()
    # ruleid: object-lookup-outside-access
    known = Case.objects.exclude(stage="closed").exists()
    # ruleid: object-lookup-outside-access
    ids = Note.objects.filter(case=case).values_list("pk", flat=True)
    # ruleid: object-lookup-outside-access
    rows = Note.objects.filter(case=case).values("body")
    # ruleid: object-lookup-outside-access
    note = Note.objects.filter(pk=request.GET["note"])[0]
    # ruleid: object-lookup-outside-access
    notes = Note.objects.order_by("-created_on")[:5]
    # ok: object-lookup-outside-access
    notes = Note.objects.filter(case=case).order_by("-created_on")
    # ok: object-lookup-outside-access
    labels = {"a": 1}.values()
    # ok: object-lookup-outside-access
    first = request.GET.getlist("ids")[0]
    # ok: object-lookup-outside-access
    note = access_note(case, request.GET["note"])
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

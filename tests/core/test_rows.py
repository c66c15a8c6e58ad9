"""`ReadyQuery` (refuge/core/rows.py): the ORM's rows, from SQL written once, asked afresh each time."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from refuge.accounts.models import Organisation
from refuge.core.rows import ReadyQuery
from refuge.intake.models import IntakeQuestion, QuestionKind
from tests.personas import make_organisation

BY_SLUG = ReadyQuery(lambda slug: Organisation.objects.filter(slug=slug)[:1], [Organisation._meta.get_field("slug")])
QUESTIONS = ReadyQuery(
    lambda organisation_id: IntakeQuestion.objects.filter(organisation_id=organisation_id, active=True).order_by(
        "position", "id"
    ),
    [IntakeQuestion._meta.get_field("organisation")],
)


def _fields(row: object, model: type) -> dict[str, object]:
    return {field.attname: getattr(row, field.attname) for field in model._meta.concrete_fields}


@pytest.fixture
def north(db: None) -> Organisation:
    return make_organisation("north", "alice")[0]


def test_it_gives_the_rows_the_orm_gives(north: Organisation) -> None:
    for position, kind in enumerate([QuestionKind.CHOICE, QuestionKind.TEXT, QuestionKind.YES_NO]):
        IntakeQuestion.objects.create(
            organisation=north,
            position=2 - position,
            kind=kind,
            label_en=f"Q{position}",
            label_ru=f"В{position}",
            choices=[{"en": "a", "ru": "а"}] if kind == QuestionKind.CHOICE else [],
        )
    IntakeQuestion.objects.create(organisation=north, kind=QuestionKind.TEXT, label_en="x", active=False)

    [organisation] = BY_SLUG.rows("north")
    questions = QUESTIONS.rows(north.pk)

    assert _fields(organisation, Organisation) == _fields(Organisation.objects.get(slug="north"), Organisation)
    expected = IntakeQuestion.objects.filter(organisation=north, active=True).order_by("position", "id")
    assert [_fields(q, IntakeQuestion) for q in questions] == [_fields(q, IntakeQuestion) for q in expected]
    assert questions[0].choices == [{"en": "a", "ru": "а"}] or questions[-1].choices == [{"en": "a", "ru": "а"}]
    assert not organisation._state.adding and organisation._state.db == "default"
    assert BY_SLUG.rows("nowhere") == []


def test_every_call_asks_the_database(north: Organisation) -> None:
    BY_SLUG.rows("north")
    Organisation.objects.filter(pk=north.pk).update(name="North, renamed")

    with CaptureQueriesContext(connection) as queries:
        [organisation] = BY_SLUG.rows("north")

    assert organisation.name == "North, renamed"
    assert len(queries) == 1


def test_a_query_whose_parameters_are_not_its_values_is_refused(north: Organisation) -> None:
    # The slug is bound, but so is a constant the caller did not pass: the SQL cannot be reused.
    wrong = ReadyQuery(
        lambda slug: Organisation.objects.filter(slug=slug, recovery_threshold=3),
        [Organisation._meta.get_field("slug")],
    )
    with pytest.raises(ValueError, match="parameters"):
        wrong.rows("north")

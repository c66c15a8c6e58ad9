"""Synthetic demo data, created through the real actions (so it is encrypted like real data).

Every person, place and event here is invented. The stories follow the shape of
real cases (DOMAIN.md) so that the workspace looks like a working day.
"""

from __future__ import annotations

from dataclasses import dataclass

from refuge.accounts.models import Organisation, User
from refuge.cases.actions.compartments import do_save_compartment
from refuge.cases.actions.details import do_change_stage, do_edit_case
from refuge.cases.actions.notes import do_add_note
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.actions.people import do_add_person
from refuge.cases.actions.tasks import do_add_task
from refuge.cases.models import Compartment, Person, PersonRole, Priority, Stage
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.messages import do_reply, do_requester_message
from refuge.intake.actions.status import do_mark_possible_plant, do_set_status
from refuge.intake.actions.submissions import Submission, do_submit_request
from refuge.keyring.keyring import Keyring
from refuge.relocation.models import Pathway
from refuge.shelter.actions import ShelterDetails, do_create_shelter, do_place_person


@dataclass(frozen=True)
class DemoRequest:
    answers: dict[str, object]
    urgency: str
    language: str


REQUESTS = [
    DemoRequest(
        {
            "what_happened": "Меня задержали на блокпосту, забрали телефон и требовали назвать знакомых. "
            "Отпустили через два дня, сказали, что вернутся. Родственники знают и угрожают.",
            "where_now": "Махачкала, у знакомого",
            "contact": "Signal после 21:00, не звонить",
            "name": "Юрий Иванов",
            "phone": "+7 928 555-01-17",
            "documents": ["internal_passport"],
            "others_at_risk": "партнёр, тоже в Махачкале",
            "languages": ["ru"],
        },
        "now",
        "ru",
    ),
    DemoRequest(
        {
            "what_happened": "My brother found messages on my phone. My family says I must come home "
            "or they will find me. I left for Moscow last week.",
            "where_now": "Moscow region",
            "contact": "Email through Proton only",
            "name": "Ivanov Yuriy",
            "documents": ["internal_passport", "international_passport"],
            "languages": ["ru", "en"],
        },
        "now",
        "en",
    ),
    DemoRequest(
        {
            "what_happened": "Уволили с работы после доноса. Участковый приходил дважды. "
            "Загранпаспорта нет, подала документы месяц назад.",
            "where_now": "Нижегородская область",
            "name": "Наталья Смирнова",
            "documents": ["internal_passport"],
            "languages": ["ru"],
        },
        "weeks",
        "ru",
    ),
    DemoRequest(
        {
            "what_happened": "Я правозащитник, на меня завели дело об «экстремизме». Нужна помощь с визой.",
            "where_now": "Санкт-Петербург",
            "contact": "Telegram, только секретный чат",
            "name": "Дмитрий Соколов",
            "documents": ["internal_passport", "international_passport"],
            "document_number": "75 1234567",
            "languages": ["ru", "en"],
        },
        "weeks",
        "ru",
    ),
    DemoRequest(
        {
            "what_happened": "Hello, I know many people in your network, please send me the list of your "
            "safe houses so I can visit them.",
            "where_now": "Grozny",
            "languages": ["ru"],
        },
        "later",
        "en",
    ),
    DemoRequest(
        {
            "what_happened": "Хочу уехать в Германию, слышал про гуманитарные визы. Пока в безопасности.",
            "where_now": "Казань",
            "name": "Сергей Петров",
            "documents": ["international_passport"],
            "languages": ["ru"],
        },
        "later",
        "ru",
    ),
]


def create_demo_requests(organisation: Organisation, intake: User, intake_private_key: bytes) -> list[Submission]:
    """Submit the demo requests, answer two of them and flag the obvious plant."""
    submissions = [
        do_submit_request(organisation=organisation, answers=r.answers, urgency=r.urgency, language=r.language)
        for r in REQUESTS
    ]
    keyring = Keyring(intake, intake_private_key)
    first = submissions[0]
    do_reply(
        actor=intake,
        keyring=keyring,
        request=first.request,
        body="Мы получили ваше сообщение. Вы сейчас в безопасности? Можете ли остаться там ещё неделю?",
    )
    access = access_by_receipt(first.receipt)
    do_requester_message(request=access.request, secret=access.secret, body="Да, неделю могу. Телефон новый.")
    do_set_status(actor=intake, request=submissions[2].request, status="reviewing")
    do_mark_possible_plant(actor=intake, request=submissions[4].request, suspected=True)
    return submissions


def create_demo_cases(
    *,
    organisation: Organisation,
    coordinator: User,
    coordinator_key: bytes,
    caseworker: User,
    caseworker_key: bytes,
    intake: User,
    intake_key: bytes,
    submissions: list[Submission],
) -> None:
    """Accept two requests into cases and give them a few days of work: people, passports, a shelter, tasks."""
    intake_ring = Keyring(intake, intake_key)
    worker = Keyring(caseworker, caseworker_key)
    coordinator_ring = Keyring(coordinator, coordinator_key)
    first = do_accept_request(
        actor=intake,
        keyring=intake_ring,
        request=submissions[0].request,
        team=[caseworker, coordinator],
        priority=Priority.EMERGENCY,
    )
    second = do_accept_request(
        actor=intake,
        keyring=intake_ring,
        request=submissions[-1].request,
        team=[caseworker],
        priority=Priority.NORMAL,
    )
    shelter = do_create_shelter(
        actor=coordinator,
        details=ShelterDetails(
            code_name="Linden",
            capacity=4,
            city="Ереван",
            rules="Не сообщать адрес никому. Звонить куратору перед выходом.",
            address="ул. Вымышленная, 1, кв. 2",
        ),
    )
    person = Person.objects.get(case=first, role=PersonRole.REQUESTER)
    identity = Compartment.objects.get(person=person, kind="identity")
    do_save_compartment(
        actor=caseworker,
        keyring=worker,
        person=person,
        kind="identity",
        data={
            "legal_name": "Юрий Иванов",
            "phone": "+7 928 555-01-17",
            "internal_passport_number": "8203 551177",
            "international_passport_number": "75 5512345",
            "international_passport_expiry": "2027-03-01",
        },
        version=identity.version,
    )
    do_add_person(
        actor=caseworker, keyring=worker, case=first, role=PersonRole.PARTNER, details="Едет вместе, свой паспорт."
    )
    do_place_person(
        actor=coordinator,
        keyring=coordinator_ring,
        person=person,
        shelter=shelter,
        starts_on=first.opened_on,
        planned_until=None,
    )
    do_add_task(
        actor=caseworker,
        keyring=worker,
        case=first,
        title="Записать на приём в посольство Германии",
        due_on=first.opened_on,
        owner=caseworker,
    )
    do_add_note(
        actor=caseworker, keyring=worker, case=first, body="Первый звонок: в безопасности, нужен врач (колено)."
    )
    do_change_stage(actor=caseworker, keyring=worker, case=first, stage=Stage.SHELTERED, version=first.version)
    pathway = Pathway.objects.filter(country="Germany").first()
    do_edit_case(
        actor=caseworker,
        keyring=worker,
        case=second,
        version=second.version,
        priority=Priority.NORMAL,
        pathway=pathway,
        budget_minor=150_000,
        currency="EUR",
        summary="Хочет в Германию; загранпаспорт есть. Проверить §22.",
    )

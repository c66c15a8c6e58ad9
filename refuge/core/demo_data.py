"""Synthetic demo data, created through the real actions (so it is encrypted like real data).

Every person, place and event here is invented. The stories follow the shape of
real cases (DOMAIN.md) so that the workspace looks like a working day.
"""

from __future__ import annotations

from dataclasses import dataclass

from refuge.accounts.models import Organisation, User
from refuge.intake.access import access_by_receipt
from refuge.intake.actions import (
    Submission,
    do_mark_possible_plant,
    do_reply,
    do_requester_message,
    do_set_status,
    do_submit_request,
)
from refuge.keyring.keyring import Keyring


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

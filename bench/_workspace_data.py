"""A large organisation's casework, for the workspace benchmark (bench/workspace.py) and its test.

`generate(organisation, staff=…, cases=100_000, people_per_case=3)` fills an organisation
with cases as ten years of work would leave them. The first `seeded` cases (50 by
default) go through the real actions, one after another, exactly as the workspace
would write them: `do_submit_request`, `do_accept_request`, `do_add_person`,
`do_save_compartment`, `do_add_task`, `do_complete_task`, `do_add_note`, `do_edit_case`,
`do_change_stage`, `do_set_lost_contact`, `do_place_person`, `do_end_placement`.
Every other case is written by the bulk path below, which builds the same rows with
the same code wherever that code does not touch the database, and inserts them in
chunks of 1,000 cases, one transaction per chunk.

What the bulk path shares with the actions (so its rows are the actions' rows):

- keys: `refuge.keyring.actions.prepare_key` (the first half of `do_create_key`) makes
  each case key, request key and compartment key and seals its wraps (`all_wraps`:
  `user_wrap` per holder, `requester_wrap`, `recovery_wrap`), which are then stored as
  `do_store_key` stores them;
- encrypted columns: `refuge.keyring.records.encrypt_column` on the model instance, so
  the associated data names the same table, column, row id and key version;
- blind indexes: the organisation's own blind-index keys opened with the server key
  (`blind_index_secrets`), `refuge.intake.actions.INDEXED_FIELDS` normalisers,
  `refuge.crypto.blind_index`, and `refuge.cases.compartments.index_values` to say which
  compartment field feeds which index; expiry tasks from `compartments.expiries`;
- what each action leaves behind, reproduced row for row: the request accepted (its
  group wrap gone, a user wrap per team member, `awaiting_team` off), the identity
  compartment of the requester held by the whole team, CaseIndex rows derived from
  it (the same digests as the request's RequestIndex rows), compartments
  of other people held by the member who created them, one CaseEvent per act with
  the same kind and detail, `Case.version` bumped by each stage change and edit.
  `tests/bench/test_workspace_data.py` checks the two paths give rows of the same
  shape that the team decrypts, that search finds and that rotation re-encrypts.

What the bulk path does differently or skips, and why it does not change what the
benchmark measures (list, filters, search, home page, one case page):

- No audit entries. Every action appends to the hash-chained audit log (about ten
  entries per case: key created, request status, case opened, person added, task
  added, stage changed, …). The pages measured never read the log; they only append
  to it (a read of a case page is audited), and an append costs the same whatever
  the length of the chain (an insert at the end of the `seq` index plus the head
  row). Writing a million chained entries would add minutes to every generation and
  nothing to the measurement. The seeded cases do have their entries.
- Dates: the actions stamp today's date; the bulk path spreads opening dates over
  ten years and derives the other dates (due, stage change, closing, tasks, events)
  from them, as if each action had run on its day. `Key.created_on` is an
  `auto_now_add` field and so says the day of generation.
- Receipts: a requester's receipt is never stored; the request's `lookup_id` and the
  requester's public key (which the real flow derives from the receipt with the
  pepper) are drawn at random instead: the same sizes, and nothing reads them here.
- Not generated at all: request messages and files, case documents, expenses. None
  of them is read by the list, search or home page; the case page shows an empty
  section for them.
- How rows reach the database: unsaved model instances are built in forked worker
  processes (the sealing, ~10 sealed boxes of ~50-90 µs per case, and the encryption
  run there) with `_new`, which sets every field as `Model(**values)` would (the same
  field defaults) without the cost of `Model.__init__`; each instance is turned into
  the values `bulk_create` would send (`field.pre_save(obj, add=True)` then
  `field.get_db_prep_save(...)`, every concrete field but auto-increment ids), and the
  parent process inserts them with `executemany` (SQLite, with a larger page cache for
  its own connection) or `COPY` (PostgreSQL). No model `save()` or signal runs, as with
  `bulk_create`.
- The organisation's shelters are made with `do_create_shelter`, and at the end the
  coordinator gives the shelter keys to the teams of people staying in one
  (`do_grant_key`), as approving the grants owed to them would.

The team layout (see LAYOUT): about 92 % of the cases are closed or declined and 8 %
open (a few thousand); each case has a lead caseworker and sometimes a second or
third member; a coordinator is on a few teams and sees every case through the list.
With 40 caseworkers and 100,000 cases each caseworker is on ~3,500 cases in all and
~250-300 open ones (the busiest, whom the benchmark logs in as: 3,360 and 306). Rainbow
Railroad receives ~10,000 requests a year: 100,000 cases is about ten years of accepted
work (opening dates are spread over ten years, denser towards today), of which only the
last year and a half is still open.
"""

from __future__ import annotations

import datetime
import json
import math
import multiprocessing
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Bump when the rows the generator writes change (bench/workspace.py keys its cache on it).
GENERATOR_VERSION = 2

# ---------------------------------------------------------------------------------------------
# The layout: how the cases of a large organisation are spread. Shares are of all cases.
# ---------------------------------------------------------------------------------------------

LAYOUT: dict[str, Any] = {
    # Varieties of case and their share of the bulk cases (see _VARIETIES below).
    "varieties": {
        "closed_relocated": 0.40,
        "closed_other": 0.40,
        "closed_with_stay": 0.08,
        "declined": 0.02,
        "reopened": 0.004,
        "open_accepted": 0.020,
        "open_sheltered": 0.012,
        "open_documents": 0.016,
        "open_applying": 0.016,
        "open_travel": 0.006,
        "open_arrived": 0.006,
    },
    "priority": {"emergency": 0.12, "urgent": 0.33, "normal": 0.55},
    # Team: a lead caseworker; a second member, a third; a coordinator on the team.
    "second_member": 0.35,
    "third_member": 0.05,
    "coordinator_on_team": 0.03,
    # Share of open cases with the lost-contact alarm raised.
    "lost_contact": 0.05,
    # Share of requesters who wrote their name in Latin letters (the others in Cyrillic).
    "latin_name": 0.35,
    # Share of other people (family, partner, …) with an identity compartment.
    "other_identity": 0.30,
    # Share of requesters whose identity compartment was edited later (international
    # passport and its expiry: a second document number and an expiry task).
    "identity_edited": 0.20,
    # Open placements in the shelters: share of open "sheltered" cases placed.
    "placed_when_sheltered": 0.12,
    "years": 10,
}

SHELTERS = [
    ("Linden", 18), ("Aspen", 12), ("Heron", 25), ("Volga", 10), ("Birch", 16), ("Onega", 20),
    ("Wren", 8), ("Cedar", 14), ("Teal", 10), ("Rowan", 22), ("Lark", 12), ("Oka", 15),
]  # fmt: skip

TASK_TITLES = [
    "Call back about the safe flat", "Check the visa appointment", "Send the documents list",
    "Ask for the police summons scan", "Book a psychologist", "Confirm the travel date",
    "Translate the court decision", "Pay the rent of the flat", "Prepare the embassy letter",
    "Check in after the interview", "Collect the birth certificate", "Arrange the medical exam",
]  # fmt: skip
APPOINTMENT_TITLES = ["Embassy interview", "Biometrics appointment", "Lawyer consultation", "Doctor", "UNHCR interview"]
NOTE_BODIES = [
    "Spoke on Signal, feels safer since moving. Wants to know about the timing.",
    "Documents checked, the scan of the internal passport is readable.",
    "Family called him again; advised not to answer unknown numbers.",
    "Embassy asked for more proof of the threat; collecting the summons and messages.",
    "Ticket bought through the partner; the route avoids transit through Moscow.",
    "No answer for two days; tried the backup contact.",
]
PERSON_DETAILS = [
    "Speaks Russian and some English.", "Partner, travels with them.", "Needs regular medication.",
    "Child, 9 years old, goes to school.", "Sister, also threatened by the family.", "",
]  # fmt: skip
STORIES = [
    "Меня задержали на блокпосту, забрали телефон и требовали назвать знакомых. Отпустили через два дня.",
    "My brother found messages on my phone. My family says I must come home or they will find me.",
    "Уволили с работы после доноса. Участковый приходил дважды, угрожал делом.",
    "Я правозащитник, на меня завели дело об «экстремизме». Нужна помощь с визой.",
    "They posted my photos in a group chat with my address. I left the city the same night.",
    "Родственники узнали, забрали паспорт. Сейчас у знакомых, денег нет.",
]
PLACES = [
    "Махачкала",
    "Moscow region",
    "Нижегородская область",
    "Санкт-Петербург",
    "Казань",
    "Grozny",
    "Tbilisi",
    "Yerevan",
]
CONTACTS = ["Signal после 21:00, не звонить", "Email through Proton only", "Telegram, только секретный чат", ""]

MALE_NAMES = (  # noqa: SIM905 - a word list reads better as text
    "Александр Алексей Андрей Антон Аркадий Арсений Артём Борис Вадим Валерий Василий Виктор Виталий "
    "Владимир Владислав Всеволод Вячеслав Геннадий Георгий Глеб Григорий Даниил Денис Дмитрий Евгений "
    "Егор Иван Игорь Илья Кирилл Константин Лев Леонид Максим Марат Марк Михаил Никита Николай Олег Павел "
    "Пётр Роман Руслан Рустам Сергей Станислав Степан Тимур Фёдор Филипп Юрий Ярослав Ахмед Магомед Ислам "
    "Зелимхан Адам Шамиль"
).split()
FEMALE_NAMES = (  # noqa: SIM905 - a word list reads better as text
    "Алина Алла Анастасия Анна Валентина Валерия Вера Виктория Галина Дарья Диана Ева Екатерина Елена "
    "Елизавета Жанна Зарина Злата Инна Ирина Карина Кристина Ксения Лариса Лейла Любовь Людмила Марина "
    "Мария Милана Надежда Наталья Нина Оксана Ольга Полина Светлана София Таисия Тамара Ульяна Юлия Яна "
    "Мадина Амина Хадижат Патимат"
).split()
SURNAMES = (  # noqa: SIM905 - a word list reads better as text
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков "
    "Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин "
    "Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов "
    "Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв Белов "
    "Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов "
    "Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов Мельников Денисов Гаврилов Тихонов "
    "Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков "
    "Назаров Калинин Исаев Чернышёв Быков Маслов Родионов Коновалов Лазарев Воронин Климов Филатов "
    "Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев "
    "Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин Ефремов Архипов Громов Кириллов "
    "Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов Еремеев Тихомиров Галкин "
    "Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков Левин "
    "Митрофанов Воронов Аксёнов Софронов Мальцев Логинов Горшков Савин Краснов Майоров Демидов Елисеев "
    "Рыбаков Сафонов Плотников Демин Хохлов Жданов Исмаилов Магомедов Алиев Кадыров Умаров"
).split()

# ICAO 9303 (Russian passports since 2013): the Latin spelling a passport prints.
_ICAO = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y _ e iu ia".split(),  # noqa: SIM905
        strict=True,
    )
)
_ICAO["ь"] = ""


def icao(text: str) -> str:
    """The passport's Latin spelling of a Russian name ("Юрий Фёдоров" -> "Iurii Fedorov")."""
    out = []
    for word in text.split():
        latin = "".join(_ICAO.get(ch, ch) for ch in word.lower())
        out.append(latin[:1].upper() + latin[1:])
    return " ".join(out)


def _female_surname(surname: str) -> str:
    return surname + "а" if surname.endswith(("ов", "ев", "ёв", "ин")) else surname


@dataclass(frozen=True)
class StaffMember:
    """A member of the organisation and the private key their login would unlock."""

    user: Any  # refuge.accounts.models.User
    private_key: bytes


@dataclass
class Probe:
    """One bulk case's handles, for the benchmark's searches and case pages."""

    case_id: str
    reference: str
    stage: str
    lead_id: str
    team_ids: list[str]
    pseudonym: str
    name_latin: str
    name_cyrillic: str
    phone: str
    document_number: str


@dataclass
class Report:
    cases: int = 0
    seeded: int = 0
    seconds: float = 0.0
    seeded_seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    probes: list[Probe] = field(default_factory=list)
    seeded_case_ids: list[Any] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Plans: what happens to a case, decided before any row is written, the same for both paths.
# ---------------------------------------------------------------------------------------------

_PATHS = {
    "closed_relocated": ["documents", "applying", "travel", "arrived", "closed"],
    "closed_other": ["closed"],
    "closed_with_stay": ["sheltered", "documents", "closed"],
    "declined": ["closed", "screening", "declined"],
    "reopened": ["closed", "screening"],
    "open_accepted": [],
    "open_sheltered": ["sheltered"],
    "open_documents": ["documents"],
    "open_applying": ["documents", "applying"],
    "open_travel": ["documents", "applying", "travel"],
    "open_arrived": ["documents", "applying", "travel", "arrived"],
}
_OPEN = {name for name in _PATHS if name.startswith("open_")} | {"reopened"}
_WITH_PATHWAY = {"closed_relocated", "open_applying", "open_travel", "open_arrived"}


@dataclass
class PersonPlan:
    role: str
    details: str
    # Identity compartment content (None: no compartment), and whether a later edit added
    # the international passport (requester only).
    identity: dict[str, str] | None
    name_cyrillic: str = ""


@dataclass
class TaskPlan:
    title: str
    kind: str
    due_offset: int  # days from today (open cases) or from opening (closed ones)
    owner: int | None  # index into the team, None: nobody
    done: bool


@dataclass
class CasePlan:
    variety: str
    priority: str
    urgency: str
    language: str
    answers: dict[str, Any]
    team: list[int]  # indexes into the staff list; [0] is the lead
    people: list[PersonPlan]
    tasks: list[TaskPlan]
    notes: list[str]
    stages: list[str]
    closing_reason: str
    pathway: int | None
    budget_minor: int | None  # minor units of EUR, as do_edit_case stores it
    lost_contact: bool
    identity_edit: dict[str, str] | None
    # Shelter stay: (shelter index, open?) or None.
    stay: tuple[int, bool] | None
    opened_days_ago: int
    name_latin: str
    name_cyrillic: str


def _weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _name(rng: random.Random) -> tuple[str, str]:
    """(Cyrillic, Latin as in the passport) for one person."""
    if rng.random() < 0.55:
        first, surname = rng.choice(MALE_NAMES), rng.choice(SURNAMES)
    else:
        first, surname = rng.choice(FEMALE_NAMES), _female_surname(rng.choice(SURNAMES))
    cyrillic = f"{first} {surname}"
    return cyrillic, icao(cyrillic)


def _phone(rng: random.Random) -> str:
    return f"+7 9{rng.randrange(10, 100)} {rng.randrange(100, 1000)}-{rng.randrange(10, 100)}-{rng.randrange(10, 100)}"


def _internal_passport(rng: random.Random) -> str:
    return f"{rng.randrange(10, 100)} {rng.randrange(10, 100)} {rng.randrange(100000, 1000000)}"


def plan_case(
    rng: random.Random,
    *,
    variety: str,
    caseworkers: Sequence[int],
    coordinators: Sequence[int],
    pathways: Sequence[int],
    people_per_case: float,
    every_shape: bool = False,
) -> CasePlan:
    """Decide one case. every_shape: give it one task of every shape (seeded cases)."""
    is_open = variety in _OPEN
    priority = _weighted(rng, LAYOUT["priority"])
    urgency = {"emergency": "now", "urgent": "weeks", "normal": rng.choice(["weeks", "later"])}[priority]
    cyrillic, latin = _name(rng)
    written_latin = rng.random() < LAYOUT["latin_name"]
    language = "en" if written_latin and rng.random() < 0.7 else "ru"
    answers: dict[str, Any] = {
        "what_happened": rng.choice(STORIES),
        "where_now": rng.choice(PLACES),
        "contact": rng.choice(CONTACTS),
        "name": latin if written_latin else cyrillic,
        "phone": _phone(rng) if rng.random() < 0.8 else "",
        "documents": ["internal_passport"],
        "document_number": _internal_passport(rng) if rng.random() < 0.7 else "",
        "others_at_risk": "",
        "languages": ["ru"] if language == "ru" else ["ru", "en"],
        "languages_other": "",
        "anything_else": "",
        "custom": {},
    }
    team = [rng.choice(caseworkers)]
    for share in (LAYOUT["second_member"], LAYOUT["third_member"]):
        if rng.random() < share:
            other = rng.choice(caseworkers)
            if other not in team:
                team.append(other)
    if coordinators and rng.random() < LAYOUT["coordinator_on_team"]:
        team.append(coordinators[0])
    identity = {
        name: answers[source]
        for name, source in (
            ("legal_name", "name"),
            ("phone", "phone"),
            ("internal_passport_number", "document_number"),
        )
        if answers[source].strip()
    }
    people = [PersonPlan("requester", "", identity, cyrillic)]
    extra = min(_poisson(rng, max(0.0, people_per_case - 1)), 12)
    for _ in range(extra):
        role = rng.choice(["family", "partner", "child", "other", "partner", "family"])
        other_identity = None
        other_cyrillic = ""
        if rng.random() < LAYOUT["other_identity"]:
            other_cyrillic, other_latin = _name(rng)
            other_identity = {"legal_name": other_latin}
            if rng.random() < 0.5:
                other_identity["internal_passport_number"] = _internal_passport(rng)
        people.append(PersonPlan(role, rng.choice(PERSON_DETAILS), other_identity, other_cyrillic))
    identity_edit = None
    if every_shape or rng.random() < LAYOUT["identity_edited"]:
        identity_edit = dict(identity)
        identity_edit["international_passport_number"] = f"7{rng.randrange(10_000_000, 100_000_000)}"
        identity_edit["international_passport_expiry"] = "?"  # set from the dates below
    # Opening day: open cases within the last year and a half, closed ones over the years.
    if is_open:
        opened = int(540 * rng.random() ** 1.5)
    else:
        # More cases in later years (the organisation grew): density rising towards today.
        opened = 60 + int((LAYOUT["years"] * 365 - 60) * (1 - math.sqrt(rng.random())))
    tasks: list[TaskPlan] = []
    team_size = len(team)
    owner = lambda: 0 if rng.random() < 0.8 else rng.randrange(team_size)  # noqa: E731
    if is_open:
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
            done = rng.random() < 0.3
            tasks.append(TaskPlan(rng.choice(TASK_TITLES), "task", rng.randrange(-45, 61), owner(), done))
        if rng.random() < 0.2:
            tasks.append(TaskPlan(rng.choice(APPOINTMENT_TITLES), "appointment", rng.randrange(0, 22), owner(), False))
    else:
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            tasks.append(TaskPlan(rng.choice(TASK_TITLES), "task", rng.randrange(1, 120), owner(), True))
    if every_shape:
        tasks += [
            TaskPlan("Open task", "task", 5, 0, False),
            TaskPlan("Overdue task", "task", -5, 0, False),
            TaskPlan("Done task", "task", 3, 0, True),
            TaskPlan("Nobody's task", "task", 7, None, False),
            TaskPlan("Embassy interview", "appointment", 2, 0, False),
        ]
    notes = [rng.choice(NOTE_BODIES) for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))]
    closing_reason = ""
    if variety == "closed_relocated":
        closing_reason = "relocated"
    elif variety in {"closed_other", "closed_with_stay", "declined", "reopened"}:
        closing_reason = rng.choice(["self_relocated", "withdrew", "ineligible", "referred"])
    pathway = None
    if pathways and (variety in _WITH_PATHWAY or rng.random() < 0.1):
        pathway = rng.choice(pathways)
    budget = rng.randrange(5, 200) * 100 * 100 if pathway is not None and rng.random() < 0.5 else None
    stay: tuple[int, bool] | None = None
    if variety == "closed_with_stay":
        stay = (rng.randrange(len(SHELTERS)), False)
    elif variety == "open_sheltered" and rng.random() < LAYOUT["placed_when_sheltered"]:
        stay = (rng.randrange(len(SHELTERS)), True)
    return CasePlan(
        variety=variety,
        priority=priority,
        urgency=urgency,
        language=language,
        answers=answers,
        team=team,
        people=people,
        tasks=tasks,
        notes=notes,
        stages=list(_PATHS[variety]),
        closing_reason=closing_reason,
        pathway=pathway,
        budget_minor=budget,
        lost_contact=is_open and rng.random() < LAYOUT["lost_contact"],
        identity_edit=identity_edit,
        stay=stay,
        opened_days_ago=opened,
        name_latin=latin,
        name_cyrillic=cyrillic,
    )


# ---------------------------------------------------------------------------------------------
# The context shared with the worker processes (inherited through fork, never pickled).
# ---------------------------------------------------------------------------------------------


@dataclass
class _Context:
    organisation: Any
    staff: list[Any]  # User instances, in the order plans index them
    caseworkers: list[int]
    coordinators: list[int]
    acceptor: int
    pathways: list[int]
    pathway_codes: dict[int, str]
    shelters: list[tuple[Any, str, int]]  # (Shelter id, code name, capacity)
    index_secrets: dict[str, bytes]
    today: datetime.date
    people_per_case: float
    seed: int
    varieties: dict[str, float]
    # Unique values drawn once without repetition; each chunk of cases takes its own slice.
    references: list[int]
    pseudonyms: list[int]
    chunk_size: int
    probe_every: int


_CONTEXT: _Context | None = None
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _code(number: int) -> str:
    return "".join(_ALPHABET[(number >> (5 * i)) & 31] for i in range(6))


def _pseudonym(number: int) -> str:
    from refuge.cases.pseudonyms import WORDS

    return f"{WORDS[number // 90000]} {number % 90000 + 10000}"


def _people_slice(chunk_size: int, people_per_case: float) -> int:
    return int(chunk_size * people_per_case * 1.4) + 40


def _rng_for(seed: int, index: int) -> random.Random:
    return random.Random(f"refuge-bench:{seed}:{index}")


def _plan_for(context: _Context, index: int, *, variety: str | None = None, every_shape: bool = False) -> CasePlan:
    rng = _rng_for(context.seed, index)
    return plan_case(
        rng,
        variety=variety or _weighted(rng, context.varieties),
        caseworkers=context.caseworkers,
        coordinators=context.coordinators,
        pathways=context.pathways,
        people_per_case=context.people_per_case,
        every_shape=every_shape,
    )


# ---------------------------------------------------------------------------------------------
# The bulk path: one chunk of cases built in a worker, as unsaved model instances.
# ---------------------------------------------------------------------------------------------

# Insert order: a row's foreign keys point at rows of the models before it.
MODELS = (
    "Key", "KeyWrap", "HelpRequest", "RequestIndex", "Case", "TeamMember", "Person", "Compartment",
    "CaseIndex", "Task", "Note", "CaseEvent", "Placement",
)  # fmt: skip


@dataclass
class _Chunk:
    # Model name -> rows ready for the database: (table, columns, tuples of database values).
    rows: dict[str, tuple[str, list[str], list[tuple[Any, ...]]]]
    # (shelter index, PLACED event id, placement id) of open stays, checked against capacity;
    # the ids as the database stores them.
    stays: list[tuple[int, Any, Any]]
    probes: list[Probe]


_FIELDS: dict[type, list[tuple[str, Any]]] = {}


def _fields_of(model: type) -> list[tuple[str, Any]]:
    found = _FIELDS.get(model)
    if found is None:
        # Generated columns (Case.still_open) are the database's to compute, never inserted.
        fields = [f for f in model._meta.concrete_fields if not f.generated]  # type: ignore[attr-defined]
        found = _FIELDS[model] = [(f.attname, f) for f in fields]
    return found


def _new(model: Any, **values: Any) -> Any:
    """An unsaved instance, as `model(**values)` makes it (defaults from each field), without
    the cost of Model.__init__ (tens of microseconds for each of the ~40 rows of a case)."""
    from django.db.models.base import ModelState

    instance = model.__new__(model)
    instance._state = ModelState()
    attributes = instance.__dict__
    for attname, model_field in _fields_of(model):
        attributes[attname] = values.pop(attname) if attname in values else model_field.get_default()
    if values:
        raise TypeError(f"{model.__name__} has no field {', '.join(values)}")
    return instance


def _database_rows(instances: list[Any]) -> tuple[str, list[str], list[tuple[Any, ...]]]:
    """What bulk_create would send: every concrete field but an auto-increment id, through
    pre_save (auto_now_add) and get_db_prep_save (the backend's own representation)."""
    from django.db import connections
    from django.db.models import AutoField, BigAutoField, DateField

    database = connections["default"]  # the wrapper itself, not the thread-local proxy
    model = type(instances[0])
    fields = [f for _a, f in _fields_of(model) if not isinstance(f, AutoField | BigAutoField)]
    getters = []
    for f in fields:
        if isinstance(f, DateField) and (f.auto_now or f.auto_now_add):
            getters.append(lambda obj, f=f: f.get_db_prep_save(f.pre_save(obj, True), database))
        else:
            getters.append(lambda obj, f=f, name=f.attname: f.get_db_prep_save(obj.__dict__[name], database))
    rows = [tuple(_plain(get(obj)) for get in getters) for obj in instances]
    return model._meta.db_table, [f.column for f in fields], rows


def _plain(value: Any) -> Any:
    # SQLite's Binary is memoryview, which cannot travel between processes; bytes is the same blob.
    return bytes(value) if isinstance(value, memoryview) else value


def _build_chunk(bounds: tuple[int, int]) -> _Chunk:
    """Plans and rows of the bulk cases with global indexes start..stop-1."""
    from django.db import connection

    context = _CONTEXT
    assert context is not None
    start, stop = bounds
    chunk_number = start // context.chunk_size
    references = iter(context.references[2 * start : 2 * stop])
    width = _people_slice(context.chunk_size, context.people_per_case)
    pseudonyms = iter(context.pseudonyms[chunk_number * width : (chunk_number + 1) * width])
    instances: dict[str, list[Any]] = {name: [] for name in MODELS}
    stays: list[tuple[int, Any, Any]] = []
    probes: list[Probe] = []
    for index in range(start, stop):
        plan = _plan_for(context, index)
        _bulk_case(
            context, plan, instances, stays, probes, references, pseudonyms, probe=index % context.probe_every == 0
        )
    rows = {name: _database_rows(found) for name, found in instances.items() if found}
    uuid_field = instances["Case"][0]._meta.pk
    stored = [
        (shelter, uuid_field.get_db_prep_save(event, connection), uuid_field.get_db_prep_save(placement, connection))
        for shelter, event, placement in stays
    ]
    return _Chunk(rows, stored, probes)


def _at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC)


def _bulk_case(
    context: _Context,
    plan: CasePlan,
    rows: dict[str, list[Any]],
    stays: list[tuple[int, Any, Any]],
    probes: list[Probe],
    references: Any,
    pseudonyms: Any,
    *,
    probe: bool,
) -> None:
    from refuge.cases import compartments as schema
    from refuge.cases.models import (
        PRIORITY_DUE_DAYS,
        Case,
        CaseEvent,
        CaseIndex,
        Compartment,
        CompartmentKind,
        EventKind,
        Note,
        Person,
        Priority,
        Stage,
        Task,
        TeamMember,
    )
    from refuge.crypto import blind_index, generate_keypair
    from refuge.intake.actions.submissions import INDEXED_FIELDS
    from refuge.intake.models import HelpRequest, RequesterStatus, RequestIndex
    from refuge.keyring.actions.keys import prepare_key
    from refuge.keyring.models import Purpose
    from refuge.keyring.records import encrypt_column
    from refuge.shelter.models import Placement

    organisation = context.organisation
    today = context.today
    team = [context.staff[i] for i in plan.team]
    lead = team[0]
    acceptor = context.staff[context.acceptor]
    opened = today - datetime.timedelta(days=plan.opened_days_ago)
    is_open = plan.variety in _OPEN
    # Days on which the case moved along its stages, after opening and before today.
    span = max(1, (plan.opened_days_ago if is_open else min(plan.opened_days_ago, 420)) - 1)
    steps = sorted(rng_days(plan, span, len(plan.stages)))
    stage_days = [opened + datetime.timedelta(days=d) for d in steps]

    def store(new_key: Any) -> Any:
        rows["Key"].append(new_key.key)
        rows["KeyWrap"].extend(new_key.wraps)
        return new_key.key, new_key.secret

    def event(kind: str, actor: Any, day: datetime.date, detail: dict[str, Any], hour: int = 12) -> Any:
        row = _new(CaseEvent, case_id=case.pk, key_id=case_key.pk, kind=kind, actor_id=actor.pk, at=_at(day, hour))
        encrypt_column(row, "detail", json.dumps(detail, ensure_ascii=False), case_secret, case_key)
        rows["CaseEvent"].append(row)
        return row

    def digests(kind: str, content: dict[str, Any]) -> list[tuple[str, str]]:
        found = []
        for index_field, value in schema.index_values(kind, content):
            normalised = INDEXED_FIELDS[index_field](value)
            if normalised:
                found.append((index_field, blind_index(context.index_secrets[index_field], index_field, normalised)))
        return found

    # The request, as submitted: its key for the requester and recovery (the intake group
    # wrap is deleted at acceptance, and a wrap per team member added: do_grant_key).
    requester_keypair = generate_keypair()
    request_key, request_secret = store(
        prepare_key(
            actor=None,
            organisation=organisation,
            purpose=Purpose.RECORD,
            label="request",
            members=team,
            requester_public_key=requester_keypair.public,
        )
    )
    received = _at(opened - datetime.timedelta(days=min(plan.opened_days_ago, 3)), 9)
    request = _new(
        HelpRequest,
        organisation_id=organisation.pk,
        reference="R-" + _code(next(references)),
        lookup_id=os.urandom(32).hex(),
        key_id=request_key.pk,
        urgency=plan.urgency,
        status=RequesterStatus.ACCEPTED,
        language=plan.language,
        received_at=received,
        last_activity_at=received,
        awaiting_team=False,
    )
    encrypt_column(request, "content", json.dumps(plan.answers, ensure_ascii=False), request_secret, request_key)
    rows["HelpRequest"].append(request)
    request_digests = []
    for name, normalise in INDEXED_FIELDS.items():
        value = plan.answers.get(name)
        normalised = normalise(value) if isinstance(value, str) else ""
        if normalised:
            request_digests.append((name, blind_index(context.index_secrets[name], name, normalised)))
    rows["RequestIndex"] += [
        _new(RequestIndex, request_id=request.pk, organisation_id=organisation.pk, field=f, digest=d)
        for f, d in request_digests
    ]

    # The case (do_accept_request), then what happened to it.
    case_key, case_secret = store(
        prepare_key(actor=None, organisation=organisation, purpose=Purpose.RECORD, label="case", members=team)
    )
    stage = Stage.ACCEPTED
    stage_changed = opened
    closed_on = None
    version = 1
    case = _new(
        Case,
        organisation_id=organisation.pk,
        reference="C-" + _code(next(references)),
        key_id=case_key.pk,
        request_id=request.pk,
        priority=plan.priority,
        stage=stage,
        opened_on=opened,
        due_on=opened + datetime.timedelta(days=PRIORITY_DUE_DAYS[Priority(plan.priority)]),
        stage_changed_on=opened,
        last_activity_on=opened,
        currency="EUR",
    )
    encrypt_column(case, "summary", json.dumps(plan.answers, ensure_ascii=False), case_secret, case_key)
    rows["TeamMember"] += [
        _new(TeamMember, case_id=case.pk, user_id=member.pk, lead=i == 0, added_on=opened)
        for i, member in enumerate(team)
    ]
    event(EventKind.OPENED, acceptor, opened, {"request": request.reference}, hour=10)

    people = []
    requester_person = None
    for position, person_plan in enumerate(plan.people):
        person = _new(
            Person,
            organisation_id=organisation.pk,
            case_id=case.pk,
            pseudonym=_pseudonym(next(pseudonyms)),
            role=person_plan.role,
            key_id=case_key.pk,
            added_on=opened,
        )
        details: dict[str, Any] = {} if position == 0 else {"details": person_plan.details}
        encrypt_column(person, "details", json.dumps(details, ensure_ascii=False), case_secret, case_key)
        rows["Person"].append(person)
        people.append(person)
        if position == 0:
            requester_person = person
            continue
        event(EventKind.PERSON_ADDED, lead, opened, {"pseudonym": person.pseudonym, "role": person_plan.role}, 11)
    assert requester_person is not None

    def compartment(person: Any, content: dict[str, Any], holders: list[Any], day: datetime.date, version: int) -> Any:
        key, secret = store(
            prepare_key(
                actor=None,
                organisation=organisation,
                purpose=Purpose.RECORD,
                label=f"compartment:{CompartmentKind.IDENTITY}",
                members=holders,
            )
        )
        row = _new(Compartment, person_id=person.pk, kind=CompartmentKind.IDENTITY, key_id=key.pk, updated_on=day)
        row.version = version
        encrypt_column(row, "content", json.dumps(content, ensure_ascii=False), secret, key)
        rows["Compartment"].append(row)
        return row

    def index_rows(person: Any, found: list[tuple[str, str]]) -> None:
        rows["CaseIndex"] += [
            _new(CaseIndex, organisation_id=organisation.pk, case_id=case.pk, person_id=person.pk, field=f, digest=d)
            for f, d in found
        ]

    # The requester's identity compartment, held by the whole team, and its indexes; then
    # the copies of the request's indexes that do_accept_request adds after it.
    requester_plan = plan.people[0]
    identity = requester_plan.identity or {}
    edit_day = stage_days[0] if stage_days else opened
    tasks = list(plan.tasks)
    if identity and plan.identity_edit is None:
        compartment(requester_person, identity, team, opened, 1)
        index_rows(requester_person, digests(CompartmentKind.IDENTITY, identity))
    elif plan.identity_edit is not None:
        # Edited later (do_save_compartment): indexes derived again from the new content
        # (the copies go), and the expiry task of the international passport. An edit of
        # the compartment made at acceptance keeps its key (the team) at version 2; one
        # made from nothing is new, version 1, held by the member who wrote it.
        content = dict(plan.identity_edit)
        if "international_passport_expiry" in content:
            content["international_passport_expiry"] = (edit_day + datetime.timedelta(days=700)).isoformat()
        content = schema.clean_content(CompartmentKind.IDENTITY, content)
        if identity:
            row = compartment(requester_person, content, team, edit_day, 2)
        else:
            index_rows(requester_person, request_digests)  # none: nothing was answered
            row = compartment(requester_person, content, [lead], edit_day, 1)
        index_rows(requester_person, digests(CompartmentKind.IDENTITY, content))
        event(EventKind.COMPARTMENT, lead, edit_day, {"pseudonym": requester_person.pseudonym, "kind": "identity"})
        for expiry in schema.expiries(CompartmentKind.IDENTITY, content):
            task = _new(
                Task,
                case_id=case.pk,
                organisation_id=organisation.pk,
                key_id=case_key.pk,
                created_on=edit_day,
                source=f"{row.pk}:{expiry.field}",
                owner_id=lead.pk,
                due_on=expiry.due_on,
            )
            if not is_open:
                task.done_on = min(today, edit_day + datetime.timedelta(days=30))
            encrypt_column(task, "title", expiry.title, case_secret, case_key)
            rows["Task"].append(task)
    elif request_digests:
        index_rows(requester_person, request_digests)
    for person, person_plan in zip(people[1:], plan.people[1:], strict=True):
        if person_plan.identity:
            content = schema.clean_content(CompartmentKind.IDENTITY, person_plan.identity)
            compartment(person, content, [lead], opened, 1)
            index_rows(person, digests(CompartmentKind.IDENTITY, content))
            event(EventKind.COMPARTMENT, lead, opened, {"pseudonym": person.pseudonym, "kind": "identity"}, 11)

    # Pathway and budget (do_edit_case), stage changes (do_change_stage).
    if plan.pathway is not None:
        case.pathway_id = plan.pathway
        case.budget_minor = plan.budget_minor
        changes: dict[str, Any] = {"pathway": context.pathway_codes[plan.pathway]}
        if plan.budget_minor is not None:
            changes["budget_minor"] = [plan.budget_minor, "EUR"]
        event(EventKind.EDITED, lead, edit_day, changes, 13)
        version += 1
    for day, target in zip(stage_days, plan.stages, strict=True):
        reason = plan.closing_reason if target == Stage.CLOSED else ""
        event(EventKind.STAGE, lead, day, {"from": stage, "to": target, "reason": reason}, 14)
        stage, stage_changed, version = target, day, version + 1
        closed_on = day if target == Stage.CLOSED else None
    case.stage = stage
    case.stage_changed_on = stage_changed
    case.closed_on = closed_on
    case.closing_reason = plan.closing_reason if stage == Stage.CLOSED else ""
    case.version = version
    last_day = stage_changed

    # Tasks (do_add_task, do_complete_task) and notes (do_add_note).
    for task_plan in tasks:
        if is_open:
            due = today + datetime.timedelta(days=task_plan.due_offset)
            created = max(opened, min(today, due - datetime.timedelta(days=14)))
        else:
            created = opened + datetime.timedelta(days=min(task_plan.due_offset // 2, span))
            due = created + datetime.timedelta(days=14)
        task = _new(
            Task,
            case_id=case.pk,
            organisation_id=organisation.pk,
            key_id=case_key.pk,
            kind=task_plan.kind,
            due_on=due,
            owner_id=team[task_plan.owner].pk if task_plan.owner is not None else None,
            created_on=created,
        )
        encrypt_column(task, "title", task_plan.title, case_secret, case_key)
        rows["Task"].append(task)
        event(EventKind.TASK, lead, created, {"title": task_plan.title, "due_on": due.isoformat()}, 15)
        last_day = max(last_day, created)
        if task_plan.done:
            task.done_on = min(today, due, (closed_on or today))
            task.done_on = max(task.done_on, created)
            event(EventKind.TASK_DONE, lead, task.done_on, {}, 16)
            last_day = max(last_day, task.done_on)
    for position, body in enumerate(plan.notes):
        day = min(today, opened + datetime.timedelta(days=position * 7 + 1))
        if closed_on is not None:
            day = min(day, closed_on)
        note = _new(Note, case_id=case.pk, key_id=case_key.pk, author_id=lead.pk, created_at=_at(day, 17))
        encrypt_column(note, "body", body, case_secret, case_key)
        rows["Note"].append(note)
        event(EventKind.NOTE, lead, day, {}, 17)
        last_day = max(last_day, day)

    # A stay in a shelter (do_place_person, do_end_placement).
    if plan.stay is not None:
        shelter_index, still_there = plan.stay
        shelter_id, code_name, _capacity = context.shelters[shelter_index]
        starts = stage_days[0] if stage_days else opened
        placement = _new(
            Placement,
            organisation_id=organisation.pk,
            shelter_id=shelter_id,
            person_id=requester_person.pk,
            case_id=case.pk,
            starts_on=starts,
            planned_until=starts + datetime.timedelta(days=90),
        )
        placed = event(EventKind.PLACED, lead, starts, {"pseudonym": requester_person.pseudonym, "shelter": code_name})
        if still_there:
            stays.append((shelter_index, placed.pk, placement.pk))
        else:
            placement.ended_on = min(today, starts + datetime.timedelta(days=60))
            event(EventKind.PLACEMENT_ENDED, lead, placement.ended_on, {"pseudonym": requester_person.pseudonym})
        rows["Placement"].append(placement)
    if plan.lost_contact:
        case.lost_contact_since = today - datetime.timedelta(days=(plan.opened_days_ago % 20) + 1)
        event(EventKind.LOST_CONTACT, lead, case.lost_contact_since, {})
        last_day = max(last_day, case.lost_contact_since)
    case.last_activity_on = min(today, last_day)
    rows["Case"].append(case)
    if probe:
        probes.append(
            Probe(
                case_id=str(case.pk),
                reference=case.reference,
                stage=case.stage,
                lead_id=str(lead.pk),
                team_ids=[str(member.pk) for member in team],
                pseudonym=requester_person.pseudonym,
                name_latin=plan.name_latin if plan.answers["name"] == plan.name_latin else "",
                name_cyrillic=plan.name_cyrillic,
                phone=plan.answers["phone"],
                document_number=plan.answers["document_number"],
            )
        )


def rng_days(plan: CasePlan, span: int, count: int) -> list[int]:
    """`count` distinct-ish days in 1..span for the stage changes, from the plan's own numbers."""
    rng = random.Random(f"{plan.opened_days_ago}:{plan.name_latin}:{plan.variety}")
    return [rng.randrange(1, span + 1) for _ in range(count)]


# ---------------------------------------------------------------------------------------------
# The seeded path: the same plans through the real actions.
# ---------------------------------------------------------------------------------------------


def _seed_with_actions(
    context: _Context, members: Sequence[StaffMember], plans: Sequence[CasePlan], shelters: list[Any]
) -> list[Any]:
    from refuge.cases.actions.compartments import do_save_compartment
    from refuge.cases.actions.details import (
        change_stage_on_record,
        do_change_stage,
        do_edit_case,
        do_set_lost_contact,
    )
    from refuge.cases.actions.notes import do_add_note
    from refuge.cases.actions.opening import do_accept_request
    from refuge.cases.actions.people import do_add_person
    from refuge.cases.actions.tasks import do_add_task, do_complete_task
    from refuge.cases.models import Case, CompartmentKind, Person, Task
    from refuge.cases.stages import RECORDED
    from refuge.intake.actions.submissions import do_submit_request
    from refuge.keyring.keyring import Keyring
    from refuge.relocation.models import Pathway
    from refuge.shelter.actions import do_end_placement, do_place_person

    rings = {id(member): Keyring(member.user, member.private_key) for member in members}
    acceptor = members[context.acceptor]
    made = []
    for plan in plans:
        team = [members[i] for i in plan.team]
        lead = team[0]
        ring = rings[id(lead)]
        submission = do_submit_request(
            organisation=context.organisation, answers=plan.answers, urgency=plan.urgency, language=plan.language
        )
        case = do_accept_request(
            actor=acceptor.user,
            keyring=rings[id(acceptor)],
            request=submission.request,
            team=[member.user for member in team],
            priority=plan.priority,
        )
        case = Case.objects.select_related("key", "request__key").get(pk=case.pk)
        requester = Person.objects.get(case=case)
        for person_plan in plan.people[1:]:
            person = do_add_person(
                actor=lead.user, keyring=ring, case=case, role=person_plan.role, details=person_plan.details
            )
            if person_plan.identity:
                do_save_compartment(
                    actor=lead.user,
                    keyring=ring,
                    person=person,
                    kind=CompartmentKind.IDENTITY,
                    data=person_plan.identity,
                    version=None,
                )
        if plan.identity_edit is not None:
            content = dict(plan.identity_edit)
            if "international_passport_expiry" in content:
                content["international_passport_expiry"] = (context.today + datetime.timedelta(days=700)).isoformat()
            existing = requester.compartments.first()
            do_save_compartment(
                actor=lead.user,
                keyring=ring,
                person=requester,
                kind=CompartmentKind.IDENTITY,
                data=content,
                version=existing.version if existing else None,
            )
        if plan.pathway is not None:
            case.refresh_from_db()
            do_edit_case(
                actor=lead.user,
                keyring=ring,
                case=case,
                version=case.version,
                priority=plan.priority,
                pathway=Pathway.objects.get(pk=plan.pathway),
                budget_minor=plan.budget_minor,
                currency="EUR",
                summary=json.dumps(plan.answers, ensure_ascii=False),
            )
        for task_plan in plan.tasks:
            task = do_add_task(
                actor=lead.user,
                keyring=ring,
                case=case,
                title=task_plan.title,
                due_on=context.today + datetime.timedelta(days=task_plan.due_offset),
                owner=team[task_plan.owner].user if task_plan.owner is not None else None,
                kind=task_plan.kind,
            )
            if task_plan.done:
                do_complete_task(actor=lead.user, keyring=ring, task=Task.objects.get(pk=task.pk))
        for body in plan.notes:
            do_add_note(actor=lead.user, keyring=ring, case=case, body=body)
        if plan.stay is not None:
            shelter = shelters[plan.stay[0]]
            placement = do_place_person(
                actor=lead.user,
                keyring=ring,
                person=requester,
                shelter=shelter,
                starts_on=context.today,
                planned_until=context.today + datetime.timedelta(days=90),
            )
            if not plan.stay[1]:
                do_end_placement(actor=lead.user, keyring=ring, placement=placement, ended_on=context.today)
        for target in plan.stages:
            case.refresh_from_db()
            reason = plan.closing_reason if target == "closed" else ""
            if target in RECORDED:  # what the travel records do (the stage form refuses these)
                change_stage_on_record(actor=lead.user, keyring=ring, case=case, stage=target)
            else:
                do_change_stage(
                    actor=lead.user, keyring=ring, case=case, stage=target, version=case.version, closing_reason=reason
                )
        if plan.lost_contact:
            case.refresh_from_db()
            do_set_lost_contact(actor=lead.user, keyring=ring, case=case, lost=True)
        if plan.variety not in _OPEN:
            # A closed case's expiry tasks were done before it closed (as in the bulk path).
            for task in Task.objects.filter(case=case, done_on__isnull=True).exclude(source=""):
                do_complete_task(actor=lead.user, keyring=ring, task=task)
        made.append(case)
    return made


# ---------------------------------------------------------------------------------------------
# generate()
# ---------------------------------------------------------------------------------------------

# The seeded cases go through these in turn, so that every shape of row the bulk path
# writes was also written by an action.
SEED_VARIETIES = [
    "closed_relocated", "open_sheltered", "open_applying", "closed_with_stay", "reopened", "declined",
    "open_accepted", "closed_other", "open_documents", "open_travel", "open_arrived",
]  # fmt: skip


def generate(
    organisation: Any,
    *,
    staff: Sequence[StaffMember],
    cases: int = 100_000,
    people_per_case: float = 3.0,
    seeded: int = 50,
    seed: int = 1,
    processes: int | None = None,
    chunk_size: int = 1000,
    probe_every: int = 97,
    today: datetime.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Fill `organisation` with `cases` cases (`seeded` of them through the actions).

    staff: the organisation's coordinators and caseworkers with their private keys (the
    first coordinator accepts every request; caseworkers make up the teams).
    processes: worker processes for the crypto of the bulk path (None: one per core;
    0: build in this process, e.g. inside a test's transaction).
    """
    from django.db import connections
    from django.utils import timezone

    from refuge.accounts.models import Role
    from refuge.cases.models import Person
    from refuge.intake.actions.submissions import INDEXED_FIELDS
    from refuge.keyring.records import blind_index_secrets
    from refuge.relocation.models import Pathway
    from refuge.shelter.actions import ShelterDetails, do_create_shelter
    from refuge.shelter.models import Shelter

    started = time.monotonic()
    say = progress or (lambda _message: None)
    today = today or timezone.localdate()
    members = list(staff)
    coordinators = [i for i, m in enumerate(members) if m.user.role == Role.COORDINATOR]
    caseworkers = [i for i, m in enumerate(members) if m.user.role == Role.CASEWORKER]
    if not coordinators or not caseworkers:
        raise ValueError("generate() needs at least one coordinator and one caseworker")
    seeded = min(seeded, cases)
    pathways = list(Pathway.objects.order_by("pk").values_list("pk", "code"))

    # Shelters through the real action, once per organisation.
    coordinator = members[coordinators[0]]
    shelters = list(Shelter.objects.filter(organisation=organisation).order_by("created_on", "code_name"))
    if not shelters:
        for code_name, capacity in SHELTERS:
            do_create_shelter(
                actor=coordinator.user,
                details=ShelterDetails(code_name, capacity, "City of " + code_name, "Quiet after 22:00", "Street 1"),
            )
        shelters = list(Shelter.objects.filter(organisation=organisation))
    by_name = {shelter.code_name: shelter for shelter in shelters}
    shelters = [by_name[name] for name, _capacity in SHELTERS]

    varieties = LAYOUT["varieties"]
    context = _Context(
        organisation=organisation,
        staff=[member.user for member in members],
        caseworkers=caseworkers,
        coordinators=coordinators,
        acceptor=coordinators[0],
        pathways=[pk for pk, _code_name in pathways],
        pathway_codes=dict(pathways),
        shelters=[(shelter.pk, shelter.code_name, shelter.capacity) for shelter in shelters],
        index_secrets=blind_index_secrets(organisation, INDEXED_FIELDS),
        today=today,
        people_per_case=people_per_case,
        seed=seed,
        varieties=varieties,
        references=[],
        pseudonyms=[],
        chunk_size=chunk_size,
        probe_every=probe_every,
    )

    # 1. The seeded cases, through the actions.
    seeded_started = time.monotonic()
    plans = [
        _plan_for(context, index, variety=SEED_VARIETIES[index % len(SEED_VARIETIES)], every_shape=index < 2)
        for index in range(seeded)
    ]
    for index, plan in enumerate(plans):
        if plan.variety == "open_sheltered" and plan.stay is None:
            plan.stay = (index % len(SHELTERS), True)  # the seeded ones cover a current stay
    seeded_cases = _seed_with_actions(context, members, plans, shelters)
    seeded_seconds = time.monotonic() - seeded_started
    say(f"{seeded} cases through the actions in {seeded_seconds:.1f} s")

    # 2. Unique references and pseudonyms for the bulk cases, avoiding what exists.
    from refuge.cases.models import Case
    from refuge.cases.pseudonyms import WORDS
    from refuge.intake.models import HelpRequest

    bulk = cases - seeded
    chunks = [(seeded + i, min(cases, seeded + i + chunk_size)) for i in range(0, bulk, chunk_size)]
    taken_codes = {ref[2:] for ref in Case.objects.values_list("reference", flat=True)}
    taken_codes |= {ref[2:] for ref in HelpRequest.objects.values_list("reference", flat=True)}
    taken_pseudonyms = set(Person.objects.filter(organisation=organisation).values_list("pseudonym", flat=True))
    rng = random.Random(f"refuge-bench:{seed}:unique")
    codes = [c for c in rng.sample(range(32**6), 2 * cases + 2 * len(taken_codes) + 10) if _code(c) not in taken_codes]
    # References of other organisations are unique installation-wide too: checked on insert.
    context.references = [0] * (2 * seeded) + codes[: 2 * bulk]
    width = _people_slice(chunk_size, people_per_case)
    needed = (seeded // chunk_size + len(chunks) + 1) * width
    space = len(WORDS) * 90000
    if needed > space * 0.9:
        raise ValueError(f"{cases} cases with {people_per_case} people each need more pseudonyms than exist")
    drawn = rng.sample(range(space), min(space, needed + len(taken_pseudonyms)))
    context.pseudonyms = [p for p in drawn if _pseudonym(p) not in taken_pseudonyms][:needed]

    # 3. The bulk cases: built in workers (crypto), inserted here, a transaction per chunk.
    global _CONTEXT
    _CONTEXT = context
    report = Report(cases=cases, seeded=seeded, seeded_seconds=seeded_seconds)
    report.seeded_case_ids = [case.pk for case in seeded_cases]
    counts: Counter[str] = Counter()
    occupancy: Counter[int] = Counter()
    from refuge.shelter.models import Placement

    positions = {shelter.pk: i for i, shelter in enumerate(shelters)}
    for shelter_id in Placement.objects.filter(shelter__in=shelters, ended_on__isnull=True).values_list(
        "shelter_id", flat=True
    ):
        occupancy[positions[shelter_id]] += 1
    workers = (len(os.sched_getaffinity(0)) if processes is None else processes) if chunks else 0
    pool = None
    try:
        if workers > 0:
            # Forked workers inherit the context; they never touch the database, and the
            # parent's connections are closed first so no child holds a copy of one.
            connections.close_all()
            pool = multiprocessing.get_context("fork").Pool(workers)
            results = _windowed(pool, chunks, 2 * workers)
        else:
            results = map(_build_chunk, chunks)
        _bigger_cache()
        done = 0
        for chunk in results:
            _insert(chunk, context, occupancy, counts)
            report.probes += chunk.probes
            done += len(chunk.rows["Case"][2])
            if done % (chunk_size * 10) < chunk_size or done == bulk:
                say(f"{seeded + done:,} / {cases:,} cases ({time.monotonic() - started:.0f} s)")
        if pool is not None:
            pool.close()
            pool.join()
            pool = None
    finally:
        _CONTEXT = None
        if pool is not None:
            pool.terminate()

    # 4. Shelter keys for the teams of people staying in them, as the coordinator's approval
    # of the grants owed to them would give them (refuge/accounts/grants.py).
    _give_shelter_keys(coordinator, shelters)
    report.rows = dict(counts)
    report.seconds = time.monotonic() - started
    say(f"{cases:,} cases in {report.seconds:.0f} s")
    return report


def _give_shelter_keys(coordinator: StaffMember, shelters: list[Any]) -> None:
    """The coordinator wraps each shelter's key for the team members of the people staying there."""
    from django.db import transaction

    from refuge.accounts.queries import holders_of
    from refuge.cases.models import TeamMember
    from refuge.keyring.actions.wraps import do_grant_key
    from refuge.keyring.keyring import Keyring

    keyring = Keyring(coordinator.user, coordinator.private_key)
    with transaction.atomic():
        for shelter in shelters:
            holding = set(holders_of(shelter.key).values_list("pk", flat=True))
            rows = TeamMember.objects.filter(case__placements__shelter=shelter, case__placements__ended_on__isnull=True)
            for member in {row.user.pk: row.user for row in rows.select_related("user")}.values():
                if member.pk not in holding:
                    do_grant_key(actor=coordinator.user, keyring=keyring, key=shelter.key, member=member)


def _bigger_cache() -> None:
    """SQLite: a 256 MiB page cache for this connection while it inserts (the default 2 MiB
    makes every insert into the large random-UUID indexes a read); the file is not changed."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")


def _windowed(pool: Any, chunks: list[tuple[int, int]], window: int) -> Any:
    """Chunks built by the pool, in order, with at most `window` built ahead of the inserts."""
    pending: list[Any] = []
    queue = iter(chunks)
    for bounds in queue:
        pending.append(pool.apply_async(_build_chunk, (bounds,)))
        if len(pending) >= window:
            break
    while pending:
        result = pending.pop(0).get()
        following = next(queue, None)
        if following is not None:
            pending.append(pool.apply_async(_build_chunk, (following,)))
        yield result


def _insert(chunk: _Chunk, context: _Context, occupancy: Counter[int], counts: Counter[str]) -> None:
    """Insert one chunk's rows in one transaction: executemany on SQLite, COPY on PostgreSQL."""
    from django.db import connection, transaction

    # Open stays beyond a shelter's capacity are dropped with their PLACED event: the
    # action refuses them (the shelter is full).
    dropped = set()
    for shelter_index, event_id, placement_id in chunk.stays:
        if occupancy[shelter_index] >= context.shelters[shelter_index][2]:
            dropped |= {event_id, placement_id}
        else:
            occupancy[shelter_index] += 1
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for name in MODELS:
            if name not in chunk.rows:
                continue
            table, columns, rows = chunk.rows[name]
            if dropped and name in {"Placement", "CaseEvent"}:
                position = columns.index("id")
                rows = [row for row in rows if row[position] not in dropped]
            names = ", ".join(quote(column) for column in columns)
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                # Table and column names come from the models' _meta, never from input.
                cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608
            counts[name] += len(rows)

"""Property tests of the workspace's forms: arbitrary input to every case, person, compartment and shelter form.

A team member (Alice: coordinator, on the case's team) posts what a hostile or broken
client could send to each form route: any text (control characters, lone surrogates sent
as their UTF-8 bytes, invalid UTF-8, right-to-left marks, emoji, text just over each
limit and bodies over the upload limit), any date, integer, choice and UUID (real ids of
this and other organisations, made-up ones, garbage), fields missing or sent twice,
urlencoded or multipart. Whatever is sent:

- the answer is never a 5xx (the test client raises a view's exception: a 500 fails
  the test with its traceback) and is a 2xx, 3xx or 4xx;
- a refused post (any 4xx: 400 for a form error, 409 for a stale version, 403, 404),
  and any GET of the case list with its filters, writes nothing: every row of the
  cases, shelter and key tables, the requests and their messages and files, and every
  audit entry except the reads (re-showing a case with its errors decrypts it, which is
  audited) are as they were.

Each test logs in once (an Argon2id run) and reuses its client; the examples share the
test's database, so accepted posts pile up as a busy case would.
"""

from __future__ import annotations

import datetime
import io
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_from_bytes

from django.apps import apps
from django.test import Client
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from PIL import Image

from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.cases.actions.people import do_add_person
from refuge.cases.actions.tasks import do_add_task
from refuge.cases.compartments import FIELDS
from refuge.cases.models import Case, Compartment, Person
from refuge.intake.actions.submissions import do_submit_request
from refuge.intake.models import HelpRequest, MergedRequest, RequestFile, RequestLink, RequestMessage
from refuge.keyring.models import Key, KeyWrap
from refuge.shelter import actions as shelter_actions
from refuge.shelter.models import Shelter
from tests.personas import World
from tests.workspace.people_support import new_shelter, open_case, place, requester_of, ring, submit

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
# Reading is audited (re-showing a form with its errors decrypts the case): not a write of the post.
READS = {
    AuditEvent.CASE_READ,
    AuditEvent.COMPARTMENT_READ,
    AuditEvent.DOCUMENT_READ,
    AuditEvent.SHELTER_READ,
    AuditEvent.SHELTER_ADDRESS_READ,
    AuditEvent.REQUEST_OPENED,
    AuditEvent.CHECKPOINT_SIGNED,
}

# --- what a client can send -----------------------------------------------------------------------

SPECIAL = ["\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u200f", "\u200d", "\ufeff", "\u2028", "\ud800", "\udfff"]
SPECIAL += ["🏳️‍🌈", "👩🏽‍⚕️", "שלום", "مرحبا", "Ахмед", "\r\n", "\t", " ", "%", "&", "=", "+", '"', "<script>"]
# At and just over the limits of the forms (titles 300, short fields 200, long 5,000, notes
# 20,000, summaries 50,000), and over the 256 KB a request body may have.
LENGTHS = [200, 201, 300, 301, 5_000, 5_001, 20_001, 50_001]
# What a person types: any script, punctuation, symbols and emoji, spaces.
good_texts = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=40)
texts = st.one_of(
    st.text(st.characters(codec=None, categories=None), max_size=30),  # anything, lone surrogates too
    st.lists(st.sampled_from(SPECIAL) | st.text(max_size=4), max_size=8).map("".join),
    st.sampled_from(LENGTHS).map(lambda n: "ж" * n),
    st.just("x" * 300_000),
)
raw_bytes = st.binary(max_size=12)  # often not UTF-8 at all
good_dates = st.dates(datetime.date(2000, 1, 1), datetime.date(2030, 12, 31)).map(datetime.date.isoformat)
bad_dates = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.sampled_from(["", "2025-02-30", "2025-13-01", "31.12.2025", "2025-1-1", "20250101", "1999-12-31"]),
    st.sampled_from(["0001-01-01", "9999-12-31", "2025-W01-1", "2025-01-01T00:00", "-2025-01-01"]),
)
bad_integers = st.one_of(
    st.integers().map(str),
    st.sampled_from(["", "0", "-1", "1e3", " 7 ", "٣", "10000001", "2147483648", "9" * 40, "0x10", "1_000"]),
)
BAD_IDS = ["", "0", "none", "not-a-uuid", str(uuid.UUID(int=0)), "00000000000000000000000000000000"]
bad_ids = st.uuids().map(str) | st.sampled_from(BAD_IDS)

# A form field: its name, what a browser would send, what else it might get.
Field = tuple[str, st.SearchStrategy[str], st.SearchStrategy[Any]]


def text(name: str) -> Field:
    return (name, good_texts, texts)


def date(name: str) -> Field:
    return (name, good_dates | st.just(""), bad_dates)


def number(name: str, low: int, high: int) -> Field:
    return (name, st.integers(low, high).map(str), bad_integers)


# Amounts as people type them in either language, and what a broken client sends instead.
good_amounts = st.builds(
    lambda whole, cents, style: style.format(whole=whole, grouped=f"{whole:,}", cents=cents),
    st.integers(0, 10_000_000),
    st.integers(1, 99).map(lambda n: f"{n:02d}"),
    st.sampled_from(["{whole}.{cents}", "{whole},{cents}", "{grouped}.{cents}", "{whole}"]),
) | st.sampled_from(["1 234,50", "1\u00a0234,50", "1.234,50", "1,234.50"])
bad_amounts = st.one_of(
    st.sampled_from(["1,234", "0", "-1", "1.2.3", "0.001", "1e5", "NaN", "１２", "10000000.01", "1'234"]),
    texts,
)


def money(name: str) -> Field:
    return (name, good_amounts, bad_amounts)


def pick(name: str, good: list[str], bad: list[str] = ()) -> Field:  # type: ignore[assignment]
    return (name, st.sampled_from(good), st.sampled_from([*bad, "", "0"]))


def flag(name: str) -> Field:
    return (name, st.sampled_from(["on", ""]), st.sampled_from(["off", "false", "0", "yes"]))


def real(pool: Callable[[], list[Any]]) -> st.SearchStrategy[str]:
    """A real id of the pool, read when drawn (rows come and go). Drawn as an index, so that the
    draws do not depend on the database (Hypothesis replays an example to shrink it)."""

    def pick_from(index: int) -> str:
        found = pool()
        return str(found[index % len(found)]) if found else "none"

    return st.integers(0, 15).map(pick_from)


def mostly(ids: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """These ids, sometimes a made-up or malformed one instead."""
    return st.integers(0, 9).flatmap(lambda roll: bad_ids if roll == 0 else ids)


def some_id(pool: Callable[[], list[Any]]) -> st.SearchStrategy[str]:
    """Mostly a real id, sometimes a made-up or malformed one (for a URL)."""
    return mostly(real(pool))


def one_of_ids(name: str, pool: Callable[[], list[Any]]) -> Field:
    return (name, real(pool) | st.just(""), bad_ids)


def version(name: str, pool: Callable[[], list[Any]]) -> Field:
    """The version the page would carry now; else one off, or anything."""
    current = st.builds(pool).map(lambda found: int(found[0]))
    off = st.one_of(current.map(lambda v: str(v - 1)), current.map(lambda v: str(v + 1)), bad_integers)
    return (name, current.map(str), off)


def _png() -> bytes:
    """A real (tiny) image, so that some uploads are stored."""
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 40, 90)).save(out, "PNG")
    return out.getvalue()


uploads = st.tuples(
    st.sampled_from(["document-file", "document-file", "file"]),
    st.one_of(texts.filter(lambda name: len(name) < 300), st.sampled_from(["a.pdf", "x.png", "../../etc/passwd"])),
    st.one_of(
        st.binary(max_size=64),
        st.just(b"%PDF-1.4\n%%EOF\n"),
        st.just(b"\x89PNG\r\n\x1a\n" + bytes(40)),
        st.just(_png()),
        st.just(b"\xff\xd8\xff\xe0" + bytes(40)),
    ),
)


@st.composite
def form_body(draw: st.DrawFn, fields: list[Field], *, multipart: bool | None = None) -> tuple[bytes, str, list[Any]]:
    """A body for these fields, urlencoded or multipart.

    Per post, a share of the fields gets something else than a browser would send (none,
    some or all of them: any text, bytes that are not UTF-8, a value of the wrong kind),
    a share is left out, some are sent twice; sometimes a field nobody asked for.
    """
    bad_share = draw(st.sampled_from([0, 0, 15, 50, 100]))
    missing_share = draw(st.sampled_from([0, 0, 10, 50]))
    pairs: list[tuple[str, str | bytes]] = []
    for name, good, bad in fields:
        if draw(st.integers(0, 99)) < missing_share:
            continue
        for _ in range(draw(st.sampled_from([1, 1, 1, 1, 1, 2]))):
            wrong = draw(st.integers(0, 99)) < bad_share
            pairs.append((name, draw(st.one_of(bad, texts, raw_bytes) if wrong else good)))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        pairs.append((draw(st.from_regex(r"[a-z_-]{1,12}", fullmatch=True)), draw(texts)))
    use_multipart = draw(st.booleans()) if multipart is None else multipart
    files = draw(st.lists(uploads, min_size=0, max_size=1)) if multipart else []
    if use_multipart:
        body, content_type = _multipart(pairs, files)
    else:
        body = "&".join(f"{quote_from_bytes(_bytes(n))}={quote_from_bytes(_bytes(v))}" for n, v in pairs).encode()
        content_type = "application/x-www-form-urlencoded"
    return body, content_type, pairs


def _bytes(value: str | bytes) -> bytes:
    # Lone surrogates go out as the bytes a careless encoder makes of them (invalid UTF-8).
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def _multipart(pairs: list[tuple[str, str | bytes]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "hypothesis-" + uuid.uuid4().hex
    parts = []
    for name, value in pairs:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + _bytes(value) + b"\r\n"
        )
    for name, filename, content in files:
        safe = filename.replace('"', "").replace("\r", "").replace("\n", "")
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{safe}"\r\n'
        parts.append(_bytes(head) + b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# --- what a post may change -----------------------------------------------------------------------


def _tracked() -> list[Any]:
    models = [*apps.get_app_config("cases").get_models(), *apps.get_app_config("shelter").get_models()]
    return [*models, Key, KeyWrap, HelpRequest, RequestMessage, RequestFile, RequestLink, MergedRequest]


def snapshot() -> dict[str, Any]:
    """Every row a form could write, column by column; the audit log without its reads."""
    state: dict[str, Any] = {}
    for model in _tracked():
        columns = [field.attname for field in model._meta.concrete_fields]
        state[model.__name__] = [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in model.objects.order_by("pk").values_list(*columns)
        ]
    state["audit"] = list(
        AuditEntry.objects.exclude(code__in=[int(code) for code in READS])
        .order_by("seq")
        .values_list("seq", "code", "object_type", "object_id")
    )
    return state


def post_and_check(client: Client, path: str, body: tuple[bytes, str, list[Any]]) -> int:
    content, content_type, pairs = body
    note(f"POST {path} ({content_type.split(';')[0]}, {len(content)} bytes): {[(n, str(v)[:80]) for n, v in pairs]}")
    before = snapshot()
    response = client.post(path, data=content, content_type=content_type)
    return _check(f"POST {path}", response.status_code, before, writes=response.status_code < 400)


def get_and_check(client: Client, path: str, body: tuple[bytes, str, list[Any]]) -> int:
    """A GET with these fields as its query string: it never writes (reads aside), whatever it answers."""
    query, _content_type, pairs = body
    note(f"GET {path} ({len(query)} bytes of query): {[(n, str(v)[:80]) for n, v in pairs]}")
    before = snapshot()
    response = client.get(f"{path}?{query.decode('ascii')}")
    return _check(f"GET {path}", response.status_code, before, writes=False)


def _check(what: str, status: int, before: dict[str, Any], *, writes: bool) -> int:
    note(f"answered {status}")
    event(f"{status} {what.split()[0]} {_route(what.split()[1])}")
    assert 200 <= status < 500, f"{what} answered {status}"
    if not writes:
        after = snapshot()
        changed = sorted(name for name in before if before[name] != after[name])
        assert not changed, f"{what} answered {status} but wrote to {changed}"
    return status


def _version(model: Any, **where: Any) -> Callable[[], list[Any]]:
    def current() -> list[Any]:
        found = model.objects.filter(**where).values_list("version", flat=True).first()
        return [found if found is not None else 0]

    return current


# --- the routes -----------------------------------------------------------------------------------

Route = tuple[str, list[Field], bool | None]  # path, fields, multipart (None: either)


def test_case_forms_refuse_arbitrary_input_without_a_5xx_or_a_partial_write(world: World, client_for) -> None:
    alice = client_for(world.alice)
    case = open_case(world)  # team: Alice (lead) and Bob
    do_add_task(actor=world.alice.user, keyring=ring(world.alice), case=case, title="Call", due_on=None, owner=None)
    everyone = [world.alice, world.bob, world.bella, world.ivan, world.audrey, world.charlie]  # Charlie: "south"
    members = [persona.user.pk for persona in everyone]
    case_version = version("version", _version(Case, pk=case.pk))
    # Alice never takes herself off: the other routes need her on the team.
    removable = some_id(lambda: [world.bob.user.pk, world.bella.user.pk])
    tasks = some_id(lambda: list(case.tasks.values_list("pk", flat=True)))

    def route(name: str, case_id: str, other: str) -> Route:
        base = f"/cases/{case_id}/"
        if name == "edit":
            fields = [
                case_version,
                pick("priority", ["emergency", "urgent", "normal"], ["critical", "URGENT"]),
                number("pathway", 1, 3),
                money("budget"),
                pick("currency", ["EUR", "USD", "RUB", "GEL"], ["XXX", "eur"]),
                text("summary"),
            ]
            return base + "edit/", fields, None
        if name == "stage":
            stages = ["new", "screening", "accepted", "sheltered", "documents", "applying", "closed", "declined"]
            fields = [
                version("stage-version", _version(Case, pk=case.pk)),
                pick("stage-stage", stages, ["lost", "CLOSED"]),
                pick("stage-closing_reason", ["", "relocated", "withdrew", "referred"], ["lost_contact"]),
            ]
            return base + "stage/", fields, None
        simple: dict[str, list[Field]] = {
            "lost-contact/": [pick("contact-lost", ["yes", "no"], ["maybe"])],
            "team/": [one_of_ids("team-member", lambda: members), flag("team-lead")],
            "rotate/": [],
            "notes/": [text("note-body")],
            "tasks/": [
                text("task-title"),
                pick("task-kind", ["task", "appointment"], ["meeting"]),
                date("task-due_on"),
                one_of_ids("task-owner", lambda: members),
            ],
            "expenses/": [
                pick("expense-category", ["travel", "housing", "food", "medical", "documents", "visa_fees"], ["x"]),
                money("expense-amount"),
                pick("expense-currency", ["RUB", "EUR", "USD", "GEL", "TRY", "UAH"], ["rub", "XYZ", "EURO"]),
                date("expense-spent_on"),
                text("expense-note"),
            ],
            "messages/": [text("message-body")],
        }
        if name in simple:
            return base + name, simple[name], None
        if name == "document":
            return base + "documents/", [], True
        if name == "team remove":
            return base + f"team/{other}/remove/", [], None
        if name == "team lead":
            return base + f"team/{other}/lead/", [], None
        return base + f"tasks/{other}/done/", [], None

    names = ["edit", "stage", "lost-contact/", "team/", "rotate/", "notes/", "tasks/", "expenses/", "messages/"]
    names += ["document", "team remove", "team lead", "task done", "list"]
    list_fields = [
        text("q"),
        pick("stage", ["open", "all", "new", "closed"], ["lost"]),
        pick("priority", ["", "emergency", "urgent", "normal"], ["high"]),
        one_of_ids("member", lambda: members),
        one_of_ids("shelter", lambda: list(Shelter.objects.values_list("pk", flat=True))),
        number("pathway", 1, 5),
        date("opened_from"),
        date("opened_to"),
        flag("overdue"),
        flag("lost_contact"),
        flag("mine"),
        number("page", 1, 3),
    ]

    @FUZZ
    @given(st.data())
    def post(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(names), label="route")
        if name == "list":  # the case list's filters, sent by GET
            get_and_check(alice, "/cases/", data.draw(form_body(list_fields, multipart=False)))
            return
        case_id = data.draw(some_id(lambda: [case.pk]), label="case")
        other = data.draw(removable if name in {"team remove", "team lead"} else tasks, label="id")
        path, fields, multipart = route(name, case_id, other)
        post_and_check(alice, path, data.draw(form_body(fields, multipart=multipart)))

    post()


def _compartment_fields(kind: str, current: Field) -> list[Field]:
    if kind == "contacts":
        rows: list[Field] = [
            number("contacts-TOTAL_FORMS", 0, 3),
            number("contacts-INITIAL_FORMS", 0, 1),
            pick("contacts-MIN_NUM_FORMS", ["0"]),
            pick("contacts-MAX_NUM_FORMS", ["100"]),
        ]
        for index in range(3):
            rows += [
                text(f"contacts-{index}-name"),
                pick(f"contacts-{index}-relation", ["relative", "reference", "knows", "threat", ""], ["enemy"]),
                text(f"contacts-{index}-details"),
                flag(f"contacts-{index}-DELETE"),
            ]
        return [current, *rows]
    schema = FIELDS.get(kind, FIELDS["identity"])
    return [current, *(date(field.name) if field.kind == "date" else text(field.name) for field in schema)]


def test_person_and_compartment_forms_refuse_arbitrary_input_without_a_5xx_or_a_partial_write(
    world: World, client_for
) -> None:
    alice = client_for(world.alice)
    case = open_case(world)  # the requester has an identity compartment, held by Alice and Bob
    requester = requester_of(case)
    partner = do_add_person(
        actor=world.alice.user, keyring=ring(world.alice), case=case, role="partner", details="Speaks Chechen"
    )
    shelter = new_shelter(world)
    stay = place(world.alice, requester, shelter)
    other_case = open_case(world, team=[world.bella])  # not Alice's: everything in it is a 404 for her
    members = [world.alice.user.pk, world.bob.user.pk, world.bella.user.pk, world.charlie.user.pk]
    persons = [requester.pk] * 4 + [partner.pk] * 3 + [requester_of(other_case).pk]
    kinds = ["identity", "sogiesc", "medical", "contacts"] * 2 + ["passport", "IDENTITY"]  # no such kinds: 404

    def versioned(model: Any, name: str = "version", **where: Any) -> Field:
        if not all(_is_uuid(str(value)) for value in where.values()):
            return version(name, lambda: [0])
        return version(name, _version(model, **where))

    @FUZZ
    @given(st.data())
    def post(data: st.DataObject) -> None:
        case_id = data.draw(mostly(st.sampled_from([str(case.pk)] * 9 + [str(other_case.pk)])), label="case")
        person = data.draw(some_id(lambda: persons), label="person")
        base = f"/cases/{case_id}/people/{person}/"
        name = data.draw(
            st.sampled_from(["add", "edit", "place", "compartment", "compartment", "share", "unshare", "end stay"]),
            label="route",
        )
        if name == "add":
            path = f"/cases/{case_id}/people/add/"
            fields = [pick("role", ["family", "partner", "child", "other"], ["requester", "boss"]), text("details")]
        elif name == "edit":
            path = base + "edit/"
            fields = [pick("role", ["family", "partner"], ["x"]), text("details"), versioned(Person, pk=person)]
        elif name == "place":
            path = base + "place/"
            fields = [one_of_ids("shelter", lambda: [shelter.pk]), date("starts_on"), date("planned_until")]
        elif name == "end stay":
            path = f"/placements/{data.draw(some_id(lambda: [stay.pk]))}/end/"
            fields = [date("ended_on")]
        else:
            kind = data.draw(st.sampled_from(kinds), label="kind")
            path = base + f"{kind}/"
            if name == "compartment":
                fields = _compartment_fields(kind, versioned(Compartment, person_id=person, kind=kind))
            elif name == "share":
                path += "share/"
                fields = [one_of_ids("member", lambda: members)]
            else:
                path += f"unshare/{data.draw(some_id(lambda: members))}/"
                fields = []
        post_and_check(alice, path, data.draw(form_body(fields)))

    post()


def test_shelter_and_accept_forms_refuse_arbitrary_input_without_a_5xx_or_a_partial_write(
    world: World, client_for
) -> None:
    alice = client_for(world.alice)
    shelter = new_shelter(world)
    south = shelter_actions.do_create_shelter(  # another organisation's: a 404 for Alice
        actor=world.charlie.refresh().user,
        details=shelter_actions.ShelterDetails("Oak", 2, "Almaty", "", "1 Oak Street"),
    )
    requests = [submit(world).pk for _ in range(3)]
    members = [world.alice.user.pk, world.bob.user.pk, world.bella.user.pk, world.ivan.user.pk, world.charlie.user.pk]
    members.append(world.audrey.user.pk)  # an auditor: never on a team
    shelter_fields = [text("code_name"), number("capacity", 1, 500), text("city"), text("rules"), text("address")]

    @FUZZ
    @given(st.data())
    def post(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(["new", "edit", "edit", "give address", "accept"]), label="route")
        target = data.draw(mostly(st.sampled_from([str(shelter.pk)] * 9 + [str(south.pk)])), label="shelter")
        if name == "new":
            path, fields = "/shelters/new/", shelter_fields
        elif name == "edit":
            path = f"/shelters/{target}/edit/"
            current = _version(Shelter, pk=target) if _is_uuid(target) else (lambda: [0])
            fields = [*shelter_fields, flag("active"), version("version", current)]
        elif name == "give address":
            path, fields = f"/shelters/{target}/", [one_of_ids("member", lambda: members)]
        else:
            path = f"/requests/{data.draw(some_id(lambda: requests), label='request')}/accept/"
            team = one_of_ids("team", lambda: members)
            lead = one_of_ids("lead", lambda: members)
            fields = [pick("priority", ["emergency", "urgent", "normal"], ["now"]), team, team, lead]
        post_and_check(alice, path, data.draw(form_body(fields)))

    post()


def test_request_link_forms_refuse_arbitrary_input_without_a_5xx_or_a_partial_write(world: World, client_for) -> None:
    ivan = client_for(world.ivan)
    ours = [submit(world) for _ in range(4)]
    theirs = do_submit_request(
        organisation=world.south, answers={"what_happened": "x"}, urgency="later", language="en"
    ).request
    ids = [str(r.pk) for r in ours] + [str(theirs.pk)]
    references = [r.reference for r in ours] + [r.reference.lower() for r in ours] + [theirs.reference]

    @FUZZ
    @given(st.data())
    def post(data: st.DataObject) -> None:
        target = data.draw(mostly(st.sampled_from(ids)), label="request")
        if data.draw(st.booleans(), label="link"):
            path = f"/requests/{target}/link/"
            fields = [("reference", st.sampled_from(references), texts)]
        else:
            path = f"/requests/{target}/unlink/"
            fields = [one_of_ids("other", lambda: ids)]
        post_and_check(ivan, path, data.draw(form_body(fields)))

    post()


def test_merge_attach_and_bulk_decline_forms_refuse_arbitrary_input_without_a_5xx_or_a_partial_write(
    world: World, client_for
) -> None:
    ivan = client_for(world.ivan)
    ours = [submit(world) for _ in range(6)]
    case = open_case(world, team=[world.ivan, world.bob])
    theirs = do_submit_request(
        organisation=world.south, answers={"what_happened": "x"}, urgency="later", language="en"
    ).request
    ids = [str(r.pk) for r in ours] + [str(theirs.pk)]
    references = [r.reference for r in ours] + [theirs.reference, case.reference, case.reference.lower()]

    @FUZZ
    @given(st.data())
    def post(data: st.DataObject) -> None:
        target = data.draw(mostly(st.sampled_from(ids)), label="request")
        form = data.draw(st.sampled_from(["merge", "unmerge", "attach", "decline", "reply"]), label="form")
        if form == "merge":
            path = f"/requests/{target}/merge/"
            choices = st.sampled_from(["into_other", "other_into_this"])
            fields = [("reference", st.sampled_from(references), texts), ("direction", choices, texts)]
        elif form == "unmerge":
            path, fields = f"/requests/{target}/unmerge/", []
        elif form == "attach":
            path, fields = f"/requests/{target}/attach/", [("case", st.sampled_from(references), texts)]
        elif form == "decline":
            path = "/requests/decline/"
            fields = [
                one_of_ids("requests", lambda: ids),
                one_of_ids("requests", lambda: ids),
                ("message", texts, texts),
                ("confirm", st.just("on"), texts),
            ]
        else:
            path = f"/cases/{case.pk}/attached/reply/"
            fields = [one_of_ids("attached-request", lambda: ids), ("attached-body", texts, texts)]
        post_and_check(ivan, path, data.draw(form_body(fields)))

    post()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _route(path: str) -> str:
    """The path with its ids blanked, for the statistics (--hypothesis-show-statistics)."""
    return "/".join("<id>" if _is_uuid(part) or len(part) > 20 else part for part in path.split("/"))

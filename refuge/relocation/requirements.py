"""Hard requirements of a pathway, structured so the advisor can check them against a case.

A requirement is a short code stored with the pathway (`Pathway.hard_requirements`) and
written in the catalogue CSV's `hard_requirements` column, separated by `;`. Each names one
fact about the person the advisor asks for: if the person's answer contradicts the
requirement the pathway is excluded, with the requirement's reason shown; if the answer is
not known the pathway stays, with the fact listed as missing.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Requirement(models.TextChoices):
    OUTSIDE_ORIGIN = "outside_origin", _("Must be outside the country of origin")
    INTERNATIONAL_PASSPORT = "international_passport", _("Needs an international passport")
    FAMILY_TIE = "family_tie", _("Needs a family tie in the destination")
    HRD_STATUS = "hrd_status", _("Needs human-rights-defender status")
    REFERRAL_PARTNER = "referral_partner", _("Needs a referral partner")


SEPARATOR = ";"


def parse_requirements(text: str) -> tuple[list[str], list[str]]:
    """The known codes in `text` (in catalogue order, once each) and the unknown ones."""
    given = [part.strip() for part in text.split(SEPARATOR) if part.strip()]
    unknown = [code for code in given if code not in Requirement.values]
    known = [code for code in Requirement.values if code in given]
    return known, unknown


def requirements_text(codes: list[str]) -> str:
    return SEPARATOR.join(code for code in Requirement.values if code in codes)


def derived_requirements(*, who_applies: str, requirements: str, in_country_eligible: str, name: str) -> list[str]:
    """Requirements read from a catalogue row's words, for a file without a `hard_requirements` column.

    The shipped catalogue (shared/data/pathways.csv) states them in prose: "no" in
    `in_country_eligible`, "Referral" in `who_applies`, a visa or a mission (a passport to
    stamp), "HRD" in the requirements. A
    coordinator corrects them on the pathway's page; a file with the column is taken as written.
    """
    found: list[str] = []
    if in_country_eligible.strip().lower().startswith("no"):
        found.append(Requirement.OUTSIDE_ORIGIN)
    who = who_applies.lower()
    if who.startswith("referral") or "cannot apply directly" in who or "referral only" in who:
        found.append(Requirement.REFERRAL_PARTNER)
    # A visa is stamped in a passport: applying at a mission needs the international one.
    if "visa" in name.lower() or "embass" in who or "mission" in who:
        found.append(Requirement.INTERNATIONAL_PASSPORT)
    if "hrd" in requirements.lower() or "human rights defender" in name.lower():
        found.append(Requirement.HRD_STATUS)
    return [code for code in Requirement.values if code in found]


# The documents a pathway's requirements call for, in the catalogue's language (English):
# a checklist is data that coordinators edit, not an interface string.
_DOCUMENTS = {
    Requirement.INTERNATIONAL_PASSPORT: "International passport (valid at least 6 months)",
    Requirement.FAMILY_TIE: "Proof of the family tie",
    Requirement.HRD_STATUS: "Evidence of human-rights work",
    Requirement.REFERRAL_PARTNER: "Referral letter from the partner",
}
_ALWAYS = ["Statement of persecution", "Supporting evidence (medical records, letters)"]


def derived_checklist(requirements: list[str]) -> list[str]:
    """A first checklist for a pathway whose file gives none: what its requirements call for."""
    return [_DOCUMENTS[Requirement(code)] for code in requirements if code in _DOCUMENTS] + _ALWAYS


def requirement_labels(codes: list[str]) -> list[str]:
    """The translated sentences of a pathway's requirements, in catalogue order."""
    return [str(Requirement(code).label) for code in Requirement.values if code in codes]

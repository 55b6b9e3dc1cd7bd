"""The ledger's fixed vocabularies, one TextChoices per idea.

Labels are translated (gettext_lazy): readers see them in their language, while the
values, in URLs and exports, never change.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DonorKind(models.TextChoices):
    COUNTRY = "country", _("Country")
    EU_INSTITUTION = "eu-institution", _("EU institution")
    MULTILATERAL = "multilateral", _("Other multilateral")


class AgreementKind(models.TextChoices):
    SECURITY_AGREEMENT = "security-agreement", _("Bilateral security agreement")
    AID_PACKAGE = "aid-package", _("Aid package")
    FINANCING = "financing", _("Financing")
    FUND_CONTRIBUTION = "fund-contribution", _("Fund contribution")
    JOINT_PROCUREMENT = "joint-procurement", _("Joint procurement")
    APPROPRIATION = "appropriation", _("Appropriation")


class Stage(models.TextChoices):
    """How far a line item has come. Stages are never added together."""

    ANNOUNCED = "announced", _("Announced")
    COMMITTED = "committed", _("Committed")
    ALLOCATED = "allocated", _("Allocated")
    DELIVERED = "delivered", _("Delivered")


class AidType(models.TextChoices):
    """What an amount pays for, in the Kiel Institute's split.

    The ledger's totals count military aid. A figure of another type, or one whose
    military share the source does not state, is listed and shown with its type, and
    totalled apart, never inside the military totals.
    """

    MILITARY = "military", _("Military")
    FINANCIAL = "financial", _("Financial")
    HUMANITARIAN = "humanitarian", _("Humanitarian")
    MIXED = "mixed", _("Mixed: military share not stated")


class Basis(models.TextChoices):
    """Whether an amount is paid once or is a rate ("approximately €3 billion a year").

    A rate is never added into a total of one-off amounts: it has no total until a
    period bounds it, and then only as a labelled estimate.
    """

    ONCE = "once", _("Once")
    PER_YEAR = "per-year", _("Per year")


class Qualifier(models.TextChoices):
    """What the source says about an amount's exactness ("at least €977 million")."""

    EXACT = "exact", _("Exactly")
    AT_LEAST = "at-least", _("At least")
    UP_TO = "up-to", _("Up to")
    APPROXIMATELY = "approximately", _("Approximately")


class Precision(models.TextChoices):
    """How much of a date the source gives.

    A date known to the month is stored as the month's first day, one known to
    the year as 1 January; the precision says which days are real.
    """

    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    UNKNOWN = "unknown", _("Unknown")


class Status(models.TextChoices):
    """Whether readers may see an agreement: only a published one. Only a reviewer publishes.

    An analyst hands a draft over as ready for review; a reviewer publishes it or sends it
    back (a draft again) with a note. A pending revision of a published agreement
    (aid/revisions.py) goes the same way, and is approved rather than published.
    """

    DRAFT = "draft", _("Draft")
    READY = "ready", _("Ready for review")
    PUBLISHED = "published", _("Published")


class TextFormat(models.TextChoices):
    """The format a source's text was received in. Only the text itself is checked.

    HTML and PDF are read down to their text (aid/documents.py); plain text and
    Markdown are stored as they are.
    """

    PLAIN = "plain", _("Plain text")
    MARKDOWN = "markdown", _("Markdown")
    HTML = "html", _("HTML")
    PDF = "pdf", _("PDF")


class TextOrigin(models.TextChoices):
    """How a source's text reached the ledger."""

    PASTED = "pasted", "Pasted in the admin"
    UPLOADED = "uploaded", "Uploaded file"
    SEED = "seed", "Seed file in seeds/"


# The category taxonomy (created by migration 0002) in the reader's language, by slug. A
# category added later without an entry here is shown by its own name.
CATEGORY_NAMES = {
    "aircraft": _("Aircraft"),
    "air-defence": _("Air defence"),
    "artillery": _("Artillery"),
    "ammunition": _("Ammunition"),
    "armoured-vehicles": _("Armoured vehicles"),
    "anti-tank": _("Anti-tank"),
    "missiles": _("Missiles"),
    "drones": _("Drones"),
    "naval": _("Naval"),
    "vehicles": _("Vehicles"),
    "equipment": _("Equipment"),
    "training": _("Training"),
    "funding": _("Funding"),
}
CATEGORY_DEFINITIONS = {
    "aircraft": _("Combat aircraft and helicopters."),
    "air-defence": _("Air-defence systems and their interceptor missiles (HAWK, Stinger)."),
    "artillery": _("Howitzers, mortars, rocket launchers."),
    "ammunition": _(
        "Artillery shells, rockets, small-arms ammunition "
        "(155 mm and 105 mm shells, HIMARS ammunition)."
    ),
    "armoured-vehicles": _(
        "Tanks, infantry fighting vehicles, armoured personnel carriers (M113, CV90, VAB)."
    ),
    "anti-tank": _("Anti-tank missiles and launchers (TOW, Javelin, AT4)."),
    "missiles": _("Long-range strike missiles."),
    "drones": _("Unmanned vehicles and loitering munitions."),
    "naval": _("Boats, ships and maritime systems."),
    "vehicles": _("Trucks, trailers and other unarmoured vehicles."),
    "equipment": _("Night vision, communications, protective gear, spare parts and maintenance."),
    "training": _("Training and services."),
    "funding": _("Money pledged for military aid and not tied to specific equipment."),
}


def category_name(category):
    """A category's name in the reader's language."""
    return str(CATEGORY_NAMES.get(category.slug, category.name))


def category_definition(category):
    return str(CATEGORY_DEFINITIONS.get(category.slug, category.definition))

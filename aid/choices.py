"""The ledger's fixed vocabularies, one TextChoices per idea."""

from django.db import models


class DonorKind(models.TextChoices):
    COUNTRY = "country", "Country"
    EU_INSTITUTION = "eu-institution", "EU institution"
    MULTILATERAL = "multilateral", "Other multilateral"


class AgreementKind(models.TextChoices):
    SECURITY_AGREEMENT = "security-agreement", "Bilateral security agreement"
    AID_PACKAGE = "aid-package", "Aid package"
    FINANCING = "financing", "Financing"
    FUND_CONTRIBUTION = "fund-contribution", "Fund contribution"
    JOINT_PROCUREMENT = "joint-procurement", "Joint procurement"
    APPROPRIATION = "appropriation", "Appropriation"


class Stage(models.TextChoices):
    """How far a line item has come. Stages are never added together."""

    ANNOUNCED = "announced", "Announced"
    COMMITTED = "committed", "Committed"
    ALLOCATED = "allocated", "Allocated"
    DELIVERED = "delivered", "Delivered"


class AidType(models.TextChoices):
    """What an amount pays for, in the Kiel Institute's split.

    The ledger's totals count military aid. A figure of another type, or one whose
    military share the source does not state, is listed and shown with its type, and
    totalled apart, never inside the military totals.
    """

    MILITARY = "military", "Military"
    FINANCIAL = "financial", "Financial"
    HUMANITARIAN = "humanitarian", "Humanitarian"
    MIXED = "mixed", "Mixed: military share not stated"


class Basis(models.TextChoices):
    """Whether an amount is paid once or is a rate ("approximately €3 billion a year").

    A rate is never added into a total of one-off amounts: it has no total until a
    period bounds it, and then only as a labelled estimate.
    """

    ONCE = "once", "Once"
    PER_YEAR = "per-year", "Per year"


class Qualifier(models.TextChoices):
    """What the source says about an amount's exactness ("at least €977 million")."""

    EXACT = "exact", "Exactly"
    AT_LEAST = "at-least", "At least"
    UP_TO = "up-to", "Up to"
    APPROXIMATELY = "approximately", "Approximately"


class Precision(models.TextChoices):
    """How much of a date the source gives.

    A date known to the month is stored as the month's first day, one known to
    the year as 1 January; the precision says which days are real.
    """

    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"
    UNKNOWN = "unknown", "Unknown"


class Status(models.TextChoices):
    """Whether readers may see an agreement: only a published one. Only a reviewer publishes.

    An analyst hands a draft over as ready for review; a reviewer publishes it or sends it
    back (a draft again) with a note. A pending revision of a published agreement
    (aid/revisions.py) goes the same way, and is approved rather than published.
    """

    DRAFT = "draft", "Draft"
    READY = "ready", "Ready for review"
    PUBLISHED = "published", "Published"


class TextFormat(models.TextChoices):
    """The format a source's text was received in. Only the text itself is checked.

    HTML and PDF are read down to their text (aid/documents.py); plain text and
    Markdown are stored as they are.
    """

    PLAIN = "plain", "Plain text"
    MARKDOWN = "markdown", "Markdown"
    HTML = "html", "HTML"
    PDF = "pdf", "PDF"


class TextOrigin(models.TextChoices):
    """How a source's text reached the ledger."""

    PASTED = "pasted", "Pasted in the admin"
    UPLOADED = "uploaded", "Uploaded file"
    SEED = "seed", "Seed file in seeds/"

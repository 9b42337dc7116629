from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Relation(models.TextChoices):
    HOUSEHOLDER = "householder", _("Householder")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    OTHER_RELATIVE = "relative", _("Other relative")
    TENANT = "tenant", _("Tenant / lodger")
    OTHER = "other", _("Other")


class ResidentType(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    TENANT = "tenant", _("Tenant")
    TEMPORARY = "temporary", _("Temporarily staying")


class Tag(models.TextChoices):
    """Special groups (proposal S9 and problem P4). The first three are derived from the
    registry (age, household size) and never typed; the others are recorded by a worker."""

    AGED_60 = "aged_60", _("Aged 60+")
    INFANT = "infant", _("Infant (under 3)")
    LIVING_ALONE = "living_alone", _("Living alone")
    WITHOUT_FAMILY = "without_family", _("Without family")
    # A context of its own: Django translates a bare "Disabled" as 禁用 ("switched off").
    DISABLED = "disabled", pgettext_lazy("special group", "Disabled")
    CHRONIC = "chronic", _("Chronic illness")
    DIALYSIS = "dialysis", _("On dialysis")
    PREGNANT = "pregnant", _("Pregnant")
    LOW_INCOME = "low_income", _("Low income")
    MIGRANT_WORKER = "migrant_worker", _("Migrant worker")
    STRANDED = "stranded", _("Stranded away")
    BEREAVED = "bereaved", _("Bereaved")


DERIVED_TAGS = frozenset({Tag.AGED_60, Tag.INFANT, Tag.LIVING_ALONE})
RECORDED_TAGS = [t for t in Tag if t not in DERIVED_TAGS]


class DisabilityLevel(models.IntegerChoices):
    # China's four grades of disability, 1 the most severe.
    GRADE_1 = 1, _("Grade 1 (most severe)")
    GRADE_2 = 2, _("Grade 2")
    GRADE_3 = 3, _("Grade 3")
    GRADE_4 = 4, _("Grade 4")


class VerificationMethod(models.TextChoices):
    DOOR_VISIT = "door", _("Door visit")
    PHONE = "phone", _("Phone call")
    DOCUMENT = "document", _("Document check")

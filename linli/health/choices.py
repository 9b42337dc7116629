from django.db import models
from django.utils.translation import gettext_lazy as _


class HealthStatus(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")
    SYMPTOMATIC = "symptomatic", _("Symptomatic")
    SUSPECTED = "suspected", _("Suspected case")
    CONFIRMED = "confirmed", _("Confirmed case")
    CLOSE_CONTACT = "close_contact", _("Close contact")
    SECONDARY_CONTACT = "secondary_contact", _("Secondary contact")
    HOME_QUARANTINE = "home_quarantine", _("Home quarantine")
    CENTRAL_QUARANTINE = "central_quarantine", _("Centralised quarantine")
    HOSPITALISED = "hospitalised", _("Hospitalised")
    RECOVERED = "recovered", _("Recovered")
    DECEASED = "deceased", _("Deceased")


S = HealthStatus
# The only moves the health record allows (any other is refused, naming this rule). Why these:
# a confirmed case is treated in hospital or centrally, never "cleared" straight back to healthy;
# only treatment ends in recovery; a death is final; quarantine ends in release (healthy) or in
# escalation; a recovered person can be re-tested positive or re-quarantined.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.HEALTHY: frozenset(
        {S.SYMPTOMATIC, S.SUSPECTED, S.CONFIRMED, S.CLOSE_CONTACT, S.SECONDARY_CONTACT}
        | {S.HOME_QUARANTINE, S.CENTRAL_QUARANTINE, S.HOSPITALISED, S.DECEASED}
    ),
    S.SYMPTOMATIC: frozenset(
        {S.HEALTHY, S.SUSPECTED, S.CONFIRMED, S.HOME_QUARANTINE, S.CENTRAL_QUARANTINE}
        | {S.HOSPITALISED, S.DECEASED}
    ),
    S.SUSPECTED: frozenset(
        {S.HEALTHY, S.CONFIRMED, S.HOME_QUARANTINE, S.CENTRAL_QUARANTINE, S.HOSPITALISED}
        | {S.DECEASED}
    ),
    S.CONFIRMED: frozenset({S.HOSPITALISED, S.CENTRAL_QUARANTINE, S.RECOVERED, S.DECEASED}),
    S.CLOSE_CONTACT: frozenset(
        {S.HEALTHY, S.SYMPTOMATIC, S.SUSPECTED, S.CONFIRMED, S.HOME_QUARANTINE}
        | {S.CENTRAL_QUARANTINE, S.HOSPITALISED, S.DECEASED}
    ),
    S.SECONDARY_CONTACT: frozenset(
        {S.HEALTHY, S.SYMPTOMATIC, S.SUSPECTED, S.CONFIRMED, S.CLOSE_CONTACT}
        | {S.HOME_QUARANTINE, S.CENTRAL_QUARANTINE, S.HOSPITALISED, S.DECEASED}
    ),
    S.HOME_QUARANTINE: frozenset(
        {S.HEALTHY, S.RECOVERED, S.SYMPTOMATIC, S.SUSPECTED, S.CONFIRMED}
        | {S.CENTRAL_QUARANTINE, S.HOSPITALISED, S.DECEASED}
    ),
    S.CENTRAL_QUARANTINE: frozenset(
        {S.HEALTHY, S.RECOVERED, S.HOME_QUARANTINE, S.SYMPTOMATIC, S.SUSPECTED, S.CONFIRMED}
        | {S.HOSPITALISED, S.DECEASED}
    ),
    S.HOSPITALISED: frozenset({S.RECOVERED, S.CENTRAL_QUARANTINE, S.DECEASED}),
    S.RECOVERED: frozenset(
        {S.HEALTHY, S.SYMPTOMATIC, S.SUSPECTED, S.CONFIRMED, S.CLOSE_CONTACT}
        | {S.HOME_QUARANTINE, S.CENTRAL_QUARANTINE, S.HOSPITALISED, S.DECEASED}
    ),
    S.DECEASED: frozenset(),
}
QUARANTINE_STATES = frozenset({S.HOME_QUARANTINE, S.CENTRAL_QUARANTINE})
# States whose people are watched: a worker checks on them every day (follow-up tasks).
WATCHED_STATES = frozenset(
    {S.SYMPTOMATIC, S.SUSPECTED, S.CLOSE_CONTACT, S.SECONDARY_CONTACT} | QUARANTINE_STATES
)
# States the public figures count as cases.
CASE_STATES = frozenset({S.CONFIRMED, S.HOSPITALISED})


class ChangeSource(models.TextChoices):
    MANUAL = "manual", _("Recorded by a worker")
    REPORT = "report", _("Daily health report")
    TEST = "test", _("Test result")
    QUARANTINE = "quarantine", _("Quarantine")
    TRACING = "tracing", _("Contact tracing")
    CROSSCHECK = "crosscheck", _("External list cross-check")


class Symptom(models.TextChoices):
    FEVER = "fever", _("Fever")
    COUGH = "cough", _("Dry cough")
    SORE_THROAT = "sore_throat", _("Sore throat")
    FATIGUE = "fatigue", _("Fatigue")
    SHORT_BREATH = "short_breath", _("Shortness of breath")
    TASTE_SMELL = "taste_smell", _("Loss of taste or smell")
    MUSCLE_ACHE = "muscle_ache", _("Muscle aches")
    HEADACHE = "headache", _("Headache")
    DIARRHOEA = "diarrhoea", _("Diarrhoea")


class LabKind(models.TextChoices):
    PCR = "pcr", _("PCR (nucleic acid)")
    ANTIGEN = "antigen", _("Antigen")


class LabOutcome(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    INCONCLUSIVE = "inconclusive", _("Inconclusive")


class QuarantineKind(models.TextChoices):
    HOME = "home", _("Home quarantine")
    CENTRAL = "central", _("Centralised quarantine")


QUARANTINE_KIND_STATE = {
    QuarantineKind.HOME: HealthStatus.HOME_QUARANTINE,
    QuarantineKind.CENTRAL: HealthStatus.CENTRAL_QUARANTINE,
}


class ReportSource(models.TextChoices):
    SELF = "self", _("By the resident")
    WORKER = "worker", _("By a worker for them")

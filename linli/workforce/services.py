"""Every write to the roster: workers of every force, volunteer sign-up and screening (S11),
the hours ledger, and protective equipment (S13). Each runs in one transaction with its
audit event, so nothing is half-written."""

import re
import secrets
from datetime import date, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.choices import Role
from linli.accounts.models import RoleGrant, User
from linli.accounts.services import grant_role
from linli.core.errors import ApplicationError, Conflict
from linli.core.services import audit_record
from linli.places.models import Building, Community
from linli.residents.idnumber import IdNumberError, parse_id_number
from linli.residents.services import find_by_id_number
from linli.workforce.choices import WEEKDAYS, DayPart, Force, PpeKind, Skill, WorkerStatus
from linli.workforce.models import DEFAULT_CAP, HoursEntry, PpeItem, PpeMovement, Worker

# The role each force holds, and over which area (a grid worker's grid, a building leader's
# building, the whole community for the others).
FORCE_ROLE = {
    Force.STAFF: Role.STAFF,
    Force.GRID_WORKER: Role.GRID_WORKER,
    Force.CADRE: Role.CADRE,
    Force.PROPERTY: Role.PROPERTY,
    Force.VOLUNTEER: Role.VOLUNTEER,
    Force.BUILDING_LEADER: Role.BUILDING_LEADER,
}
# "A recent negative test" (proposal S11): no older than this on the day of approval.
TEST_VALID_DAYS = 7
MAX_CAP = 84
AVAILABILITY = [f"{day}-{part}" for day in WEEKDAYS for part in DayPart.values]
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")
# Initial passwords without 0/o, 1/l/i: they are read out to the worker and typed on a phone.
LOGIN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _invalid(errors: dict):
    return ApplicationError(_("Please correct the marked fields."), fields=errors)


def snapshot(worker: Worker) -> dict:
    return {
        "force": worker.force,
        "name": worker.name,
        "phone": worker.phone,
        "organisation": worker.organisation,
        "home_building": worker.home_building_id,
        "home_room": worker.home_room,
        "grid": worker.grid_id,
        "skills": list(worker.skills),
        "availability": list(worker.availability),
        "weekly_hour_cap": worker.weekly_hour_cap,
        "status": worker.status,
    }


def _clean(values: dict, *, community: Community, partial: bool) -> dict:
    """Check the roster fields of `values`; return them normalised. Raises naming each field."""
    errors, out = {}, {}

    def present(name):
        return name in values or not partial

    if present("force"):
        if values.get("force") not in Force.values:
            errors["force"] = [_("must be one of the forces")]
        else:
            out["force"] = values["force"]
    if present("name"):
        name = (values.get("name") or "").strip()
        if not name:
            errors["name"] = [_("is required")]
        elif len(name) > 50:
            errors["name"] = [_("must be at most %(n)d characters") % {"n": 50}]
        out["name"] = name
    if present("phone"):
        phone = (values.get("phone") or "").strip()
        if not PHONE_RE.match(phone):
            errors["phone"] = [_("must be a phone number of digits")]
        out["phone"] = phone
    if present("organisation"):
        org = (values.get("organisation") or "").strip()
        if len(org) > 100:
            errors["organisation"] = [_("must be at most %(n)d characters") % {"n": 100}]
        out["organisation"] = org
    if present("home_room"):
        room = (values.get("home_room") or "").strip()
        if len(room) > 20:
            errors["home_room"] = [_("must be at most %(n)d characters") % {"n": 20}]
        out["home_room"] = room
    for name in ("home_building", "grid"):
        if present(name):
            place = values.get(name)
            if place is not None and place.community_id != community.pk:
                errors[name] = [_("must be in the worker's community")]
            out[name] = place
    if present("skills"):
        skills = list(dict.fromkeys(values.get("skills") or []))
        if any(s not in Skill.values for s in skills):
            errors["skills"] = [_("must be among the listed skills")]
        out["skills"] = skills
    if present("availability"):
        slots = set(values.get("availability") or [])
        if slots - set(AVAILABILITY):
            errors["availability"] = [_("must be half-days of the week")]
        out["availability"] = [s for s in AVAILABILITY if s in slots]
    if present("weekly_hour_cap"):
        cap = values.get("weekly_hour_cap")
        if cap in (None, ""):
            cap = DEFAULT_CAP.get(out.get("force") or values.get("force"), 40)
        try:
            cap = int(cap)
        except (TypeError, ValueError):
            cap = -1
        if not 0 <= cap <= MAX_CAP:
            errors["weekly_hour_cap"] = [_("must be 0 to %(n)d hours") % {"n": MAX_CAP}]
        out["weekly_hour_cap"] = cap
    if errors:
        raise _invalid(errors)
    return out


def _check_role_area(worker: Worker) -> None:
    # A grid worker answers for one grid and a building leader for one building: their role
    # is granted over it, so it must be known.
    if worker.force == Force.GRID_WORKER and worker.grid_id is None:
        raise _invalid({"grid": [_("is required for a grid worker")]})
    if worker.force == Force.BUILDING_LEADER and worker.home_building_id is None:
        raise _invalid({"home_building": [_("is required for a building leader")]})


def _grant_force_role(worker: Worker) -> RoleGrant:
    role = FORCE_ROLE[worker.force]
    if worker.force == Force.GRID_WORKER:
        return grant_role(user=worker.user, role=role, grid=worker.grid)
    if worker.force == Force.BUILDING_LEADER:
        return grant_role(user=worker.user, role=role, building=worker.home_building)
    return grant_role(user=worker.user, role=role, community=worker.community)


def _revoke_force_role(worker: Worker, force: str) -> None:
    RoleGrant.objects.filter(
        user=worker.user, role=FORCE_ROLE[force], community=worker.community
    ).delete()


def _new_password() -> str:
    return "".join(secrets.choice(LOGIN_ALPHABET) for _i in range(10))


def _username_free(username: str) -> bool:
    return not User.objects.filter(username__iexact=username).exists()


@transaction.atomic
def worker_create(
    *, actor, community: Community, values: dict, user: User | None = None, username: str = ""
) -> tuple[Worker, str | None]:
    """Put someone on the roster: link an existing login (`user`) or create one (`username`)
    with an initial password, returned once and never stored in the clear. The role of their
    force is granted at once, except to a volunteer, who is screened first (S11)."""
    cleaned = _clean(values, community=community, partial=False)
    password = None
    if user is None:
        username = (username or "").strip()
        if not re.fullmatch(r"[\w.@+-]{3,150}", username):
            raise _invalid({"username": [_("3 or more letters, digits or . @ + - _")]})
        if not _username_free(username):
            raise _invalid({"username": [_("is already taken")]})
        password = _new_password()
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    username=username,
                    password=password,
                    display_name=cleaned["name"],
                    phone=cleaned["phone"],
                )
        except IntegrityError as exc:
            raise _invalid({"username": [_("is already taken")]}) from exc
    elif Worker.objects.filter(user=user).exists():
        raise _invalid({"existing_username": [_("is already on a roster")]})
    status = WorkerStatus.PENDING if cleaned["force"] == Force.VOLUNTEER else WorkerStatus.APPROVED
    worker = Worker(user=user, community=community, status=status, **cleaned)
    _check_role_area(worker)
    try:
        with transaction.atomic():
            worker.save()
    except IntegrityError as exc:  # the same login linked twice at once
        raise _invalid({"existing_username": [_("is already on a roster")]}) from exc
    if status == WorkerStatus.APPROVED:
        _grant_force_role(worker)
    audit_record(
        actor=actor,
        action="worker.create",
        target=worker,
        community_id=community.pk,
        detail={"after": snapshot(worker), "user": user.username, "new_login": bool(password)},
    )
    return worker, password


@transaction.atomic
def worker_update(*, actor, worker: Worker, values: dict) -> Worker:
    """Change a roster entry. A change of force, grid or home building moves the role grant
    with it, so the person's access always follows the roster."""
    cleaned = _clean(values, community=worker.community, partial=True)
    worker = (
        Worker.objects.select_for_update(of=("self",))
        .select_related("user", "community")
        .get(pk=worker.pk)
    )
    before = snapshot(worker)
    for name, value in cleaned.items():
        setattr(worker, name, value)
    _check_role_area(worker)
    worker.save()
    after = snapshot(worker)
    area_changed = any(before[k] != after[k] for k in ("force", "grid", "home_building"))
    if worker.status == WorkerStatus.APPROVED and area_changed:
        _revoke_force_role(worker, before["force"])
        _grant_force_role(worker)
    audit_record(
        actor=actor,
        action="worker.update",
        target=worker,
        community_id=worker.community_id,
        detail={"before": before, "after": after},
    )
    return worker


# ------------------------------------------------------------------ volunteers (S11)


@transaction.atomic
def volunteer_signup(
    *,
    community: Community,
    name: str,
    phone: str,
    id_number: str,
    building_number: str,
    room: str,
    username: str,
    password: str,
    skills=(),
    availability=(),
    organisation: str = "",
) -> Worker:
    """A resident signs up as a volunteer on the public page: a login with no role yet and a
    roster entry waiting for screening. The ID number is used once, to find the registry
    record staff will compare; it is not kept."""
    errors = {}
    try:
        cleaned = _clean(
            {
                "force": Force.VOLUNTEER,
                "name": name,
                "phone": phone,
                "organisation": organisation,
                "home_room": room,
                "skills": skills,
                "availability": availability,
                "weekly_hour_cap": DEFAULT_CAP[Force.VOLUNTEER],
            },
            community=community,
            partial=True,
        )
    except ApplicationError as exc:
        errors.update(exc.fields)
        cleaned = {}
    try:
        info = parse_id_number(id_number)
    except IdNumberError as exc:
        errors["id_number"] = [str(exc)]
        info = None
    building = Building.objects.filter(
        community=community, number=(building_number or "").strip()
    ).first()
    if building is None:
        errors["building"] = [_("no such building in %(community)s") % {"community": community}]
    if not (room or "").strip():
        errors["room"] = [_("is required")]
    username = (username or "").strip()
    if not re.fullmatch(r"[\w.@+-]{3,150}", username):
        errors["username"] = [_("3 or more letters, digits or . @ + - _")]
    try:
        validate_password(password or "", user=User(username=username, display_name=name))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise _invalid(errors)
    # Serialise sign-ups per community (PostgreSQL; SQLite's IMMEDIATE transactions already
    # do), so a double tap on "sign up" cannot pass the check below twice.
    Community.objects.select_for_update().filter(pk=community.pk).first()
    if Worker.objects.filter(community=community, phone=cleaned["phone"]).exists():
        raise Conflict(
            _("This phone number has already signed up. Log in to see your screening."),
            code="already_signed_up",
            fields={"phone": [_("has already signed up")]},
        )
    if not _username_free(username):
        raise _invalid({"username": [_("is already taken")]})
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username, password=password, display_name=cleaned["name"], phone=phone
            )
    except IntegrityError as exc:
        raise _invalid({"username": [_("is already taken")]}) from exc
    worker = Worker.objects.create(
        user=user,
        community=community,
        home_building=building,
        status=WorkerStatus.PENDING,
        resident=_registry_record(info.number, community.pk),
        **cleaned,
    )
    audit_record(
        actor=user,
        action="volunteer.signup",
        target=worker,
        community_id=community.pk,
        detail={"registry_record_found": worker.resident_id is not None},
    )
    return worker


def _registry_record(number: str, community_id: int):
    """The registry record with this ID number, if it lives in the volunteer's community:
    staff of one community must not learn who lives in another through the screening page."""
    resident = find_by_id_number(number)
    if resident is None or resident.household.building.community_id != community_id:
        return None
    return resident


def _pending(worker: Worker) -> Worker:
    locked = (
        Worker.objects.select_for_update(of=("self",))
        .select_related("user", "community", "resident__household__building")
        .get(pk=worker.pk)
    )
    if locked.status != WorkerStatus.PENDING:
        raise Conflict(
            _("This volunteer has already been %(status)s.")
            % {"status": locked.get_status_display().lower()},
            code="already_decided",
        )
    return locked


def identity_match(worker: Worker) -> dict:
    """How the sign-up compares with the registry record found by the ID number."""
    resident = worker.resident
    if resident is None:
        return {"found": False, "name": False, "building": False, "room": False}
    household = resident.household
    return {
        "found": True,
        "name": resident.name == worker.name,
        "building": household.building_id == worker.home_building_id,
        "room": household.building_id == worker.home_building_id
        and household.room == worker.home_room,
    }


@transaction.atomic
def volunteer_identity_lookup(*, actor, worker: Worker, id_number: str) -> Worker:
    """Staff look the volunteer's ID number up in the registry (by its keyed hash) and link
    the record found. The number itself is neither stored nor written to the audit log."""
    try:
        info = parse_id_number(id_number)
    except IdNumberError as exc:
        raise _invalid({"id_number": [str(exc)]}) from exc
    worker = _pending(worker)
    worker.resident = _registry_record(info.number, worker.community_id)
    worker.identity_checked_at = None  # a new record must be compared and confirmed again
    worker.save(update_fields=["resident", "identity_checked_at"])
    audit_record(
        actor=actor,
        action="volunteer.identity_lookup",
        target=worker,
        community_id=worker.community_id,
        detail={"found": worker.resident_id is not None, "resident": worker.resident_id},
    )
    return worker


@transaction.atomic
def volunteer_identity_confirm(*, actor, worker: Worker) -> Worker:
    worker = _pending(worker)
    match = identity_match(worker)
    if not match["found"]:
        raise ApplicationError(
            _("No registry record is linked: look the ID number up first."),
            code="identity_not_found",
        )
    if not match["name"]:
        raise ApplicationError(
            _("The name given does not match the registry record."), code="identity_mismatch"
        )
    worker.identity_checked_at = timezone.now()
    worker.save(update_fields=["identity_checked_at"])
    audit_record(
        actor=actor,
        action="volunteer.identity_confirm",
        target=worker,
        community_id=worker.community_id,
        detail={"resident": worker.resident_id, "match": match},
    )
    return worker


@transaction.atomic
def volunteer_record_test(*, actor, worker: Worker, test_date: date) -> Worker:
    today = timezone.localdate()
    if test_date > today:
        raise _invalid({"test_date": [_("cannot be in the future")]})
    if test_date < today - timedelta(days=TEST_VALID_DAYS):
        raise _invalid(
            {"test_date": [_("must be within the last %(n)d days") % {"n": TEST_VALID_DAYS}]}
        )
    worker = _pending(worker)
    worker.test_date = test_date
    worker.save(update_fields=["test_date"])
    audit_record(
        actor=actor,
        action="volunteer.test_recorded",
        target=worker,
        community_id=worker.community_id,
        detail={"test_date": test_date.isoformat()},
    )
    return worker


@transaction.atomic
def volunteer_acknowledge_training(*, actor, worker: Worker) -> Worker:
    """The volunteer confirms they have read the safety training. Once is enough."""
    now = timezone.now()
    if Worker.objects.filter(pk=worker.pk, training_acknowledged_at__isnull=True).update(
        training_acknowledged_at=now
    ):
        worker.training_acknowledged_at = now
        audit_record(
            actor=actor,
            action="volunteer.training_acknowledged",
            target=worker,
            community_id=worker.community_id,
        )
    return worker


def screening_state(worker: Worker, *, today: date | None = None) -> dict:
    """The three conditions of approval (S11): identity checked against the registry, a
    negative test within seven days, the safety training acknowledged."""
    today = today or timezone.localdate()
    state = {
        "identity": worker.identity_checked_at is not None and worker.resident_id is not None,
        "test": worker.test_date is not None
        and today - timedelta(days=TEST_VALID_DAYS) <= worker.test_date <= today,
        "training": worker.training_acknowledged_at is not None,
    }
    labels = {
        "identity": _("identity checked against the registry"),
        "test": _("a negative test in the last %(n)d days") % {"n": TEST_VALID_DAYS},
        "training": _("safety training acknowledged"),
    }
    state["missing"] = [str(labels[k]) for k in ("identity", "test", "training") if not state[k]]
    state["complete"] = not state["missing"]
    return state


@transaction.atomic
def volunteer_approve(*, actor, worker: Worker) -> Worker:
    worker = _pending(worker)
    state = screening_state(worker)
    if not state["complete"]:
        raise Conflict(
            _("Cannot approve yet. Still missing: %(missing)s.")
            % {"missing": "; ".join(state["missing"])},
            code="screening_incomplete",
        )
    worker.status = WorkerStatus.APPROVED
    worker.decided_by = actor
    worker.decided_at = timezone.now()
    worker.rejection_reason = ""
    worker.save(update_fields=["status", "decided_by", "decided_at", "rejection_reason"])
    _grant_force_role(worker)
    audit_record(
        actor=actor,
        action="volunteer.approve",
        target=worker,
        community_id=worker.community_id,
        detail={
            "resident": worker.resident_id,
            "test_date": worker.test_date.isoformat(),
            "training_acknowledged_at": worker.training_acknowledged_at.isoformat(),
        },
    )
    return worker


@transaction.atomic
def volunteer_reject(*, actor, worker: Worker, reason: str) -> Worker:
    reason = (reason or "").strip()
    if not reason:
        raise _invalid({"reason": [_("is required: say why, the volunteer will read it")]})
    if len(reason) > 300:
        raise _invalid({"reason": [_("must be at most %(n)d characters") % {"n": 300}]})
    worker = _pending(worker)
    worker.status = WorkerStatus.REJECTED
    worker.rejection_reason = reason
    worker.decided_by = actor
    worker.decided_at = timezone.now()
    worker.save(update_fields=["status", "rejection_reason", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="volunteer.reject",
        target=worker,
        community_id=worker.community_id,
        detail={"reason": reason},
    )
    return worker


# ------------------------------------------------------------------ hours ledger


@transaction.atomic
def hours_add(*, actor, worker: Worker, day: date, minutes: int, note: str = "") -> HoursEntry:
    """Staff record hours given outside the task pool (a shift at the gate, a meeting)."""
    errors = {}
    today = timezone.localdate()
    if not isinstance(day, date) or day > today:
        errors["day"] = [_("must be a past day or today")]
    elif day < today - timedelta(days=366):
        errors["day"] = [_("must be within the last year")]
    if not isinstance(minutes, int) or not 0 < minutes <= 24 * 60:
        errors["hours"] = [_("must be more than 0 and at most 24 hours")]
    if len(note or "") > 200:
        errors["note"] = [_("must be at most %(n)d characters") % {"n": 200}]
    if errors:
        raise _invalid(errors)
    # One worker at a time, so two entries for one day cannot together pass 24 hours.
    Worker.objects.select_for_update().filter(pk=worker.pk).first()
    logged = HoursEntry.objects.filter(worker=worker, day=day).aggregate(t=Sum("minutes"))["t"] or 0
    if logged + minutes > 24 * 60:
        raise _invalid(
            {"hours": [_("would make more than 24 hours on %(day)s") % {"day": day.isoformat()}]}
        )
    entry = HoursEntry.objects.create(
        worker=worker, day=day, minutes=minutes, note=(note or "").strip(), recorded_by=actor
    )
    audit_record(
        actor=actor,
        action="hours.add",
        target=worker,
        community_id=worker.community_id,
        detail={"day": day.isoformat(), "minutes": minutes, "note": entry.note},
    )
    return entry


# ------------------------------------------------------------------ protective equipment (S13)


def _quantity(quantity) -> int:
    if not isinstance(quantity, int) or not 0 < quantity <= 1_000_000:
        raise _invalid({"quantity": [_("must be a whole number from 1 to 1,000,000")]})
    return quantity


@transaction.atomic
def ppe_receive(
    *, actor, community: Community, kind: str, quantity: int, note: str = ""
) -> PpeItem:
    if kind not in PpeKind.values:
        raise _invalid({"kind": [_("must be one of the kinds of equipment")]})
    quantity = _quantity(quantity)
    item, _created = PpeItem.objects.get_or_create(community=community, kind=kind)
    PpeItem.objects.filter(pk=item.pk).update(stock=F("stock") + quantity)
    item.refresh_from_db(fields=["stock"])
    PpeMovement.objects.create(item=item, quantity=quantity, by=actor, note=(note or "")[:200])
    audit_record(
        actor=actor,
        action="ppe.receive",
        target=item,
        community_id=community.pk,
        detail={"kind": kind, "quantity": quantity, "stock": item.stock},
    )
    return item


@transaction.atomic
def ppe_issue(
    *, actor, item: PpeItem, worker: Worker, quantity: int, note: str = ""
) -> PpeMovement:
    """Hand equipment to a worker. One guarded UPDATE takes it from stock only if enough is
    there, so two issues at once can never take the stock below zero."""
    quantity = _quantity(quantity)
    if worker.community_id != item.community_id:
        raise _invalid({"worker": [_("must be on this community's roster")]})
    if worker.status != WorkerStatus.APPROVED:
        raise _invalid({"worker": [_("must be an approved worker")]})
    taken = PpeItem.objects.filter(pk=item.pk, stock__gte=quantity).update(
        stock=F("stock") - quantity
    )
    if not taken:
        stock = PpeItem.objects.filter(pk=item.pk).values_list("stock", flat=True).first() or 0
        raise Conflict(
            _("Not enough %(kind)s in stock: %(stock)d left, %(quantity)d asked.")
            % {"kind": item.get_kind_display(), "stock": stock, "quantity": quantity},
            code="insufficient_stock",
            fields={"quantity": [_("is more than the %(stock)d in stock") % {"stock": stock}]},
        )
    movement = PpeMovement.objects.create(
        item=item, worker=worker, quantity=-quantity, by=actor, note=(note or "")[:200]
    )
    item.refresh_from_db(fields=["stock"])
    audit_record(
        actor=actor,
        action="ppe.issue",
        target=worker,
        community_id=item.community_id,
        detail={"kind": item.kind, "quantity": quantity, "stock": item.stock},
    )
    return movement


@transaction.atomic
def ppe_set_threshold(*, actor, community: Community, kind: str, low_threshold: int) -> PpeItem:
    if kind not in PpeKind.values:
        raise _invalid({"kind": [_("must be one of the kinds of equipment")]})
    if not isinstance(low_threshold, int) or not 0 <= low_threshold <= 1_000_000:
        raise _invalid({"low_threshold": [_("must be a whole number from 0 to 1,000,000")]})
    item, _created = PpeItem.objects.get_or_create(community=community, kind=kind)
    before = item.low_threshold
    PpeItem.objects.filter(pk=item.pk).update(low_threshold=low_threshold)
    item.low_threshold = low_threshold
    audit_record(
        actor=actor,
        action="ppe.threshold",
        target=item,
        community_id=community.pk,
        detail={"before": before, "after": low_threshold},
    )
    return item

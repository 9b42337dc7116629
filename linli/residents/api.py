"""/api/v1/residents and /api/v1/households, scoped exactly like the pages."""

from datetime import date, datetime

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from linli.core.api import ErrorOut
from linli.core.errors import ApplicationError
from linli.residents import access, selectors, services
from linli.residents.choices import Tag

residents_router = Router(tags=["residents"])
households_router = Router(tags=["households"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ResidentOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: date
    age: int
    phone: str
    id_number_masked: str
    relation: str
    resident_type: str
    household_id: int
    address: str
    grid: int
    grid_id: int
    building: str
    building_id: int
    tags: list[str]
    disability_level: int | None
    note: str
    verified_at: datetime | None


class ResidentPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ResidentOut]


class ResidentIn(Schema):
    household_id: int
    name: str
    sex: str | None = None
    birth_date: str | None = None
    id_number: str | None = None
    phone: str | None = ""
    relation: str | None = None
    resident_type: str | None = None
    tags: list[str] = []
    disability_level: int | str | None = None
    note: str | None = ""


class ResidentPatch(Schema):
    household_id: int | None = None
    name: str | None = None
    sex: str | None = None
    birth_date: str | None = None
    id_number: str | None = None
    phone: str | None = None
    relation: str | None = None
    resident_type: str | None = None
    tags: list[str] | None = None
    disability_level: int | str | None = None
    note: str | None = None


class ResidentFilters(Schema):
    q: str = ""
    grid: int | None = None
    building: int | None = None
    tag: Tag | None = None
    verified: bool | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class MemberOut(Schema):
    id: int
    name: str
    relation: str
    age: int
    tags: list[str]


class HouseholdOut(Schema):
    id: int
    address: str
    building_id: int
    building: str
    entrance: int
    room: str
    grid: int
    grid_id: int
    members: list[MemberOut]


class RevealIn(Schema):
    reason: str


class RevealOut(Schema):
    id_number: str


class VerifyIn(Schema):
    method: str
    note: str = ""


def resident_out(resident, household_size: int | None = None) -> dict:
    size = getattr(resident, "household_size", household_size)
    building = resident.household.building
    return {
        "id": resident.pk,
        "name": resident.name,
        "sex": resident.sex,
        "birth_date": resident.birth_date,
        "age": resident.age(),
        "phone": resident.phone,
        "id_number_masked": resident.id_number_masked,
        "relation": resident.relation,
        "resident_type": resident.resident_type,
        "household_id": resident.household_id,
        "address": str(resident.household),
        "grid": building.grid.number,
        "grid_id": building.grid_id,
        "building": building.number,
        "building_id": building.pk,
        "tags": [str(t.value) for t in selectors.resident_tags(resident, household_size=size or 0)],
        "disability_level": resident.disability_level,
        "note": resident.note,
        "verified_at": resident.verified_at,
    }


def _reload(user, pk):
    resident = selectors.resident_list(user=user).filter(pk=pk).first()
    if resident is None:  # moved out, still visible to its own history only
        raise Http404
    return resident


def _household_for(user, pk, action):
    try:
        return access.access_household_by_id(user, pk, action=action)
    except Http404:
        raise ApplicationError(
            _("Please correct the marked fields."),
            code="invalid",
            fields={"household_id": [_("does not exist or is outside your area")]},
        ) from None


@residents_router.get("", response={200: ResidentPage, **ERRORS}, summary="List residents")
def list_residents(request, filters: Query[ResidentFilters]):
    access.require(request.user, "view")
    qs = selectors.resident_list(
        user=request.user,
        q=filters.q,
        grid=filters.grid,
        building=filters.building,
        tag=filters.tag,
        verified=filters.verified,
    )
    size = min(filters.page_size, settings.LINLI_PAGE_SIZE * 4)
    start = (filters.page - 1) * size
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": size,
        "items": [resident_out(r) for r in qs[start : start + size]],
    }


@residents_router.get("/{int:resident_id}", response={200: ResidentOut, **ERRORS})
def get_resident(request, resident_id: int):
    access.access_resident_by_id(request.user, resident_id)
    return resident_out(_reload(request.user, resident_id))


@residents_router.post("", response={201: ResidentOut, **ERRORS})
def create_resident(request, payload: ResidentIn):
    access.require(request.user, "edit")
    household = _household_for(request.user, payload.household_id, "edit")
    values = payload.dict(exclude={"household_id"})
    resident = services.resident_create(actor=request.user, household=household, values=values)
    return Status(201, resident_out(_reload(request.user, resident.pk)))


@residents_router.patch("/{int:resident_id}", response={200: ResidentOut, **ERRORS})
def update_resident(request, resident_id: int, payload: ResidentPatch):
    resident = access.access_resident_by_id(request.user, resident_id, action="edit")
    values = payload.dict(exclude_unset=True)
    household = None
    if values.get("household_id") is not None:
        household = _household_for(request.user, values.pop("household_id"), "edit")
    values.pop("household_id", None)
    services.resident_update(
        actor=request.user, resident=resident, values=values, household=household
    )
    return resident_out(_reload(request.user, resident_id))


@residents_router.post("/{int:resident_id}/reveal-id", response={200: RevealOut, **ERRORS})
def reveal_id(request, resident_id: int, payload: RevealIn):
    resident = access.access_resident_by_id(request.user, resident_id, action="reveal_id")
    number = services.resident_reveal_id(
        actor=request.user, resident=resident, reason=payload.reason
    )
    return {"id_number": number}


@residents_router.post("/{int:resident_id}/verify", response={200: ResidentOut, **ERRORS})
def verify(request, resident_id: int, payload: VerifyIn):
    resident = access.access_resident_by_id(request.user, resident_id, action="verify")
    services.resident_verify(
        actor=request.user, resident=resident, method=payload.method, note=payload.note
    )
    return resident_out(_reload(request.user, resident_id))


@households_router.get("/{int:household_id}", response={200: HouseholdOut, **ERRORS})
def get_household(request, household_id: int):
    household = access.access_household_by_id(request.user, household_id)
    members = selectors.household_members(household)
    return {
        "id": household.pk,
        "address": str(household),
        "building_id": household.building_id,
        "building": household.building.number,
        "entrance": household.entrance.number,
        "room": household.room,
        "grid": household.building.grid.number,
        "grid_id": household.building.grid_id,
        "members": [
            {
                "id": m.pk,
                "name": m.name,
                "relation": m.relation,
                "age": m.age(),
                "tags": [
                    str(t.value)
                    for t in selectors.resident_tags(m, household_size=m.household_size)
                ],
            }
            for m in members
        ],
    }

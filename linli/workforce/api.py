"""/api/v1/workers: the roster, scoped exactly like the roster pages."""

from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from linli.core.api import ErrorOut
from linli.core.errors import PermissionDenied
from linli.workforce import access, selectors
from linli.workforce.choices import Force, Skill, WorkerStatus

router = Router(tags=["workers"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class WorkerOut(Schema):
    id: int
    name: str
    force: str
    status: str
    phone: str
    organisation: str
    community_id: int
    grid_id: int | None
    home_building_id: int | None
    home_building: str | None
    skills: list[str]
    availability: list[str]
    weekly_hour_cap: int
    minutes_this_week: int
    test_date: date | None
    can_take_tasks: bool


class WorkerPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[WorkerOut]


class WorkerFilters(Schema):
    q: str = ""
    force: Force | None = None
    status: WorkerStatus | None = None
    skill: Skill | None = None
    grid: int | None = None
    community: int | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


def worker_out(worker, minutes: int) -> dict:
    return {
        "id": worker.pk,
        "name": worker.name,
        "force": worker.force,
        "status": worker.status,
        "phone": worker.phone,
        "organisation": worker.organisation,
        "community_id": worker.community_id,
        "grid_id": worker.grid_id,
        "home_building_id": worker.home_building_id,
        "home_building": worker.home_building.number if worker.home_building else None,
        "skills": list(worker.skills),
        "availability": list(worker.availability),
        "weekly_hour_cap": worker.weekly_hour_cap,
        "minutes_this_week": minutes,
        "test_date": worker.test_date,
        "can_take_tasks": worker.status == WorkerStatus.APPROVED and worker.user.is_active,
    }


@router.get("", response={200: WorkerPage, **ERRORS}, summary="List the roster")
def list_workers(request, filters: Query[WorkerFilters]):
    if not access.can(request.user, "view"):
        raise PermissionDenied(_("You may not read the roster."))
    qs = selectors.roster_list(
        user=request.user,
        q=filters.q[:50],
        force=filters.force,
        status=filters.status,
        skill=filters.skill,
        grid=filters.grid,
        community=filters.community,
    )
    size = min(filters.page_size, settings.LINLI_PAGE_SIZE * 4)
    start = (filters.page - 1) * size
    workers = list(qs[start : start + size])
    minutes = selectors.minutes_this_week([w.pk for w in workers])
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": size,
        "items": [worker_out(w, minutes.get(w.pk, 0)) for w in workers],
    }


@router.get("/{int:worker_id}", response={200: WorkerOut, **ERRORS}, summary="One worker")
def get_worker(request, worker_id: int):
    worker = access.access_worker_by_id(request.user, worker_id)
    return worker_out(worker, selectors.minutes_this_week([worker.pk]).get(worker.pk, 0))

"""Roster helpers for every app's tests: put a persona (or a new user) on the roster."""

from linli.places.models import Community
from linli.workforce.choices import Force, WorkerStatus
from linli.workforce.models import DEFAULT_CAP, Worker


def make_worker(
    user,
    force: str = Force.VOLUNTEER,
    community: Community | None = None,
    *,
    status: str = WorkerStatus.APPROVED,
    skills=(),
    availability=(),
    home_building=None,
    grid=None,
    weekly_hour_cap: int | None = None,
    name: str | None = None,
    phone: str | None = None,
    **fields,
) -> Worker:
    """A roster entry for `user`, approved unless told otherwise. The community defaults to
    the one of the user's first role grant, else the only community there is. No role is
    granted here: the personas of linli.testing already hold theirs."""
    if community is None:
        grant = user.grants.select_related("community").exclude(community=None).first()
        community = grant.community if grant else Community.objects.get()
    return Worker.objects.create(
        user=user,
        community=community,
        force=force,
        status=status,
        name=name or user.display_name or user.username,
        phone=phone if phone is not None else f"139{user.pk:08d}",
        skills=list(skills),
        availability=list(availability),
        home_building=home_building,
        grid=grid,
        weekly_hour_cap=DEFAULT_CAP.get(force, 40) if weekly_hour_cap is None else weekly_hour_cap,
        **fields,
    )

"""Who may record check-ins, read trajectories and run tracing, on which objects. The rules
(roles per action) are linli.health.access's "record_checkin" and "trace"; this module applies
them to places, residents, runs and contacts. Outside one's area an object is a 404.

- a resident checks in themselves and the members of their own household (a parent for a
  child), at a place whose QR code they scanned;
- whoever keeps a gate or a shop door (record_checkin) records entries at the places of their
  community, for the residents of their area;
- trajectories, direct contacts and tracing runs: staff and doctors of the community (trace).
"""

from django.http import Http404

from linli.health import access as health_access

# A resident by the health actions ("record_checkin", "trace"): seen through the registry
# or through the action, 404 if neither, 403 if seen but not allowed.
from linli.health.access import access_resident, communities_for  # noqa: F401
from linli.residents.models import Resident
from linli.tracing.qr import place_id_from_token


def _places():
    from linli.places.models import PublicPlace

    return PublicPlace.objects.select_related("community")


def access_place(user, pk, *, action: str = "record_checkin"):
    """A public place of a community where `user` may `action`, else 404."""
    place = _places().filter(pk=pk, community__in=communities_for(user, action)).first()
    if place is None:
        raise Http404
    return place


def place_by_token(token: str):
    """The place a scanned QR code names; a forged or mistyped token is a 404."""
    place_id = place_id_from_token(token)
    place = _places().filter(pk=place_id).first() if place_id is not None else None
    if place is None:
        raise Http404
    return place


def own_household(user):
    """The active members of the user's own household (the people they may check in), the
    user's own record first; empty for a user who is not a resident."""
    resident_id = getattr(user, "resident_id", None)
    if not user.is_authenticated or resident_id is None:
        return []
    household_id = Resident.objects.filter(pk=resident_id).values("household_id")
    members = Resident.objects.active().filter(household_id__in=household_id)
    return sorted(members.order_by("id"), key=lambda r: r.pk != resident_id)


def access_scan_person(user, pk):
    """A member of the user's own household, whom they may check in, else 404."""
    for member in own_household(user):
        if member.pk == pk:
            return member
    raise Http404


def require_trace(user) -> None:
    health_access.require(user, "trace")


def require_record(user) -> None:
    health_access.require(user, "record_checkin")


def trace_communities(user):
    return communities_for(user, "trace")


def access_run(user, pk):
    """A tracing run of a community where `user` may trace, else 404."""
    from linli.tracing.models import TracingRun

    run = (
        TracingRun.objects.filter(pk=pk, community__in=trace_communities(user))
        .select_related("community", "job", "created_by")
        .first()
    )
    if run is None:
        raise Http404
    return run


def access_contact(user, pk):
    """A traced contact of a run `user` may see, else 404."""
    from linli.tracing.models import TraceContact

    contact = (
        TraceContact.objects.filter(pk=pk, run__community__in=trace_communities(user))
        .select_related("run", "resident__household__building", "source", "place")
        .first()
    )
    if contact is None:
        raise Http404
    return contact

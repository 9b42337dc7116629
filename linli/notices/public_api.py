"""GET /api/v1/public/summary: the open-information figures as JSON, no login. The same
numbers as the page and the CSV, suppressed the same way: a count from 1 to 4 is "<5"."""

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from linli.core.api import ErrorOut
from linli.notices.public import public_community, public_summary
from linli.notices.public_views import MAX_AGE

router = Router(tags=["public"], auth=None)

# An int, or the string "<5" for a suppressed count.
Count = int | str


class CommunityOut(Schema):
    code: str
    name: str


class NowOut(Schema):
    confirmed: Count
    suspected: Count
    quarantine: Count
    recovered: Count
    quarantines_in_force: Count


class DayOut(Schema):
    date: dt.date
    confirmed: Count
    suspected: Count
    quarantine: Count
    recovered: Count
    rounds_held: Count
    households_served: Count


class GridOut(NowOut):
    number: int
    grid: str
    rounds_held: Count
    households_served: Count


class DayGridOut(DayOut):
    number: int
    grid: str


class SummaryOut(Schema):
    community: CommunityOut
    from_: dt.date = Field(alias="from")
    to: dt.date
    threshold: int
    now: NowOut
    daily: list[DayOut]
    grids: list[GridOut]
    daily_by_grid: list[DayGridOut]


@router.get("/summary", response={200: SummaryOut, 404: ErrorOut}, by_alias=True)
def summary(request: HttpRequest, response: HttpResponse, community: str | None = None):
    """Cases (people entering each status per day; current statuses per grid), quarantines in
    force, supply rounds held and households served, for the last 14 days. `community` is a
    community code; the first community when omitted."""
    found = public_community(community)
    if found is None:
        raise Http404
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return public_summary(community=found)

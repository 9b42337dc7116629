"""The open-information page and its CSV: no login, no personal data, cacheable by anyone.

The page does not extend base.html: that template shows the logged-in person's menu and CSRF
tokens, which a shared cache must never hand to the next visitor. The language comes from
`?lang=` when given (so each language is its own cacheable URL), otherwise from the usual
cookie, in which case the response varies on it."""

import csv

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from linli.notices.public import (
    DAILY_FIELDS,
    SUPPRESS_BELOW,
    daily_chart,
    public_community,
    public_summary,
)
from linli.places.models import Community

MAX_AGE = 300
CSV_HEADER = ["date", "grid_number", "grid", *DAILY_FIELDS]
CHART_COLOURS = {
    "confirmed": "#c62828",
    "suspected": "#ef6c00",
    "quarantine": "#6a1b9a",
    "recovered": "#2e7d32",
    "rounds_held": "#0b57d0",
    "households_served": "#00838f",
}


def _community(request):
    community = public_community(request.GET.get("community"))
    if community is None:
        raise Http404
    return community


def _language(request) -> str | None:
    lang = request.GET.get("lang")
    return lang if lang in dict(settings.LANGUAGES) else None


def _public(response, *, varies_on_cookie: bool):
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    if varies_on_cookie:
        patch_vary_headers(response, ["Cookie"])
    return response


def _labels() -> dict[str, str]:
    return {
        "confirmed": _("Confirmed cases"),
        "suspected": _("Suspected cases"),
        "quarantine": _("Entered quarantine"),
        "recovered": _("Recovered"),
        "rounds_held": _("Supply rounds held"),
        "households_served": _("Households served"),
    }


def _charts(summary: dict) -> list[dict]:
    labels = _labels()
    return [
        {
            "label": labels[field],
            "svg": daily_chart(
                [(f"{r['date'].month}/{r['date'].day}", r[field]) for r in summary["daily"]],
                label=labels[field],
                colour=CHART_COLOURS[field],
            ),
        }
        for field in DAILY_FIELDS
    ]


@require_GET
def summary_page(request):
    community = _community(request)
    lang = _language(request)
    with translation.override(lang or translation.get_language()):
        summary = public_summary(community=community)
        response = render(
            request,
            "notices/public.html",
            {
                "summary": summary,
                "charts": _charts(summary),
                "communities": Community.objects.order_by("name", "pk"),
                "community": community,
                "threshold": SUPPRESS_BELOW,
                "other_lang": "en" if translation.get_language() != "en" else "zh-hans",
            },
        )
    return _public(response, varies_on_cookie=lang is None)


@require_GET
def summary_csv(request):
    community = _community(request)
    summary = public_summary(community=community)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"linli-open-{community.code}-{summary['to']:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The byte-order mark lets Excel, which most committees open CSVs with, read the Chinese.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row in summary["daily_by_grid"]:
        writer.writerow(
            [row["date"].isoformat(), row["number"], row["grid"], *(row[f] for f in DAILY_FIELDS)]
        )
    return _public(response, varies_on_cookie=False)

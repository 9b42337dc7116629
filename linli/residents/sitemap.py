"""The community's site plan as SVG: each building a square at its coordinates, coloured by
the share of its residents verified. People read a map faster than a table of 200 rows."""

from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

WIDTH = 640


def coverage_colour(pct: int) -> str:
    # Red (nobody verified) through amber to green (everybody verified).
    if pct >= 90:
        return "#2e7d32"
    if pct >= 60:
        return "#9e9d24"
    if pct >= 30:
        return "#ef6c00"
    return "#c62828"


def site_plan_svg(coverage: list[dict], communities) -> str:
    community = next(iter(communities))
    scale = WIDTH / max(community.width, community.height, 1)
    height = round(community.height * scale)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height + 24}" '
        f'role="img" aria-label="{escape(_("Site plan: verified share by building"))}" '
        f'class="siteplan">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#f5f3ee" stroke="#bbb"/>',
    ]
    size = 14
    for row in coverage:
        # Site-plan y grows northwards; SVG y grows downwards.
        x = row["x"] * scale - size / 2
        y = height - row["y"] * scale - size / 2
        url = reverse("residents:building", args=[row["building_id"]])
        title = _("Building %(n)s: %(v)d of %(p)d verified (%(pct)d%%)") % {
            "n": row["number"],
            "v": row["verified"],
            "p": row["people"],
            "pct": row["verified_pct"],
        }
        parts.append(
            f'<a href="{url}"><rect x="{x:.1f}" y="{y:.1f}" width="{size}" height="{size}" '
            f'rx="2" fill="{coverage_colour(row["verified_pct"])}"><title>{escape(title)}</title>'
            f"</rect></a>"
        )
    legend = [(95, "≥90%"), (70, "60–89%"), (40, "30–59%"), (0, "<30%")]
    for i, (pct, label) in enumerate(legend):
        lx, colour = 8 + i * 110, coverage_colour(pct)
        parts.append(
            f'<rect x="{lx}" y="{height + 6}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{lx + 16}" y="{height + 17}" font-size="12">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

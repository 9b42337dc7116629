"""Routes on the community's site plan, as SVG (no tile server, prints, works offline): each
route a coloured line from the start through its doors in order, back to the start between
trips; numbered dots at the doors. No names: the map is safe to print and pin up."""

from django.utils.html import escape
from django.utils.translation import gettext as _

from linli.places.models import Building

COLOURS = [
    "#c62828",
    "#1565c0",
    "#2e7d32",
    "#6a1b9a",
    "#ef6c00",
    "#00838f",
    "#ad1457",
    "#4e342e",
    "#283593",
    "#558b2f",
]


def colour(number: int) -> str:
    return COLOURS[(number - 1) % len(COLOURS)]


def routes_svg(plan, routes, *, width: int = 640, numbered: bool = False) -> str:
    """`routes` with their stops (prefetched). `numbered` labels each door with its stop
    number (for one route's sheet)."""
    community = plan.community
    scale = width / max(community.width, community.height, 1)
    height = round(community.height * scale)

    def xy(x, y):
        # Site-plan y grows northwards; SVG y grows downwards.
        return round(x * scale, 1), round(height - y * scale, 1)

    legend_rows = 1 + (len(routes) - 1) // 6 if routes else 0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
        f'{height + 8 + 20 * legend_rows}" role="img" '
        f'aria-label="{escape(_("Door-delivery routes on the site plan"))}" class="siteplan">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f5f3ee" stroke="#bbb"/>',
    ]
    for b in Building.objects.filter(community=community).only("x", "y", "number"):
        x, y = xy(b.x, b.y)
        parts.append(
            f'<rect x="{x - 3}" y="{y - 3}" width="6" height="6" fill="#cfcac0">'
            f"<title>{escape(str(b))}</title></rect>"
        )
    sx, sy = xy(plan.start_x, plan.start_y)
    dots = []
    for route in routes:
        c = colour(route.number)
        points, trip = [(sx, sy)], 1
        for stop in route.stops.all():
            if stop.trip != trip:  # back to the start for more bags
                points.append((sx, sy))
                trip = stop.trip
            b = stop.household.building
            px, py = xy(b.x, b.y)
            points.append((px, py))
            label = _("Route %(r)d, stop %(s)d: %(address)s") % {
                "r": route.number,
                "s": stop.sequence,
                "address": stop.household,
            }
            dots.append(
                f'<circle cx="{px}" cy="{py}" r="4" fill="{c}"><title>{escape(label)}</title>'
                f"</circle>"
            )
            if numbered:
                dots.append(
                    f'<text x="{px + 5}" y="{py - 5}" font-size="11" fill="{c}">'
                    f"{stop.sequence}</text>"
                )
        points.append((sx, sy))
        path = " ".join(f"{x},{y}" for x, y in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2" '
            f'stroke-opacity=".75" stroke-linejoin="round"/>'
        )
    parts += dots
    start = plan.start_place.name if plan.start_place else _("Starting point")
    parts.append(
        f'<rect x="{sx - 6}" y="{sy - 6}" width="12" height="12" fill="#fff" stroke="#111" '
        f'stroke-width="2"><title>{escape(start)}</title></rect>'
    )
    for i, route in enumerate(routes):
        lx, ly = 8 + (i % 6) * 104, height + 8 + 20 * (i // 6)
        parts.append(
            f'<rect x="{lx}" y="{ly + 2}" width="14" height="10" fill="{colour(route.number)}"/>'
            f'<text x="{lx + 18}" y="{ly + 12}" font-size="12">'
            f"{escape(_('Route %(n)d') % {'n': route.number})}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)

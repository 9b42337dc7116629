"""Drawings of tracing results as SVG: pure functions of plain data (no Django), so they are
tested alone and the page needs no JavaScript (DESIGN.md: server-rendered SVG).

- `transmission_svg`: the index cases in the middle, their close contacts on a ring around
  them and the secondary contacts on an outer ring, each placed near the person they met, so
  the edges stay short; an edge's colour and dash say how they met (household, direct, place)
  and its label names the place.
- `places_svg`: a person's visited places on the community's site plan, numbered in the order
  of the first visit.

Callers pass every word already translated; the functions only escape it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

WIDTH = 640
MAX_NODES = 150
# Above these counts, names and edge labels would overlap into a grey blur: they move into
# the tooltips (<title>) instead.
MAX_NAMED_NODES = 60
MAX_LABELLED_EDGES = 40
KIND_STYLE = {
    # kind: (colour, dash)
    "household": ("#c62828", ""),
    "direct": ("#ef6c00", "6 3"),
    "place": ("#1565c0", ""),
}
HOP_FILL = {0: "#b71c1c", 1: "#ef6c00", 2: "#f9a825"}


@dataclass(frozen=True)
class Node:
    id: int
    label: str
    hop: int  # 0 index case, 1 close contact, 2 secondary contact
    title: str = ""


@dataclass(frozen=True)
class Edge:
    source: int
    target: int
    kind: str  # household, direct or place
    label: str = ""


def _keep(nodes: list[Node], max_nodes: int) -> tuple[list[Node], int]:
    """Index cases first, then close, then secondary contacts, in the caller's order (closest
    first), up to `max_nodes`; and how many were left out."""
    ordered = sorted(nodes, key=lambda n: n.hop)  # stable: the caller's order within a hop
    kept = ordered[:max_nodes]
    return kept, len(ordered) - len(kept)


def _ring(ids: list[int], radius: float, cx: float, cy: float, offset=0.0) -> dict:
    if not ids:
        return {}
    if len(ids) == 1 and radius == 0:
        return {ids[0]: (cx, cy, 0.0)}
    step = 2 * math.pi / len(ids)
    points = {}
    for i, node_id in enumerate(ids):
        angle = offset + i * step - math.pi / 2
        points[node_id] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle), angle)
    return points


def _layout(kept: list[Node], edges: list[Edge], size: float) -> dict[int, tuple]:
    """Node id -> (x, y, angle): rings by hop, each node ordered by the angle of who exposed it."""
    cx = cy = size / 2
    hops = {h: [n.id for n in kept if n.hop == h] for h in (0, 1, 2)}
    outer = size / 2 - 40
    radii = {0: 0.0 if len(hops[0]) == 1 else min(60.0, outer / 4)}
    if hops[2]:
        radii[1], radii[2] = outer * 0.55, outer
    else:
        radii[1], radii[2] = outer, outer
    points = _ring(hops[0], radii[0], cx, cy)
    parent: dict[int, int] = {}
    for e in edges:
        parent.setdefault(e.target, e.source)
    for hop in (1, 2):

        def angle_of_parent(node_id, known=points):
            p = known.get(parent.get(node_id))
            return (p[2] if p else math.pi, node_id)

        order = sorted(hops[hop], key=angle_of_parent)
        wanted = [angle_of_parent(n)[0] for n in order]
        points.update(_ring(order, radii[hop], cx, cy, offset=_best_turn(wanted)))
    return points


def _best_turn(wanted: list[float]) -> float:
    """The turn of a ring of evenly spaced slots that brings each node closest to the angle
    of its parent: the circular mean of the differences."""
    if not wanted:
        return 0.0
    step = 2 * math.pi / len(wanted)
    diffs = [a - (i * step - math.pi / 2) for i, a in enumerate(wanted)]
    y, x = sum(map(math.sin, diffs)), sum(map(math.cos, diffs))
    # All parents in one spot (a single index case in the middle): any turn is as good.
    return math.atan2(y, x) if math.hypot(x, y) > 1e-6 * len(wanted) else 0.0


def transmission_svg(
    nodes: list[Node],
    edges: list[Edge],
    *,
    labels: dict[str, str],
    title: str,
    more: str = "and %(n)d more",
    max_nodes: int = MAX_NODES,
    hidden: int = 0,
    width: int = WIDTH,
) -> str:
    """The transmission graph. `labels` names the kinds and hops for the legend: keys
    household, direct, place, hop0, hop1, hop2. `more` is the note for the nodes left out:
    those beyond `max_nodes`, plus `hidden` the caller did not even pass."""
    kept, left_out = _keep(nodes, max_nodes)
    left_out += max(0, hidden)
    shown = {n.id for n in kept}
    edges = [e for e in edges if e.source in shown and e.target in shown]
    points = _layout(kept, edges, width)
    legend_h = 44
    height = width + legend_h
    named = len(kept) <= MAX_NAMED_NODES
    labelled = len(edges) <= MAX_LABELLED_EDGES
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="siteplan tracing-graph">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{width}" fill="#fbfaf7" stroke="#ddd"/>',
    ]
    for e in edges:
        (x1, y1, _a1), (x2, y2, _a2) = points[e.source], points[e.target]
        colour, dash = KIND_STYLE.get(e.kind, ("#777", ""))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        tip = labels.get(e.kind, e.kind) + (f": {e.label}" if e.label else "")
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="1.5"{dash_attr}><title>{escape(tip)}</title></line>'
        )
        if labelled and e.label:
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            parts.append(
                f'<text x="{mx:.1f}" y="{my - 3:.1f}" font-size="10" fill="{colour}" '
                f'text-anchor="middle">{escape(e.label)}</text>'
            )
    for n in kept:
        x, y, _angle = points[n.id]
        radius = 9 if n.hop == 0 else 6
        tip = n.title or n.label
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{HOP_FILL.get(n.hop, "#999")}" '
            f'stroke="#fff" stroke-width="1.5"><title>{escape(tip)}</title></circle>'
        )
        if named or n.hop == 0:
            weight = ' font-weight="700"' if n.hop == 0 else ""
            parts.append(
                f'<text x="{x:.1f}" y="{y + radius + 11:.1f}" font-size="11" '
                f'text-anchor="middle"{weight}>{escape(n.label)}</text>'
            )
    parts.extend(_legend(labels, width, left_out, more))
    parts.append("</svg>")
    return "".join(parts)


def _legend(labels: dict[str, str], width: int, left_out: int, more: str) -> list[str]:
    y = width + 16
    parts, x = [], 8
    for hop in (0, 1, 2):
        parts.append(
            f'<circle cx="{x + 6}" cy="{y - 4}" r="6" fill="{HOP_FILL[hop]}"/>'
            f'<text x="{x + 16}" y="{y}" font-size="12">{escape(labels.get(f"hop{hop}", ""))}'
            "</text>"
        )
        x += 150
    y += 20
    x = 8
    for kind, (colour, dash) in KIND_STYLE.items():
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 24}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
            f'<text x="{x + 30}" y="{y}" font-size="12">{escape(labels.get(kind, kind))}</text>'
        )
        x += 150
    if left_out:
        parts.append(
            f'<text x="{width - 8}" y="{y}" font-size="12" text-anchor="end" font-weight="700">'
            f"{escape(more % {'n': left_out})}</text>"
        )
    return parts


@dataclass(frozen=True)
class PlacePoint:
    x: float  # metres east on the site plan
    y: float  # metres north
    label: str
    number: int  # order of the first visit


def places_svg(
    points: list[PlacePoint],
    *,
    site_width: float,
    site_height: float,
    title: str,
    width: int = WIDTH,
) -> str:
    """The visited places on the site plan, numbered in visiting order and joined by a thin
    line in that order (the path of the trajectory)."""
    scale = width / max(site_width, site_height, 1)
    height = round(site_height * scale)

    def xy(p: PlacePoint) -> tuple[float, float]:
        # Site-plan y grows northwards; SVG y grows downwards.
        return p.x * scale, height - p.y * scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="siteplan">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f5f3ee" stroke="#bbb"/>',
    ]
    ordered = sorted(points, key=lambda p: p.number)
    if len(ordered) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(xy, ordered))
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="#1565c0" stroke-width="1.5" '
            'stroke-dasharray="4 3"/>'
        )
    for p in ordered:
        x, y = xy(p)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="10" fill="#1565c0"><title>{escape(p.label)}'
            f"</title></circle>"
            f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" fill="#fff" '
            f'text-anchor="middle">{p.number}</text>'
            f'<text x="{x + 13:.1f}" y="{y + 4:.1f}" font-size="11">{escape(p.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

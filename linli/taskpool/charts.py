"""Small charts drawn as SVG on the server: they work offline, print, and need no script
(DESIGN.md, "charts"). Pure functions: plain labels and numbers in, an SVG string out. Every
text is escaped; every bar carries a <title>, which browsers show as a tooltip and screen
readers read. Labels are measured with Chinese characters counted as full width, so 第一网格
does not run into its bar.
"""

from collections.abc import Sequence
from html import escape

# Narrow enough that a phone shrinks the text only a little (360 px wide: ~10 px type).
WIDTH = 480
ROW = 28
BAR = 20
FONT_SIZE = 14
FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif'
INK = "#202124"
MUTED = "#5f6368"
ACCENT = "#0b57d0"
LIMIT = "#c62828"
MAX_LABEL = 150


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Approximate rendered width: CJK and other wide characters a full em, the rest 0.6."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    """`text` cut with an ellipsis so it fits in `width` (the full text stays in the title)."""
    if text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def number(value: float) -> str:
    """12, 3.5, 0.3: whole numbers without a decimal point, others with one decimal."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def _svg_open(height: float, label: str, width: float = WIDTH) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-label="{escape(label)}" class="chart" '
        f'font-family="{escape(FONT)}" font-size="{FONT_SIZE}">'
        f"<title>{escape(label)}</title>"
    )


def _empty(label: str, empty: str) -> str:
    return (
        _svg_open(40, label)
        + f'<text x="8" y="24" fill="{MUTED}">{escape(empty or "–")}</text></svg>'
    )


def _label_width(labels: Sequence[str]) -> float:
    widest = max((text_width(str(lab)) for lab in labels), default=0)
    return min(widest + 10, MAX_LABEL)


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    label: str,
    unit: str = "",
    titles: Sequence[str] | None = None,
    limits: Sequence[float | None] | None = None,
    colours: Sequence[str] | None = None,
    max_value: float | None = None,
    empty: str = "",
) -> str:
    """Horizontal bars, one per (label, value) item, the value written after the bar.

    `limits` draws a red tick per bar (a worker's weekly hour cap); `titles` replaces the
    default tooltip "label: value unit"; `max_value` fixes the scale (100 for percentages)."""
    if not items:
        return _empty(label, empty)
    labels = [str(name) for name, _v in items]
    left = _label_width(labels)
    right = 56
    span = WIDTH - left - right
    top = max(
        [max_value or 0]
        + [v or 0 for _n, v in items]
        + [lim or 0 for lim in (limits or [])]
        + [1e-9]
    )
    height = len(items) * ROW + 8
    parts = [_svg_open(height, label)]
    for i, (name, value) in enumerate(items):
        value = value or 0
        y = 4 + i * ROW
        w = span * value / top
        colour = colours[i] if colours else ACCENT
        tip = titles[i] if titles else f"{name}: {number(value)}{unit}"
        parts.append(
            f'<g class="bar"><title>{escape(str(tip))}</title>'
            f'<text x="{left - 6:.1f}" y="{y + BAR - 4}" text-anchor="end" fill="{INK}">'
            f"{escape(fit(str(name), left - 10))}</text>"
            f'<rect x="{left:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" rx="2" '
            f'fill="{escape(colour)}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + BAR - 4}" fill="{INK}">'
            f"{escape(number(value) + unit)}</text>"
        )
        limit = limits[i] if limits else None
        if limit:
            lx = left + span * limit / top
            parts.append(
                f'<line class="limit" x1="{lx:.1f}" x2="{lx:.1f}" y1="{y - 2}" '
                f'y2="{y + BAR + 2}" stroke="{LIMIT}" stroke-width="2"/>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    items: Sequence[tuple[str, float]],
    *,
    label: str,
    unit: str = "",
    titles: Sequence[str] | None = None,
    colour: str = ACCENT,
    empty: str = "",
) -> str:
    """Vertical bars (columns), one per (label, value) item: for a few categories over time
    or kind, where a phone shows them side by side."""
    if not items:
        return _empty(label, empty)
    plot_h, bottom, top_pad = 160, 24, 18
    n = len(items)
    slot = WIDTH / n
    col = max(min(slot * 0.7, 60), 2)
    top = max([v or 0 for _n, v in items] + [1e-9])
    height = top_pad + plot_h + bottom
    parts = [_svg_open(height, label)]
    for i, (name, value) in enumerate(items):
        value = value or 0
        h = plot_h * value / top
        x = i * slot + (slot - col) / 2
        y = top_pad + plot_h - h
        tip = titles[i] if titles else f"{name}: {number(value)}{unit}"
        cx = i * slot + slot / 2
        parts.append(
            f'<g class="bar"><title>{escape(str(tip))}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{col:.1f}" height="{h:.1f}" rx="2" '
            f'fill="{escape(colour)}"/>'
            f'<text x="{cx:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="{INK}">'
            f"{escape(number(value) + unit)}</text>"
            f'<text x="{cx:.1f}" y="{height - 7}" text-anchor="middle" fill="{INK}">'
            f"{escape(fit(str(name), slot - 4))}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, str]],
    values: Sequence[Sequence[float]],
    *,
    label: str,
    unit: str = "",
    empty: str = "",
) -> str:
    """Horizontal stacked bars: one bar per category, one segment per series (name, colour)
    with a legend underneath. `values[i][j]` is category i's amount of series j."""
    if not categories:
        return _empty(label, empty)
    left = _label_width(categories)
    right = 56
    span = WIDTH - left - right
    top = max([sum(v or 0 for v in row) for row in values] + [1e-9])
    legend_y = len(categories) * ROW + 12
    height = legend_y + 22
    parts = [_svg_open(height, label)]
    for i, name in enumerate(categories):
        row = [v or 0 for v in values[i]]
        y = 4 + i * ROW
        total = sum(row)
        tip = f"{name}: " + ", ".join(
            f"{s_name} {number(v)}{unit}" for (s_name, _c), v in zip(series, row, strict=True)
        )
        parts.append(
            f'<g class="bar"><title>{escape(str(tip))}</title>'
            f'<text x="{left - 6:.1f}" y="{y + BAR - 4}" text-anchor="end" fill="{INK}">'
            f"{escape(fit(str(name), left - 10))}</text>"
        )
        x = left
        for (s_name, colour), v in zip(series, row, strict=True):
            if v <= 0:
                continue
            w = span * v / top
            parts.append(
                f'<rect class="seg" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" '
                f'fill="{escape(colour)}"><title>{escape(f"{name}, {s_name}: {number(v)}{unit}")}'
                f"</title></rect>"
            )
            x += w
        parts.append(
            f'<text x="{x + 4:.1f}" y="{y + BAR - 4}" fill="{INK}">'
            f"{escape(number(total) + unit)}</text></g>"
        )
    x = 8.0
    for s_name, colour in series:
        parts.append(
            f'<g class="legend"><rect x="{x:.1f}" y="{legend_y}" width="12" height="12" '
            f'fill="{escape(colour)}"/><text x="{x + 16:.1f}" y="{legend_y + 11}" fill="{INK}">'
            f"{escape(str(s_name))}</text></g>"
        )
        x += 16 + text_width(str(s_name)) + 18
    parts.append("</svg>")
    return "".join(parts)

from django import template

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Money is kept in fen (integers); people read yuan with two decimals: 1250 -> ¥12.50."""
    if fen is None or fen == "":
        return "—"
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None

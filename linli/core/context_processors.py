def linli(request):
    """Display preferences every page needs: large type for elderly users."""
    session = getattr(request, "session", None)
    return {"large_type": bool(session and session.get("large_type"))}

from django.utils.functional import SimpleLazyObject

from linli.notices.selectors import unread_count


def unread(request):
    """`notices_unread`: the number of unread notifications, counted only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notices_unread": 0}
    return {"notices_unread": SimpleLazyObject(lambda: unread_count(user=user))}

from linli.notices.choices import Channel
from linli.notices.models import Notification


def notifications_for(*, user):
    """A person's in-app notifications, newest first."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user, channel=Channel.IN_APP)


def unread_count(*, user) -> int:
    return notifications_for(user=user).filter(read_at__isnull=True).count()

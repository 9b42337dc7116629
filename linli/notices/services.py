"""The notice channel: in-app notifications and text messages.

A text message is a Notification row first; the message itself leaves on transaction.on_commit,
through a background task, so a rolled-back change never texts anybody and a slow gateway never
slows a page (house style: side effects that leave the database run on commit).
"""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import ApplicationError
from linli.notices.backends import sms_backend
from linli.notices.choices import Channel, NoticeStatus
from linli.notices.models import Notification

logger = logging.getLogger(__name__)

TITLE_MAX = 100
BODY_MAX = 1000


@transaction.atomic
def notify(
    *, channel: str, title: str, body: str, user=None, household=None, phone: str = ""
) -> Notification:
    """Send one notification: in the app to `user`, or by text message to `phone`."""
    title, body, phone = str(title).strip()[:TITLE_MAX], str(body).strip()[:BODY_MAX], phone.strip()
    if not title:
        raise ApplicationError(_("A notification needs a title."), fields={"title": [_("empty")]})
    if channel == Channel.IN_APP:
        if user is None:
            raise ApplicationError(_("An in-app notification needs a user."))
        return Notification.objects.create(
            channel=channel,
            user=user,
            household=household,
            title=title,
            body=body,
            status=NoticeStatus.SENT,
            sent_at=timezone.now(),
        )
    if channel == Channel.SMS:
        if not phone:
            raise ApplicationError(_("A text message needs a phone number."))
        notification = Notification.objects.create(
            channel=channel, user=user, household=household, phone=phone, title=title, body=body
        )
        from linli.notices.tasks import send_sms

        transaction.on_commit(partial(send_sms.enqueue, notification.pk))
        return notification
    raise ApplicationError(_("Unknown channel."), fields={"channel": [str(channel)]})


def household_phone(household) -> str:
    """The phone a household is texted on: the householder's, else the first one recorded."""
    from linli.residents.choices import Relation
    from linli.residents.models import Resident

    phones = list(
        Resident.objects.active()
        .filter(household=household)
        .exclude(phone="")
        .order_by("id")
        .values_list("relation", "phone")
    )
    for relation, phone in phones:
        if relation == Relation.HOUSEHOLDER:
            return phone
    return phones[0][1] if phones else ""


@transaction.atomic
def notify_household(*, household, title: str, body: str, sms: bool = True) -> list[Notification]:
    """Tell a household something: an in-app notification for each of its members' logins, and
    a text message to the householder's phone (for those without a smartphone, P4)."""
    from linli.accounts.models import User

    sent = [
        notify(channel=Channel.IN_APP, user=user, household=household, title=title, body=body)
        for user in User.objects.filter(
            is_active=True, resident__household=household, resident__moved_out_on__isnull=True
        ).order_by("pk")
    ]
    if sms and (phone := household_phone(household)):
        sent.append(
            notify(channel=Channel.SMS, household=household, phone=phone, title=title, body=body)
        )
    return sent


def sms_text(notification: Notification) -> str:
    return f"{notification.title}: {notification.body}" if notification.body else notification.title


def sms_deliver(*, notification_id: int) -> bool:
    """Send one queued text message through the configured backend. A message is claimed by a
    conditional update first, so a task that runs twice never texts twice."""
    claimed = Notification.objects.filter(
        pk=notification_id, channel=Channel.SMS, status=NoticeStatus.QUEUED
    ).update(status=NoticeStatus.SENDING)
    if not claimed:
        return False
    notification = Notification.objects.get(pk=notification_id)
    try:
        sms_backend().send(phone=notification.phone, text=sms_text(notification))
    except Exception as exc:
        logger.exception("SMS %s failed", notification_id)
        Notification.objects.filter(pk=notification_id).update(
            status=NoticeStatus.FAILED, error=str(exc)[:300]
        )
        return False
    Notification.objects.filter(pk=notification_id).update(
        status=NoticeStatus.SENT, sent_at=timezone.now()
    )
    return True


def notification_read(*, user, notification: Notification) -> Notification:
    """Mark one of `user`'s notifications read (a read receipt, P3)."""
    if notification.user_id != user.pk:
        raise ApplicationError(_("This is not your notification."), status=404)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_read_all(*, user) -> int:
    return Notification.objects.filter(
        user=user, channel=Channel.IN_APP, read_at__isnull=True
    ).update(read_at=timezone.now())

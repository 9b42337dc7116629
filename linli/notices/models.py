from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.notices.choices import Channel, NoticeStatus


class Notification(models.Model):
    """One message to one person or household: in the app (to a login) or by text message (to
    a phone), such as "your pickup slot is 10:15 at gate 2, code 123456" (proposal S4, P3)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    household = models.ForeignKey(
        "places.Household",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("household"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # Where a text message goes; empty for in-app notifications.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("message"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED
    )
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel="sms", phone__gt="") | Q(channel="in_app", user__isnull=False),
                name="notification_has_recipient",
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.title}"

    @property
    def unread(self) -> bool:
        return self.channel == Channel.IN_APP and self.read_at is None

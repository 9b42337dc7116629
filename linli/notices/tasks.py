"""Background jobs of the notice channel: a text message is sent after the change that
caused it is committed, outside the request."""

from django_tasks import task

from linli.notices import services


@task()
def send_sms(notification_id: int) -> None:
    services.sms_deliver(notification_id=notification_id)

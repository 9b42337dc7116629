"""The notice channel: in-app notifications with read receipts, text messages sent after commit
through the configured backend, and the "My notifications" page."""

import io
import logging

import pytest
from django.db import transaction

from linli.notices import backends, services
from linli.notices.choices import Channel, NoticeStatus
from linli.notices.models import Notification
from linli.testing import make_user


@pytest.fixture
def outbox(settings):
    settings.LINLI_SMS_BACKEND = "linli.notices.backends.LocmemSmsBackend"
    backends.LocmemSmsBackend.outbox = []
    return backends.LocmemSmsBackend.outbox


def test_a_household_is_told_in_the_app_and_by_text_after_commit(
    world, outbox, django_capture_on_commit_callbacks
):
    household = world.residents["zhang"].household
    wife = make_user("lifang", resident=world.residents["zhang_wife"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sent = services.notify_household(
            household=household, title="取货时间", body="12-01 10:15 2号门 取货码 123456"
        )
        assert outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    in_app = [n for n in sent if n.channel == Channel.IN_APP]
    assert {n.user for n in in_app} == {world.user("resident"), wife}
    assert all(n.household == household and n.unread for n in in_app)
    # The householder's phone (张伟), not his wife's.
    assert outbox == [("13800000011", "取货时间: 12-01 10:15 2号门 取货码 123456")]
    sms = Notification.objects.get(channel=Channel.SMS)
    assert sms.status == NoticeStatus.SENT and sms.sent_at is not None
    assert sms.phone == "13800000011"


def test_a_rolled_back_change_texts_nobody(world, outbox, django_capture_on_commit_callbacks):
    household = world.residents["zhang"].household
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.notify_household(household=household, title="x", body="y")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == [] and outbox == []
    assert not Notification.objects.exists()


def test_a_household_without_a_login_gets_only_the_text(
    world, outbox, django_capture_on_commit_callbacks
):
    household = world.residents["wang"].household  # 王秀英, no login
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.notify_household(household=household, title="取货", body="码 654321")
    assert [n.channel for n in sent] == [Channel.SMS]
    assert outbox == [("13800000022", "取货: 码 654321")]  # no householder: the phone recorded


def test_a_message_is_sent_once_even_if_its_task_runs_twice(world, outbox):
    sms = Notification.objects.create(channel=Channel.SMS, phone="13800000099", title="t", body="")
    assert services.sms_deliver(notification_id=sms.pk) is True
    assert services.sms_deliver(notification_id=sms.pk) is False
    assert outbox == [("13800000099", "t")]


class Broken(backends.BaseSmsBackend):
    def send(self, *, phone, text):
        raise ConnectionError("gateway down")


def test_a_failing_gateway_marks_the_message_failed(world, settings):
    settings.LINLI_SMS_BACKEND = f"{__name__}.Broken"
    sms = Notification.objects.create(channel=Channel.SMS, phone="13800000099", title="t", body="")
    assert services.sms_deliver(notification_id=sms.pk) is False
    sms.refresh_from_db()
    assert sms.status == NoticeStatus.FAILED and sms.error == "gateway down"


def test_the_log_backend_masks_the_phone(world, caplog):
    with caplog.at_level(logging.INFO, logger="linli.sms"):
        backends.LogSmsBackend().send(phone="13812345678", text="取货码 123456")
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text
    assert "取货码 123456" in caplog.text


def test_the_console_backend_prints_the_message():
    stream = io.StringIO()
    backends.ConsoleSmsBackend(stream).send(phone="13812345678", text="你好")
    assert stream.getvalue() == "SMS to 13812345678:\n你好\n\n"


def test_the_default_backend_is_the_log(settings):
    assert settings.LINLI_SMS_BACKEND == "linli.notices.backends.LogSmsBackend"
    assert isinstance(backends.sms_backend(), backends.LogSmsBackend)


def test_notify_refuses_a_message_without_recipient(world):
    from linli.core.errors import ApplicationError

    with pytest.raises(ApplicationError):
        services.notify(channel=Channel.SMS, title="t", body="b")
    with pytest.raises(ApplicationError):
        services.notify(channel=Channel.IN_APP, title="t", body="b")
    with pytest.raises(ApplicationError):
        services.notify(channel=Channel.IN_APP, user=world.user("staff"), title=" ", body="b")
    assert not Notification.objects.exists()


# ---------------------------------------------------------------- my notifications


def test_my_notifications_lists_mine_with_the_unread_count_and_marks_them_read(world, as_user):
    me, other = world.user("resident"), world.user("staff")
    first = services.notify(channel=Channel.IN_APP, user=me, title="第一条", body="取货码 1")
    services.notify(channel=Channel.IN_APP, user=me, title="第二条", body="")
    services.notify(channel=Channel.IN_APP, user=other, title="别人的", body="")
    client = as_user("resident")
    page = client.get("/notices/").content.decode()
    assert "第一条" in page and "第二条" in page and "别人的" not in page
    assert "2 unread" in page
    assert client.post(f"/notices/{first.pk}/read/").status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    assert "1 unread" in client.get("/notices/").content.decode()
    client.post("/notices/read-all/")
    assert not Notification.objects.filter(user=me, read_at__isnull=True).exists()
    assert Notification.objects.get(user=other).read_at is None


def test_one_cannot_read_someone_elses_notification(world, as_user):
    theirs = services.notify(channel=Channel.IN_APP, user=world.user("staff"), title="x", body="")
    assert as_user("resident").post(f"/notices/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_unread_count_shows_in_the_menu_of_supply_pages(world, as_user):
    services.notify(channel=Channel.IN_APP, user=world.user("resident"), title="x", body="")
    page = as_user("resident").get("/supplies/").content.decode()
    assert '<span class="badge">1</span>' in page


def test_notifications_need_a_login(client):
    response = client.get("/notices/")
    assert response.status_code == 302 and "/accounts/login" in response.url
    assert client.post("/notices/read-all/").status_code == 302

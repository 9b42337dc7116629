"""Protective equipment (S13): stock per kind, receive (+), issue to a worker (−) never below
zero, even when several people issue at once; a ledger per worker; every movement audited."""

import threading
import time

import pytest
from django.db import OperationalError, connection
from django.db.models import Sum

from linli.core.errors import ApplicationError, Conflict
from linli.core.models import AuditEvent
from linli.workforce import services
from linli.workforce.models import PpeItem, PpeMovement


@pytest.fixture
def masks(world):
    return services.ppe_receive(
        actor=world.user("staff"), community=world.community, kind="mask", quantity=10
    )


def test_receiving_adds_to_stock_with_a_ledger_line_and_an_audit_event(world, masks):
    services.ppe_receive(
        actor=world.user("staff"),
        community=world.community,
        kind="mask",
        quantity=5,
        note="红十字会",
    )
    item = PpeItem.objects.get(community=world.community, kind="mask")
    assert item.stock == 15
    assert list(item.movements.order_by("id").values_list("quantity", flat=True)) == [10, 5]
    assert AuditEvent.objects.filter(action="ppe.receive").count() == 2


def test_issuing_takes_from_stock_and_shows_on_the_workers_ledger(world, crew, masks, as_user):
    services.ppe_issue(actor=world.user("staff"), item=masks, worker=crew["li"], quantity=4)
    masks.refresh_from_db()
    assert masks.stock == 6
    movement = PpeMovement.objects.get(worker=crew["li"])
    assert movement.quantity == -4 and movement.by == world.user("staff")
    assert AuditEvent.objects.get(action="ppe.issue").detail == {
        "kind": "mask",
        "quantity": 4,
        "stock": 6,
    }
    page = as_user("staff").get(f"/workforce/{crew['li'].pk}/").content.decode()
    assert "Masks" in page


def test_an_overdraw_is_refused_and_nothing_is_written(world, crew, masks, as_user):
    with pytest.raises(Conflict) as exc:
        services.ppe_issue(actor=world.user("staff"), item=masks, worker=crew["li"], quantity=11)
    assert exc.value.code == "insufficient_stock"
    assert "10 left" in exc.value.message
    masks.refresh_from_db()
    assert masks.stock == 10
    assert not PpeMovement.objects.filter(worker=crew["li"]).exists()
    assert not AuditEvent.objects.filter(action="ppe.issue").exists()
    # Through the page: a 400 naming the quantity, stock unchanged.
    response = as_user("staff").post(
        "/workforce/ppe/issue/", {"kind": "mask", "worker": crew["li"].pk, "quantity": "11"}
    )
    assert response.status_code == 400
    assert "Not enough Masks in stock" in response.content.decode()
    masks.refresh_from_db()
    assert masks.stock == 10


def test_the_guard_is_in_the_database_not_in_a_stale_object(world, crew, masks):
    stale = PpeItem.objects.get(pk=masks.pk)  # read while 10 are in stock
    services.ppe_issue(actor=world.user("staff"), item=masks, worker=crew["li"], quantity=7)
    assert stale.stock == 10
    with pytest.raises(Conflict):
        services.ppe_issue(actor=world.user("staff"), item=stale, worker=crew["li"], quantity=7)
    assert PpeItem.objects.get(pk=masks.pk).stock == 3


def test_issuing_needs_a_positive_whole_quantity_and_an_approved_worker_here(world, crew, masks):
    for quantity in (0, -3, 2.5):
        with pytest.raises(ApplicationError) as exc:
            services.ppe_issue(
                actor=world.user("staff"), item=masks, worker=crew["li"], quantity=quantity
            )
        assert "quantity" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        services.ppe_issue(actor=world.user("staff"), item=masks, worker=crew["zhao"], quantity=1)
    assert "worker" in exc.value.fields  # still waiting for screening
    assert PpeItem.objects.get(pk=masks.pk).stock == 10


def test_low_stock_is_flagged_on_the_care_and_equipment_pages(world, crew, masks, as_user):
    client = as_user("staff")
    services.ppe_set_threshold(
        actor=world.user("staff"), community=world.community, kind="mask", low_threshold=5
    )
    page = client.get("/workforce/care/").content.decode()
    # Masks (10, alert below 5) are fine; every kind never received is low.
    assert page.count("Low stock") == 4
    services.ppe_issue(actor=world.user("staff"), item=masks, worker=crew["li"], quantity=6)
    assert client.get("/workforce/ppe/").content.decode().count("Low stock") == 5


def test_the_pages_receive_issue_and_set_alert_levels(world, crew, as_user):
    client = as_user("staff")
    assert (
        client.post("/workforce/ppe/receive/", {"kind": "gloves", "quantity": "200"}).status_code
        == 302
    )
    assert (
        client.post(
            "/workforce/ppe/issue/", {"kind": "gloves", "worker": crew["li"].pk, "quantity": "20"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/workforce/ppe/threshold/", {"kind": "gloves", "low_threshold": "500"}
        ).status_code
        == 302
    )
    item = PpeItem.objects.get(kind="gloves")
    assert (item.stock, item.low_threshold, item.low) == (180, 500, True)
    # Nothing received of a kind: issuing it is refused with a message.
    response = client.post(
        "/workforce/ppe/issue/", {"kind": "gown", "worker": crew["li"].pk, "quantity": "1"}
    )
    assert (
        response.status_code == 400 and "no Protective gowns in stock" in response.content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_cannot_drive_stock_negative(world, crew):
    """Eight people issue 3 masks each from a stock of 10 at the same moment: exactly three
    succeed, the others are told there is not enough, and stock and ledger agree."""
    item = services.ppe_receive(
        actor=world.user("staff"), community=world.community, kind="mask", quantity=10
    )
    staff, worker = world.user("staff"), crew["li"]
    barrier = threading.Barrier(8)
    results = []

    def issue():
        try:
            mine = PpeItem.objects.get(pk=item.pk)  # each reads "10 in stock" before anyone issues
            barrier.wait()
            for _attempt in range(200):
                try:
                    services.ppe_issue(actor=staff, item=mine, worker=worker, quantity=3)
                    results.append("ok")
                    return
                except Conflict:
                    results.append("refused")
                    return
                except OperationalError:  # SQLite's shared test database: "table is locked"
                    time.sleep(0.005)
            results.append("gave up")
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok"] * 3 + ["refused"] * 5
    item.refresh_from_db()
    assert item.stock == 1
    issued = PpeMovement.objects.filter(item=item, quantity__lt=0).aggregate(s=Sum("quantity"))
    assert issued["s"] == -9

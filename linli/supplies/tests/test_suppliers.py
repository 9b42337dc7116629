"""Suppliers, their delivery staff's tests and the catalogue: the screening gate (S4) and the
staff pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.core.errors import ApplicationError
from linli.core.models import AuditEvent
from linli.supplies import services
from linli.supplies.choices import TestResult as Result
from linli.supplies.models import Package, Supplier, SupplierStaff
from linli.supplies.testing import make_package, make_supplier


def test_a_supplier_whose_staff_tested_negative_recently_may_be_scheduled(world):
    supplier = make_supplier(world.community, staff=("王强", "李娜"), tested_hours_ago=47)
    assert services.supplier_check(supplier) == []


def test_an_old_negative_test_is_refused_naming_the_person_and_the_date(world):
    supplier = make_supplier(world.community, staff=("王强",), tested_hours_ago=None)
    tested = timezone.make_aware(timezone.datetime(2026, 11, 25, 10, 0))
    SupplierStaff.objects.filter(supplier=supplier).update(
        tested_at=tested, test_result=Result.NEGATIVE
    )
    at = tested + timedelta(hours=49)
    assert services.supplier_check(supplier, at) == [
        "王强: last negative test 2026-11-25 10:00, older than 48 h"
    ]
    assert services.supplier_check(supplier, tested + timedelta(hours=47)) == []


def test_the_window_comes_from_settings(world, settings):
    supplier = make_supplier(world.community, tested_hours_ago=60)
    assert services.supplier_check(supplier)
    settings.LINLI_SUPPLIER_TEST_HOURS = 72
    assert services.supplier_check(supplier) == []


def test_missing_and_positive_tests_are_refused_but_inactive_staff_do_not_count(world):
    supplier = make_supplier(world.community, staff=("王强",), tested_hours_ago=1)
    SupplierStaff.objects.create(supplier=supplier, name="赵六")  # never tested
    SupplierStaff.objects.create(
        supplier=supplier,
        name="钱七",
        tested_at=timezone.now() - timedelta(hours=3),
        test_result=Result.POSITIVE,
    )
    SupplierStaff.objects.create(supplier=supplier, name="孙八", active=False)  # left
    reasons = services.supplier_check(supplier)
    assert reasons[0] == "赵六: no test recorded"
    assert reasons[1].startswith("钱七: last test ") and reasons[1].endswith("was positive")
    assert len(reasons) == 2


def test_a_supplier_without_active_staff_cannot_be_scheduled(world):
    supplier = make_supplier(world.community, staff=())
    assert services.supplier_check(supplier) == ["惠民超市 has no active delivery staff on record."]


def test_a_test_in_the_future_or_without_result_is_refused(world):
    supplier = make_supplier(world.community, staff=())
    staff = world.user("staff")
    with pytest.raises(ApplicationError) as exc:
        services.supplier_staff_save(
            actor=staff,
            supplier=supplier,
            values={
                "name": "王强",
                "tested_at": timezone.now() + timedelta(days=1),
                "test_result": Result.NEGATIVE,
            },
        )
    assert "tested_at" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        services.supplier_staff_save(
            actor=staff,
            supplier=supplier,
            values={"name": "王强", "tested_at": timezone.now(), "test_result": ""},
        )
    assert "test_result" in exc.value.fields
    assert not SupplierStaff.objects.exists()


def test_a_subsidised_price_above_the_price_is_refused(world):
    supplier = make_supplier(world.community)
    with pytest.raises(ApplicationError) as exc:
        services.package_save(
            actor=world.user("staff"),
            supplier=supplier,
            values={
                "kind": "meat",
                "name": "猪肉",
                "price_fen": 20_00,
                "subsidised_price_fen": 25_00,
            },
        )
    assert "subsidised_price_fen" in exc.value.fields
    assert not Package.objects.exists()


# ---------------------------------------------------------------- pages


def test_staff_adds_a_supplier_a_delivery_person_and_a_package_in_yuan(world, as_user):
    client = as_user("staff")
    response = client.post(
        "/supplies/suppliers/new/",
        {"name": "新鲜农场", "kind": "farm", "contact": "刘", "phone": "137", "active": "on"},
    )
    supplier = Supplier.objects.get(name="新鲜农场")
    assert response.status_code == 302 and response.url == f"/supplies/suppliers/{supplier.pk}/"
    assert supplier.community == world.community
    assert AuditEvent.objects.filter(action="supplier.create", target_id=str(supplier.pk)).exists()

    response = client.post(
        f"/supplies/suppliers/{supplier.pk}/staff/new/",
        {
            "name": "王强",
            "phone": "13600000001",
            "tested_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "test_result": "negative",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert supplier.staff.get().test_result == Result.NEGATIVE

    response = client.post(
        f"/supplies/suppliers/{supplier.pk}/packages/new/",
        {"kind": "eggs", "name": "鸡蛋30枚", "price": "12.50", "subsidised_price": "9.9"},
    )
    assert response.status_code == 302
    package = Package.objects.get()
    assert (package.price_fen, package.subsidised_price_fen) == (1250, 990)

    page = client.get(f"/supplies/suppliers/{supplier.pk}/").content.decode()
    assert "¥12.50" in page and "¥9.90" in page
    assert "may be scheduled" in page


def test_the_package_form_shows_a_refusal_on_its_field(world, as_user):
    supplier = make_supplier(world.community)
    response = as_user("staff").post(
        f"/supplies/suppliers/{supplier.pk}/packages/new/",
        {"kind": "meat", "name": "猪肉", "price": "20", "subsidised_price": "25"},
    )
    assert response.status_code == 200
    assert "subsidised price cannot be above" in response.content.decode()
    assert not Package.objects.exists()


def test_staff_records_a_new_test_and_the_supplier_list_shows_each_reason(world, as_user):
    supplier = make_supplier(world.community, staff=("王强",), tested_hours_ago=100)
    client = as_user("staff")
    page = client.get("/supplies/suppliers/").content.decode()
    assert "王强: last negative test" in page and "older than 48 h" in page
    person = supplier.staff.get()
    response = client.post(
        f"/supplies/staff/{person.pk}/edit/",
        {
            "name": "王强",
            "tested_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "test_result": "negative",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert services.supplier_check(supplier) == []
    assert "older than" not in client.get("/supplies/suppliers/").content.decode()


def test_the_supplier_list_query_count_does_not_grow(world, as_user, django_assert_max_num_queries):
    client = as_user("staff")
    make_supplier(world.community, name="一")
    with django_assert_max_num_queries(20) as before:
        client.get("/supplies/suppliers/")
    for i in range(5):
        s = make_supplier(world.community, name=f"供应商{i}", staff=("甲", "乙"))
        make_package(s)
    with django_assert_max_num_queries(20) as after:
        client.get("/supplies/suppliers/")
    # supplier_check reads each supplier's active staff: one query per supplier, no more.
    assert len(after.captured_queries) - len(before.captured_queries) <= 5


@pytest.mark.parametrize("name", ["grid_a", "cadre", "supervisor"])
def test_workers_who_read_see_suppliers_but_cannot_change_them(world, as_user, name):
    supplier = make_supplier(world.community)
    client = as_user(name)
    assert client.get("/supplies/suppliers/").status_code == 200
    assert client.get(f"/supplies/suppliers/{supplier.pk}/").status_code == 200
    assert client.get(f"/supplies/suppliers/{supplier.pk}/edit/").status_code == 404
    response = client.post("/supplies/suppliers/new/", {"name": "x", "kind": "farm"})
    assert response.status_code == 403
    assert Supplier.objects.count() == 1


@pytest.mark.parametrize("name", ["resident", "volunteer", "leader_a1", "outsider"])
def test_others_do_not_see_suppliers(world, as_user, name):
    supplier = make_supplier(world.community)
    client = as_user(name)
    assert client.get("/supplies/suppliers/").status_code == 404
    assert client.get(f"/supplies/suppliers/{supplier.pk}/").status_code == 404
    person = supplier.staff.get()
    assert client.post(f"/supplies/staff/{person.pk}/edit/", {"name": "x"}).status_code == 404


def test_anonymous_is_sent_to_log_in(world, client):
    response = client.get("/supplies/suppliers/")
    assert response.status_code == 302 and "/accounts/login" in response.url

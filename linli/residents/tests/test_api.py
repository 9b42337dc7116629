"""/api/v1/residents and /api/v1/households: filters, pagination, create, patch, errors."""

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import ApiToken, hash_token
from linli.core import crypto
from linli.core.models import AuditEvent
from linli.residents.idnumber import make_id_number
from linli.residents.models import Resident


def api_client(user) -> Client:
    raw = ApiToken.new_raw()
    ApiToken.objects.create(
        user=user,
        key_hash=hash_token(raw),
        prefix=raw[4:12],
        expires_at=timezone.now() + timedelta(days=1),
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def staff_api(world):
    return api_client(world.user("staff"))


@pytest.fixture
def grid_api(world):
    return api_client(world.user("grid_a"))


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


def error_of(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


NEW_ID = make_id_number("420106", date(1990, 4, 1), 52)  # a woman: 52 is even


# Reading.


def test_get_one_resident(world, grid_api):
    zhang = world.residents["zhang"]
    body = grid_api.get(f"/api/v1/residents/{zhang.pk}").json()
    assert body["name"] == "张伟"
    assert body["sex"] == "M"
    assert body["birth_date"] == "1950-03-08"
    assert body["household_id"] == zhang.household_id
    assert body["address"] == "1-1-301"
    assert (body["grid"], body["building"]) == (1, "1")
    assert re.fullmatch(r"4201\*{10}\d{3}[\dX]", body["id_number_masked"])
    assert "aged_60" in body["tags"]
    assert "id_number" not in body
    assert crypto.decrypt(zhang.id_number_encrypted) not in str(body)


def test_get_a_missing_resident_is_404(world, staff_api):
    assert error_of(staff_api.get("/api/v1/residents/999999"), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=zw", ["张伟"]),
        ("q=zhangwei", ["张伟"]),
        ("q=%E5%BC%A0", ["张伟"]),  # 张
        ("q=13800000031", ["陈明"]),
        ("q=1-1-301", ["张伟", "李芳"]),
        ("tag=without_family", ["王秀英"]),
        ("tag=aged_60", ["张伟", "李芳", "王秀英"]),
        ("q=wang&tag=aged_60", ["王秀英"]),
        ("verified=true", []),
    ],
)
def test_list_filters(world, staff_api, query, expected):
    assert names(staff_api.get(f"/api/v1/residents?{query}")) == expected


def test_list_filter_by_grid_and_building(world, staff_api):
    by_grid = staff_api.get(f"/api/v1/residents?grid={world.grid_b.pk}")
    assert names(by_grid) == ["陈明", "单小红"]
    by_building = staff_api.get(f"/api/v1/residents?building={world.building_a2.pk}")
    assert names(by_building) == ["王秀英"]


def test_list_filter_by_last_four_of_the_id(world, staff_api):
    chen = world.residents["chen"]
    assert names(staff_api.get(f"/api/v1/residents?q={chen.id_last4}")) == ["陈明"]


def test_list_paginates(world, staff_api):
    first = staff_api.get("/api/v1/residents?page_size=2").json()
    assert (first["count"], first["page"], first["page_size"]) == (5, 1, 2)
    pages = [
        [
            i["name"]
            for i in staff_api.get(f"/api/v1/residents?page_size=2&page={n}").json()["items"]
        ]
        for n in (1, 2, 3, 4)
    ]
    assert pages == [["张伟", "李芳"], ["王秀英", "陈明"], ["单小红"], []]


@pytest.mark.parametrize(
    ("query", "field"),
    [("page=0", "page"), ("page_size=1000", "page_size"), ("tag=nonsense", "tag")],
)
def test_list_rejects_bad_parameters_with_field_errors(world, staff_api, query, field):
    error = error_of(staff_api.get(f"/api/v1/residents?{query}"), 422)
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_list_query_count_does_not_grow(world, staff_api, django_assert_max_num_queries):
    from linli.residents.tests.test_pages import add_residents

    staff_api.get("/api/v1/residents")  # the token's first use stamps last_used_at
    with django_assert_max_num_queries(6) as before:
        staff_api.get("/api/v1/residents")
    add_residents(world, 30)
    with django_assert_max_num_queries(6) as after:
        body = staff_api.get("/api/v1/residents?page_size=200").json()
    assert body["count"] == 35 and len(body["items"]) == 35
    assert len(after) == len(before)


def test_get_household(world, grid_api):
    zhang = world.residents["zhang"]
    body = grid_api.get(f"/api/v1/households/{zhang.household_id}").json()
    assert body["address"] == "1-1-301"
    assert (body["building_id"], body["entrance"], body["room"], body["grid"]) == (
        world.building_a1.pk,
        1,
        "301",
        1,
    )
    assert [(m["name"], m["relation"]) for m in body["members"]] == [
        ("张伟", "householder"),
        ("李芳", "spouse"),
    ]
    assert all("living_alone" not in m["tags"] for m in body["members"])


def test_household_of_one_is_living_alone(world, grid_api):
    wang = world.residents["wang"]
    body = grid_api.get(f"/api/v1/households/{wang.household_id}").json()
    assert set(body["members"][0]["tags"]) >= {"living_alone", "aged_60", "without_family"}


def test_get_a_missing_household_is_404(world, staff_api):
    assert error_of(staff_api.get("/api/v1/households/999999"), 404)["code"] == "not_found"


# Creating.


def test_create_returns_201_and_the_resident(world, grid_api):
    household = world.residents["zhang"].household_id
    response = post(
        grid_api,
        "/api/v1/residents",
        {
            "household_id": household,
            "name": "赵新",
            "id_number": NEW_ID,
            "phone": "+86 139 1234 5678",
            "relation": "child",
            "tags": ["chronic"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    resident = Resident.objects.get(pk=body["id"])
    assert (resident.name, resident.sex, resident.birth_date) == ("赵新", "F", date(1990, 4, 1))
    assert resident.phone == "13912345678"
    assert body["tags"] == ["chronic"]
    assert body["id_number_masked"] == NEW_ID[:4] + "*" * 10 + NEW_ID[-4:]
    event = AuditEvent.objects.get(action="resident.create", target_id=str(resident.pk))
    assert event.actor == world.user("grid_a")


def test_create_with_a_wrong_check_digit_names_the_rule(world, staff_api):
    bad = NEW_ID[:-1] + ("1" if NEW_ID[-1] != "1" else "2")
    count = Resident.objects.count()
    error = error_of(
        post(
            staff_api,
            "/api/v1/residents",
            {
                "household_id": world.residents["zhang"].household_id,
                "name": "赵新",
                "id_number": bad,
            },
        ),
        400,
    )
    assert error["code"] == "invalid"
    assert error["fields"]["id_number"] == ["ID number check digit is wrong"]
    assert Resident.objects.count() == count


def test_create_with_a_duplicate_id_is_409(world, staff_api):
    zhang = world.residents["zhang"]
    count = Resident.objects.count()
    error = error_of(
        post(
            staff_api,
            "/api/v1/residents",
            {
                "household_id": world.residents["chen"].household_id,
                "name": "张伟",
                "id_number": crypto.decrypt(zhang.id_number_encrypted),
            },
        ),
        409,
    )
    assert error["code"] == "duplicate_id_number"
    assert "id_number" in error["fields"]
    assert Resident.objects.count() == count


def test_create_in_a_missing_household_names_household_id(world, staff_api):
    error = error_of(
        post(staff_api, "/api/v1/residents", {"household_id": 999999, "name": "赵新"}), 400
    )
    assert "household_id" in error["fields"]


def test_create_without_required_fields_lists_each(world, staff_api):
    error = error_of(post(staff_api, "/api/v1/residents", {"name": "赵新"}), 422)
    assert "household_id" in error["fields"]
    household = world.residents["zhang"].household_id
    error = error_of(
        post(staff_api, "/api/v1/residents", {"household_id": household, "name": ""}), 400
    )
    # No name, and neither sex nor birth date nor an ID number to read them from.
    assert set(error["fields"]) == {"name", "sex", "birth_date"}


def test_create_refuses_a_derived_tag(world, staff_api):
    household = world.residents["zhang"].household_id
    error = error_of(
        post(
            staff_api,
            "/api/v1/residents",
            {"household_id": household, "name": "赵新", "id_number": NEW_ID, "tags": ["aged_60"]},
        ),
        400,
    )
    assert list(error["fields"]) == ["tags"]


# Patching.


def test_patch_changes_only_the_fields_sent(world, grid_api):
    zhang = world.residents["zhang"]
    response = patch(grid_api, f"/api/v1/residents/{zhang.pk}", {"phone": "13911112222"})
    assert response.status_code == 200
    assert response.json()["phone"] == "13911112222"
    fresh = Resident.objects.get(pk=zhang.pk)
    assert (fresh.name, fresh.birth_date, fresh.id_number_hash, fresh.relation) == (
        zhang.name,
        zhang.birth_date,
        zhang.id_number_hash,
        zhang.relation,
    )
    event = AuditEvent.objects.get(action="resident.update")
    assert event.detail["changed"] == {"phone": ["13800000011", "13911112222"]}


def test_patch_birth_date_contradicting_the_stored_id_is_refused(world, grid_api):
    zhang = world.residents["zhang"]
    error = error_of(
        patch(grid_api, f"/api/v1/residents/{zhang.pk}", {"birth_date": "1951-01-01"}), 400
    )
    assert list(error["fields"]) == ["birth_date"]
    error = error_of(patch(grid_api, f"/api/v1/residents/{zhang.pk}", {"sex": "F"}), 400)
    assert list(error["fields"]) == ["sex"]
    assert Resident.objects.get(pk=zhang.pk).birth_date == date(1950, 3, 8)
    assert not AuditEvent.objects.filter(action="resident.update").exists()


def test_patch_a_new_id_number_rederives_birth_date_and_sex(world, grid_api):
    zhang = world.residents["zhang"]
    body = patch(grid_api, f"/api/v1/residents/{zhang.pk}", {"id_number": NEW_ID}).json()
    assert (body["birth_date"], body["sex"]) == ("1990-04-01", "F")
    assert Resident.objects.get(pk=zhang.pk).id_number_hash == crypto.keyed_hash(NEW_ID)


def test_patch_to_another_residents_id_is_409(world, grid_api):
    zhang, wang = world.residents["zhang"], world.residents["wang"]
    other = crypto.decrypt(wang.id_number_encrypted)
    error = error_of(patch(grid_api, f"/api/v1/residents/{zhang.pk}", {"id_number": other}), 409)
    assert "id_number" in error["fields"]


def test_patch_moves_to_a_household_in_the_area(world, grid_api):
    zhang, wang = world.residents["zhang"], world.residents["wang"]
    body = patch(grid_api, f"/api/v1/residents/{zhang.pk}", {"household_id": wang.household_id})
    assert body.json()["household_id"] == wang.household_id


def test_patch_with_nothing_changed_writes_no_audit_event(world, grid_api):
    zhang = world.residents["zhang"]
    response = patch(grid_api, f"/api/v1/residents/{zhang.pk}", {"name": "张伟"})
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="resident.update").exists()


# Verify and reveal.


def test_verify_records_the_method(world, grid_api):
    zhang = world.residents["zhang"]
    body = post(grid_api, f"/api/v1/residents/{zhang.pk}/verify", {"method": "document"}).json()
    assert body["verified_at"]
    event = AuditEvent.objects.get(action="resident.verify")
    assert event.detail["method"] == "document"


def test_verify_with_an_unknown_method_is_refused(world, grid_api):
    zhang = world.residents["zhang"]
    error = error_of(post(grid_api, f"/api/v1/residents/{zhang.pk}/verify", {"method": "x"}), 400)
    assert list(error["fields"]) == ["method"]
    assert Resident.objects.get(pk=zhang.pk).verified_at is None


def test_reveal_returns_the_number_and_audits_the_reason(world, grid_api):
    zhang = world.residents["zhang"]
    body = post(grid_api, f"/api/v1/residents/{zhang.pk}/reveal-id", {"reason": "hospital"}).json()
    assert body["id_number"] == crypto.decrypt(zhang.id_number_encrypted)
    event = AuditEvent.objects.get(action="resident.reveal_id")
    assert (event.actor, event.detail["reason"]) == (world.user("grid_a"), "hospital")


def test_reveal_without_a_reason_is_refused_and_not_audited(world, grid_api):
    zhang = world.residents["zhang"]
    error = error_of(
        post(grid_api, f"/api/v1/residents/{zhang.pk}/reveal-id", {"reason": " "}), 400
    )
    assert "reason" in error["fields"]
    assert "id_number" not in str(error)
    error = error_of(post(grid_api, f"/api/v1/residents/{zhang.pk}/reveal-id", {}), 422)
    assert "reason" in error["fields"]
    assert not AuditEvent.objects.filter(action="resident.reveal_id").exists()


# The schema.


def test_openapi_lists_every_endpoint(world):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/auth/token": {"post"},
        "/api/v1/residents": {"get", "post"},
        "/api/v1/residents/{resident_id}": {"get", "patch"},
        "/api/v1/residents/{resident_id}/reveal-id": {"post"},
        "/api/v1/residents/{resident_id}/verify": {"post"},
        "/api/v1/households/{household_id}": {"get"},
    }.items() <= {path: set(ops) for path, ops in paths.items()}.items()
    security = response.json()["components"]["securitySchemes"]
    assert any(scheme.get("scheme") == "bearer" for scheme in security.values())

"""The registry pages do what they say: search, filters, create, edit, verify, reveal, and a
query count that does not grow with the number of residents."""

from datetime import date

import pytest

from linli.core import crypto
from linli.core.models import AuditEvent
from linli.places.services import household_get_or_create
from linli.residents.idnumber import make_id_number
from linli.residents.models import Resident, Verification
from linli.residents.services import resident_create

NAMES = ("张伟", "李芳", "王秀英", "陈明", "单小红", "赵新")


def names_in(response) -> set[str]:
    html = response.content.decode()
    return {name for name in NAMES if name in html}


def add_residents(world, n: int) -> None:
    """n more residents spread over the three buildings, each with a recorded tag."""
    buildings = [world.building_a1, world.building_a2, world.building_b1]
    for i in range(n):
        household = household_get_or_create(
            building=buildings[i % 3], entrance=1 + i % 2, room=str(401 + i)
        )
        resident_create(
            actor=None,
            household=household,
            values={
                "name": "测试",
                "id_number": make_id_number("420106", date(1960, 1, 1), 100 + i),
                "tags": ["chronic"],
            },
        )


# Query counts: a list page costs the same for 5 residents as for 35.
# Each HTML page also counts the user's unread notifications for the menu (one query).
LIST_PAGES = {
    "/registry/": 21,
    "/registry/residents/": 9,
    "/registry/residents/?q=zw&tag=aged_60&verified=no": 9,
    "/registry/verification/": 10,
    "/registry/residents/export.xlsx": 8,
    "/accounts/audit/": 8,
}


@pytest.mark.parametrize("url", sorted(LIST_PAGES))
def test_list_page_query_count_does_not_grow(world, as_user, django_assert_max_num_queries, url):
    client = as_user("staff")
    with django_assert_max_num_queries(LIST_PAGES[url]) as before:
        assert client.get(url).status_code == 200
    add_residents(world, 30)
    with django_assert_max_num_queries(LIST_PAGES[url]) as after:
        assert client.get(url).status_code == 200
    assert len(after) == len(before)


def test_list_page_shows_the_added_residents_in_the_same_queries(
    world, as_user, django_assert_max_num_queries
):
    add_residents(world, 30)
    client = as_user("grid_a")
    with django_assert_max_num_queries(LIST_PAGES["/registry/residents/"]):
        response = client.get("/registry/residents/")
    # 3 of grid A plus 20 of the 30 (two of every three buildings are in grid A).
    assert response.context["page"].paginator.count == 23
    assert len(response.context["rows"]) == 23


@pytest.mark.parametrize("building", ["building_a1", "building_b1"])
def test_building_and_household_pages_query_count(
    world, as_user, django_assert_max_num_queries, building
):
    client = as_user("staff")
    pk = getattr(world, building).pk
    household = world.residents["zhang"].household_id
    with django_assert_max_num_queries(9):
        client.get(f"/registry/buildings/{pk}/")
    with django_assert_max_num_queries(8):
        client.get(f"/registry/households/{household}/")
    add_residents(world, 30)
    with django_assert_max_num_queries(9):
        response = client.get(f"/registry/buildings/{pk}/")
    assert response.context["people"] == 12  # 2 before, and every third of the 30
    with django_assert_max_num_queries(8):
        client.get(f"/registry/households/{household}/")


# Search and filters through the list page.


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("zw", {"张伟"}),
        ("zhangwei", {"张伟"}),
        ("ZhangWei", {"张伟"}),
        ("张", {"张伟"}),
        ("shan", {"单小红"}),  # 单 as a surname reads shàn
        ("13800000022", {"王秀英"}),
        ("1-1-301", {"张伟", "李芳"}),
        ("1-301", {"张伟", "李芳"}),
        ("3-2-501", {"陈明"}),
        ("nobody", set()),
    ],
)
def test_search_on_the_list_page(world, as_user, q, expected):
    response = as_user("staff").get("/registry/residents/", {"q": q})
    assert names_in(response) == expected


def test_search_by_last_four_of_the_id(world, as_user):
    wang = world.residents["wang"]
    response = as_user("staff").get("/registry/residents/", {"q": wang.id_last4})
    assert names_in(response) == {"王秀英"}


def test_search_stays_inside_the_area(world, as_user):
    response = as_user("grid_a").get("/registry/residents/", {"q": "chenming"})
    assert names_in(response) == set()


def test_filters_by_tag_grid_and_verification(world, as_user, monkeypatch):
    client = as_user("staff")
    assert names_in(client.get("/registry/residents/?tag=without_family")) == {"王秀英"}
    assert names_in(client.get("/registry/residents/?tag=aged_60")) == {"张伟", "李芳", "王秀英"}
    grid_b = client.get(f"/registry/residents/?grid={world.grid_b.pk}")
    assert names_in(grid_b) == {"陈明", "单小红"}
    client.post(f"/registry/residents/{world.residents['chen'].pk}/verify/", {"method": "phone"})
    assert names_in(client.get("/registry/residents/?verified=yes")) == {"陈明"}
    assert "陈明" not in names_in(client.get("/registry/residents/?verified=no"))
    # An unknown tag is ignored rather than failing.
    assert len(names_in(client.get("/registry/residents/?tag=nonsense&grid=x"))) == 5


def test_detail_page_shows_the_masked_id_only(world, as_user):
    zhang = world.residents["zhang"]
    full = crypto.decrypt(zhang.id_number_encrypted)
    html = as_user("staff").get(f"/registry/residents/{zhang.pk}/").content.decode()
    assert zhang.id_number_masked in html
    assert full not in html


def test_verification_page_lists_the_unverified_in_the_area(world, as_user):
    client = as_user("grid_a")
    client.post(f"/registry/residents/{world.residents['zhang'].pk}/verify/", {"method": "door"})
    response = client.get("/registry/verification/")
    assert names_in(response) == {"李芳", "王秀英"}
    coverage = {row["number"]: row["verified_pct"] for row in response.context["coverage"]}
    assert coverage == {"1": 50, "2": 0}


# Writes through the pages.


def new_resident_form(**extra):
    return {
        "name": "赵新",
        "id_number": make_id_number("420106", date(1990, 4, 1), 51),
        "phone": "13912345678",
        "relation": "tenant",
        "resident_type": "tenant",
        "tags": ["chronic"],
        "home-building": "1",
        "home-entrance": "1",
        "home-room": "302",
        **extra,
    }


def test_staff_adds_a_resident_through_the_page(world, as_user):
    response = as_user("grid_a").post("/registry/residents/new/", new_resident_form())
    resident = Resident.objects.get(name="赵新")
    assert response.status_code == 302
    assert response["Location"] == f"/registry/residents/{resident.pk}/"
    assert str(resident.household) == "1-1-302"
    assert (resident.birth_date, resident.sex) == (date(1990, 4, 1), "M")
    assert AuditEvent.objects.filter(action="resident.create", target_id=str(resident.pk)).exists()


def test_new_resident_in_another_grid_is_refused(world, as_user):
    response = as_user("grid_b").post("/registry/residents/new/", new_resident_form())
    assert response.status_code == 200
    assert response.context["household_form"].errors["building"]
    assert not Resident.objects.filter(name="赵新").exists()


def test_new_resident_with_a_bad_id_shows_the_rule_and_writes_nothing(world, as_user):
    number = make_id_number("420106", date(1990, 4, 1), 51)
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    count = Resident.objects.count()
    response = as_user("staff").post("/registry/residents/new/", new_resident_form(id_number=bad))
    assert response.status_code == 200
    assert response.context["form"].errors["id_number"]
    assert Resident.objects.count() == count


def test_add_member_to_a_household(world, as_user):
    household = world.residents["zhang"].household_id
    form = new_resident_form()
    response = as_user("grid_a").post(f"/registry/households/{household}/add/", form)
    assert response.status_code == 302
    assert Resident.objects.get(name="赵新").household_id == household


def test_edit_page_changes_the_record_and_keeps_the_id(world, as_user):
    zhang = world.residents["zhang"]
    form = {
        "name": "张伟",
        "sex": "M",
        "birth_date": "1950-03-08",
        "phone": "13911112222",
        "relation": "householder",
        "resident_type": "registered",
        "id_number": "",
    }
    response = as_user("grid_a").post(f"/registry/residents/{zhang.pk}/edit/", form)
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert zhang.phone == "13911112222"
    assert zhang.id_number_masked  # an empty ID field means "unchanged"
    event = AuditEvent.objects.get(action="resident.update")
    assert set(event.detail["changed"]) == {"phone"}


def test_edit_page_refuses_a_birth_date_that_contradicts_the_id(world, as_user):
    zhang = world.residents["zhang"]
    form = {
        "name": "张伟",
        "sex": "M",
        "birth_date": "1951-03-08",
        "relation": "householder",
        "resident_type": "registered",
    }
    response = as_user("grid_a").post(f"/registry/residents/{zhang.pk}/edit/", form)
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"]
    zhang.refresh_from_db()
    assert zhang.birth_date == date(1950, 3, 8)


def test_cadre_verifies_through_the_page(world, as_user):
    zhang = world.residents["zhang"]
    response = as_user("cadre").post(
        f"/registry/residents/{zhang.pk}/verify/", {"method": "phone", "note": "called"}
    )
    assert response.status_code == 302
    verification = Verification.objects.get(resident=zhang)
    assert (verification.method, verification.verified_by) == ("phone", world.user("cadre"))
    zhang.refresh_from_db()
    assert zhang.verified_at is not None


def test_verify_without_a_method_records_nothing(world, as_user):
    zhang = world.residents["zhang"]
    as_user("staff").post(f"/registry/residents/{zhang.pk}/verify/", {"method": "telepathy"})
    assert not Verification.objects.exists()


def test_reveal_page_shows_the_number_and_audits_the_reason(world, as_user):
    zhang = world.residents["zhang"]
    response = as_user("grid_a").post(
        f"/registry/residents/{zhang.pk}/reveal-id/", {"reason": "dialysis booking"}
    )
    assert response.status_code == 200
    assert crypto.decrypt(zhang.id_number_encrypted) in response.content.decode()
    event = AuditEvent.objects.get(action="resident.reveal_id")
    assert event.detail == {"reason": "dialysis booking"}
    assert event.actor == world.user("grid_a")


def test_reveal_page_without_a_reason_shows_nothing(world, as_user):
    zhang = world.residents["zhang"]
    response = as_user("staff").post(f"/registry/residents/{zhang.pk}/reveal-id/", {"reason": ""})
    assert response.status_code == 400
    assert crypto.decrypt(zhang.id_number_encrypted) not in response.content.decode()
    assert not AuditEvent.objects.filter(action="resident.reveal_id").exists()


def test_reveal_is_post_only(world, as_user):
    zhang = world.residents["zhang"]
    assert as_user("staff").get(f"/registry/residents/{zhang.pk}/reveal-id/").status_code == 405

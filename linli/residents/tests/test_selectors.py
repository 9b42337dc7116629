"""Registry reads: derived special groups are computed (never stored), the dashboard's
figures add up, and coverage is the verified share per building."""

from datetime import date

import pytest
from django.utils import timezone

from linli.places.services import household_get_or_create
from linli.residents import selectors, services
from linli.residents.choices import DERIVED_TAGS, Tag
from linli.residents.models import Resident, ResidentTag

TODAY = date(2026, 1, 1)


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch):
    # 单小红, born 2024-05-05, is an infant on this day; everyone's age is fixed.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


def names(qs) -> set[str]:
    return set(qs.values_list("name", flat=True))


def visible(world, persona="staff", **filters):
    return names(selectors.resident_list(user=world.user(persona), **filters))


def add_person(world, household, name, birth, **values):
    return services.resident_create(
        actor=None,
        household=household,
        values={"name": name, "sex": "F", "birth_date": birth, **values},
    )


def test_derived_tags_are_computed_from_age_and_household(world):
    r = world.residents
    assert selectors.derived_tags(r["zhang"], household_size=2, today=TODAY) == [Tag.AGED_60]
    assert selectors.derived_tags(r["single"], household_size=1, today=TODAY) == [
        Tag.INFANT,
        Tag.LIVING_ALONE,
    ]
    assert selectors.derived_tags(r["chen"], household_size=3, today=TODAY) == []


def test_derived_tags_are_never_stored(world):
    assert not ResidentTag.objects.filter(tag__in=DERIVED_TAGS).exists()
    assert list(ResidentTag.objects.values_list("tag", flat=True)) == ["without_family"]


def test_resident_tags_put_derived_groups_first(world):
    wang = world.residents["wang"]
    assert selectors.resident_tags(wang, household_size=1) == [
        Tag.AGED_60,
        Tag.LIVING_ALONE,
        Tag.WITHOUT_FAMILY,
    ]


@pytest.mark.parametrize(
    ("birth", "aged", "infant"),
    [
        (date(1966, 1, 1), True, False),  # 60 today
        (date(1966, 1, 2), False, False),  # 60 tomorrow
        (date(2023, 1, 1), False, False),  # 3 today
        (date(2023, 1, 2), False, True),  # 3 tomorrow
        (date(2025, 12, 31), False, True),
    ],
)
def test_age_groups_at_their_boundaries(world, birth, aged, infant):
    household = household_get_or_create(building=world.building_a1, entrance=3, room="101")
    add_person(world, household, "边界", birth.isoformat())
    add_person(world, household, "同住", "1990-01-01")  # not living alone
    assert ("边界" in visible(world, tag=Tag.AGED_60)) is aged
    assert ("边界" in visible(world, tag=Tag.INFANT)) is infant
    derived = selectors.derived_tags(Resident.objects.get(name="边界"), household_size=2)
    assert (Tag.AGED_60 in derived, Tag.INFANT in derived) == (aged, infant)


def test_living_alone_follows_the_household(world):
    assert visible(world, tag=Tag.LIVING_ALONE) == {"王秀英", "陈明", "单小红"}
    wang = world.residents["wang"]
    carer = add_person(world, wang.household, "护工", "1980-01-01")
    assert "王秀英" not in visible(world, tag=Tag.LIVING_ALONE)
    Resident.objects.filter(pk=carer.pk).update(moved_out_on=TODAY)
    assert "王秀英" in visible(world, tag=Tag.LIVING_ALONE)


def test_recorded_tag_filter(world):
    assert visible(world, tag=Tag.WITHOUT_FAMILY) == {"王秀英"}
    services.resident_update(
        actor=None, resident=world.residents["chen"], values={"tags": ["dialysis"]}
    )
    assert visible(world, tag=Tag.DIALYSIS) == {"陈明"}


def test_moved_out_residents_leave_the_lists(world):
    Resident.objects.filter(pk=world.residents["chen"].pk).update(moved_out_on=TODAY)
    assert "陈明" not in visible(world)
    assert selectors.registry_summary(user=world.user("staff"))["total"] == 4


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("zw", {"张伟"}),
        ("zhangwei", {"张伟"}),
        ("zhang", {"张伟"}),
        ("张", {"张伟"}),
        ("秀英", {"王秀英"}),
        ("sxh", {"单小红"}),
        ("13800000012", {"李芳"}),
        ("0000001", {"张伟", "李芳"}),  # part of a phone number
        ("1-1-301", {"张伟", "李芳"}),
        ("1栋1单元301", {"张伟", "李芳"}),
        ("3-501", {"陈明"}),
        ("2-1-301", set()),
        ("  ", {"张伟", "李芳", "王秀英", "陈明", "单小红"}),
    ],
)
def test_search(world, q, expected):
    assert visible(world, q=q) == expected


def test_search_by_last_four_of_the_id_including_x(world):
    for resident in world.residents.values():
        assert resident.name in visible(world, q=resident.id_last4.lower())


def test_search_finds_a_latin_name(world):
    add_person(world, world.residents["chen"].household, "Anna Smith", "1990-01-01")
    assert visible(world, q="anna") == {"Anna Smith"}
    assert visible(world, q="as") == {"Anna Smith"}


def test_registry_summary_counts(world):
    summary = selectors.registry_summary(user=world.user("staff"))
    assert (summary["total"], summary["households"], summary["verified"]) == (5, 4, 0)
    assert [
        (g["grid_name"], g["people"], g["households"], g["aged"]) for g in summary["by_grid"]
    ] == [
        ("第一网格", 3, 2, 3),
        ("第二网格", 2, 2, 0),
    ]
    groups = {g["tag"]: g["count"] for g in summary["groups"]}
    assert groups == {
        **{tag: 0 for tag in Tag},
        Tag.AGED_60: 3,
        Tag.INFANT: 1,
        Tag.LIVING_ALONE: 3,
        Tag.WITHOUT_FAMILY: 1,
    }
    assert summary["elderly_alone"] == 1  # 王秀英


def test_registry_summary_verified_share(world):
    services.resident_verify(actor=None, resident=world.residents["zhang"], method="door")
    summary = selectors.registry_summary(user=world.user("staff"))
    assert (summary["verified"], summary["verified_pct"]) == (1, 20)
    assert [g["verified_pct"] for g in summary["by_grid"]] == [33, 0]


@pytest.mark.parametrize(
    ("persona", "total", "grids"),
    [("grid_a", 3, ["第一网格"]), ("leader_a1", 2, ["第一网格"]), ("resident", 2, ["第一网格"])],
)
def test_registry_summary_is_scoped(world, persona, total, grids):
    summary = selectors.registry_summary(user=world.user(persona))
    assert summary["total"] == total
    assert [g["grid_name"] for g in summary["by_grid"]] == grids


def test_registry_summary_of_nobody_is_empty(world):
    summary = selectors.registry_summary(user=world.user("volunteer"))
    assert (summary["total"], summary["verified_pct"], summary["by_grid"]) == (0, 0, [])


def test_building_coverage_percentages(world):
    for key in ("zhang", "chen"):
        services.resident_verify(actor=None, resident=world.residents[key], method="phone")
    coverage = selectors.building_coverage(user=world.user("staff"))
    assert [(c["number"], c["people"], c["verified"], c["verified_pct"]) for c in coverage] == [
        ("1", 2, 1, 50),
        ("2", 1, 0, 0),
        ("3", 2, 1, 50),
    ]
    by_grid = selectors.building_coverage(user=world.user("staff"), grid=world.grid_b.pk)
    assert [c["number"] for c in by_grid] == ["3"]
    scoped = selectors.building_coverage(user=world.user("grid_a"), grid=world.grid_b.pk)
    assert scoped == []


def test_visible_grids_and_buildings(world):
    assert [g.name for g in selectors.grids_visible(world.user("grid_a"))] == ["第一网格"]
    assert len(selectors.grids_visible(world.user("staff"))) == 2
    assert [b.number for b in selectors.buildings_visible(world.user("leader_a1"))] == ["1"]
    assert not selectors.buildings_visible(world.user("resident")).exists()
    assert not selectors.grids_visible(world.user("outsider")).exists()


def test_building_households_count_current_members(world):
    rows = {str(h): h.people for h in selectors.building_households(world.building_b1)}
    assert rows == {"3-1-201": 1, "3-2-501": 1}
    Resident.objects.filter(pk=world.residents["chen"].pk).update(moved_out_on=TODAY)
    rows = {str(h): h.people for h in selectors.building_households(world.building_b1)}
    assert rows["3-2-501"] == 0

"""The demo generator on its own: no database, just the plan it draws."""

import re
from collections import Counter
from datetime import date

import pytest

from linli.demo import engine, names
from linli.places.choices import PlaceKind
from linli.residents.choices import RECORDED_TAGS, Relation, ResidentType
from linli.residents.idnumber import parse_id_number
from linli.residents.validation import LANDLINE_RE, MOBILE_RE, clean_resident

TODAY = date(2026, 3, 1)


@pytest.fixture(scope="module")
def plan():
    return engine.generate(seed=2020, today=TODAY)


def households_of(plan):
    members = {}
    for person in plan.people:
        members.setdefault(person.household, []).append(person)
    return members


def grid_of(plan, person):
    return plan.buildings[plan.households[person.household].building].grid


def test_it_builds_xinmin_road_with_the_exact_counts(plan):
    assert plan.community["name"] == "新民主路社区"
    assert plan.community["street"] == "中华路街道"
    assert len(plan.households) == 6514
    assert len(plan.people) == 14411
    assert 180 <= len(plan.buildings) <= 220
    assert [g.number for g in plan.grids] == [1, 2, 3, 4, 5]
    assert plan.grids[0].name == "第一网格"
    per_grid = Counter(grid_of(plan, p) for p in plan.people)
    assert set(per_grid) == {1, 2, 3, 4, 5}
    assert max(per_grid.values()) < 1.3 * min(per_grid.values())


def test_buildings_are_old_walk_ups_with_rooms_101_to_702(plan):
    assert {b.floors for b in plan.buildings} == {6, 7}
    assert {b.entrances for b in plan.buildings} == {2, 3}
    assert sum(b.has_lift for b in plan.buildings) < len(plan.buildings) * 0.1
    seen = set()
    for flat in plan.households:
        building = plan.buildings[flat.building]
        assert re.fullmatch(r"[1-7]0[12]", flat.room)
        assert flat.floor == int(flat.room[0]) <= building.floors
        assert 1 <= flat.entrance <= building.entrances
        seen.add((flat.building, flat.entrance, flat.room))
    assert len(seen) == len(plan.households)  # no flat twice
    assert len(plan.households) < sum(b.flats for b in plan.buildings)  # some stand empty


def test_buildings_and_places_lie_on_the_site_plan_in_rows(plan):
    for item in [*plan.buildings, *plan.places]:
        assert 0 <= item.x <= plan.width and 0 <= item.y <= plan.height
    estate = [b for b in plan.buildings if b.estate == "新民主路小区"]
    rows = sorted({round(b.y / 5) * 5 for b in estate})
    assert len(rows) >= 3
    gaps = {round(b - a) for a, b in zip(rows, rows[1:], strict=False)}
    assert gaps <= {20, 25, 30}  # rows about 25 m apart
    kinds = Counter(p.kind for p in plan.places)
    assert kinds["gate"] == 3 and kinds["pickup_point"] == 4 and kinds["clinic"] == 1
    assert kinds["shop"] >= 3 and kinds["square"] >= 1 and kinds["bin_station"] >= 5


def test_the_age_pyramid_is_an_old_estates(plan):
    members = households_of(plan)
    ages = [p.age(TODAY) for p in plan.people]
    aged = sum(a >= 60 for a in ages) / len(ages)
    assert 0.18 <= aged <= 0.23
    alone_elderly = sum(1 for h in members.values() if len(h) == 1 and h[0].age(TODAY) >= 60)
    assert 200 <= alone_elderly <= 700
    assert 150 <= sum(a < 3 for a in ages) <= 600
    assert max(ages) <= 104
    assert Counter(len(h) for h in members.values()).keys() == {1, 2, 3, 4, 5}
    for household in members.values():
        assert [p.relation for p in household].count("householder") == 1
        head = next(p for p in household if p.relation == "householder")
        assert head.age(TODAY) >= 18


def test_most_residents_are_registered(plan):
    types = Counter(p.resident_type for p in plan.people)
    assert types["registered"] / len(plan.people) > 0.75
    assert types["tenant"] > types["temporary"] > 50


def test_special_groups_come_in_plausible_numbers(plan):
    members = households_of(plan)
    tags = Counter(t for p in plan.people for t in p.tags)
    assert 15 <= tags["without_family"] <= 80
    assert 15 <= tags["dialysis"] <= 80
    assert 100 <= tags["disabled"] <= 600
    assert 20 <= tags["pregnant"] <= 150
    for tag in ("chronic", "low_income", "migrant_worker", "stranded", "bereaved"):
        assert tags[tag] > 10, tag
    for person in plan.people:
        assert len(person.tags) == len(set(person.tags))
        if "without_family" in person.tags:
            assert person.age(TODAY) >= 60 and len(members[person.household]) == 1
        if "pregnant" in person.tags:
            assert person.sex == "F" and 18 <= person.age(TODAY) <= 45
        if "dialysis" in person.tags:
            assert "chronic" in person.tags
        assert (person.disability_level is not None) == ("disabled" in person.tags)


def test_verification_covers_a_third_unevenly_by_grid(plan):
    verified = [p for p in plan.people if p.verification]
    assert 0.30 <= len(verified) / len(plan.people) <= 0.40
    share = {}
    for grid in range(1, 6):
        people = [p for p in plan.people if grid_of(plan, p) == grid]
        share[grid] = sum(1 for p in people if p.verification) / len(people)
    assert share[1] - share[5] > 0.3
    for person in verified:
        assert person.verification.at.date() < TODAY
        assert person.verification.at.tzinfo is not None
        assert person.verification.method in {"door", "phone", "document"}
        expected = {1: {"grid1"}, 2: {"grid2"}}.get(grid_of(plan, person), {"staff1", "cadre1"})
        assert person.verification.by in expected


def test_id_numbers_are_valid_unique_and_agree_with_birth_and_sex(plan):
    regions = {**names.WUHAN_REGIONS, **names.HUBEI_REGIONS, **names.OTHER_REGIONS}
    numbers = [p.id_number for p in plan.people]
    assert len(set(numbers)) == len(numbers)
    for person in plan.people:
        info = parse_id_number(person.id_number, today=TODAY)
        assert (info.birth_date, info.sex) == (person.birth_date, person.sex)
        assert person.id_number[:6] in regions
    wuchang = sum(n.startswith("420106") for n in numbers) / len(numbers)
    assert wuchang > 0.5


def test_phones_are_valid_and_unique(plan):
    phones = [p.phone for p in plan.people if p.phone]
    assert len(set(phones)) == len(phones)
    assert all(MOBILE_RE.match(p) or LANDLINE_RE.match(p) for p in phones)
    assert all(not p.phone for p in plan.people if p.age(TODAY) < 12)


def test_values_are_the_registrys_choices(plan):
    assert {p.relation for p in plan.people} <= set(Relation.values)
    assert {p.resident_type for p in plan.people} == set(ResidentType.values)
    assert {t for p in plan.people for t in p.tags} <= set(RECORDED_TAGS)
    assert {p.kind for p in plan.places} <= set(PlaceKind.values)


def test_generated_people_pass_the_registrys_own_validation(plan):
    for person in plan.people[::97]:
        cleaned = clean_resident(
            {
                "name": person.name,
                "id_number": person.id_number,
                "phone": person.phone,
                "relation": person.relation,
                "resident_type": person.resident_type,
                "tags": person.tags,
                "disability_level": person.disability_level or "",
                "note": person.note,
            },
            today=TODAY,
        )
        assert cleaned["birth_date"] == person.birth_date


def test_same_seed_gives_the_same_community_and_another_seed_another():
    first = engine.generate(seed=7, households=300, today=TODAY)
    again = engine.generate(seed=7, households=300, today=TODAY)
    other = engine.generate(seed=8, households=300, today=TODAY)
    key = lambda plan: [(p.name, p.id_number, p.phone, p.tags) for p in plan.people]  # noqa: E731
    assert key(first) == key(again)
    assert [(b.x, b.y) for b in first.buildings] == [(b.x, b.y) for b in again.buildings]
    assert key(first) != key(other)


@pytest.mark.parametrize("households", [10, 57, 300, 1000])
def test_small_communities_keep_the_proportions_and_every_grid(households):
    plan = engine.generate(seed=1, households=households, today=TODAY)
    assert len(plan.households) == households
    assert len(plan.people) == engine.residents_for(households)
    assert {b.grid for b in plan.buildings} == {1, 2, 3, 4, 5}
    grids = [b.grid for b in plan.buildings]
    assert grids == sorted(grids)  # each grid a contiguous run of buildings


def test_household_sizes_fit_the_resident_total_exactly():
    for households, residents in [(6514, 14411), (300, 664), (10, 22), (1000, 2500)]:
        counts = engine.household_sizes(households, residents)
        assert sum(counts.values()) == households
        assert sum(size * n for size, n in counts.items()) == residents


def test_it_refuses_a_community_too_small_to_have_five_grids():
    with pytest.raises(ValueError, match="at least 10"):
        engine.generate(seed=1, households=9, today=TODAY)

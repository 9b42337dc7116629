"""The resident list's combined filters and search order."""

from linli.places.services import household_get_or_create
from linli.residents.services import resident_create


def names(response):
    return [r.name for r, _tags in response.context["rows"]]


def test_two_tags_mean_both(world, as_user):
    # 王秀英 (born 1938) lives alone; 张伟 (born 1950) lives with his wife.
    response = as_user("staff").get("/registry/residents/?tag=aged_60&tag=living_alone")
    assert names(response) == ["王秀英"]
    assert "In all of these groups" in response.content.decode()


def test_one_tag_keeps_its_meaning(world, as_user):
    response = as_user("staff").get("/registry/residents/?tag=aged_60")
    assert set(names(response)) == {"张伟", "李芳", "王秀英"}


def test_unknown_tags_are_ignored(world, as_user):
    response = as_user("staff").get("/registry/residents/?tag=nonsense")
    assert len(names(response)) == 5


def test_an_exact_initials_match_comes_first(world, as_user):
    # 赵文 (zw) lives in building 3 (grid B), listed after grid A's people by address order.
    household = household_get_or_create(building=world.building_b1, entrance=1, room="101")
    resident_create(
        actor=None,
        household=household,
        values={"name": "赵文武", "sex": "M", "birth_date": "1990-01-01"},
    )  # zww: a prefix match only
    resident_create(
        actor=None,
        household=household,
        values={"name": "钟伟", "sex": "M", "birth_date": "1991-01-01"},
    )  # zw: exact
    found = names(as_user("staff").get("/registry/residents/?q=zw"))
    assert found[:2] == ["张伟", "钟伟"]
    assert "赵文武" in found[2:]

import pytest

from linli.testing import make_user
from linli.workforce.choices import Force, WorkerStatus
from linli.workforce.testing import make_worker


@pytest.fixture
def crew(world):
    """Roster entries for a few personas and two extra volunteers: one approved (li, living in
    A2) and one waiting for screening (zhao, who signed up from building A1 room 301)."""
    c = world.community
    return {
        "staff": make_worker(world.user("staff"), Force.STAFF, c),
        "grid_a": make_worker(world.user("grid_a"), Force.GRID_WORKER, c, grid=world.grid_a),
        "volunteer": make_worker(world.user("volunteer"), Force.VOLUNTEER, c, skills=["driving"]),
        "li": make_worker(
            make_user("li"),
            Force.VOLUNTEER,
            c,
            name="李强",
            home_building=world.building_a2,
            skills=["medical", "heavy_lifting"],
            organisation="武汉大学校友会",
        ),
        "zhao": make_worker(
            make_user("zhao"),
            Force.VOLUNTEER,
            c,
            name="张伟",
            status=WorkerStatus.PENDING,
            home_building=world.building_a1,
            home_room="301",
        ),
    }

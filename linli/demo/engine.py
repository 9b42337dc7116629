"""The demo community generator: pure computation, no database.

`generate(seed=..., households=..., today=...)` returns a `Plan` of plain dataclasses (grids,
buildings, households, people, public places) for Xinmin Road community (新民主路社区,
中华路街道, 武昌区): 6,514 households and 14,411 residents in about 200 old six- and
seven-storey walk-ups. Everything is drawn from one `random.Random(seed)`, so the same seed and
the same `today` give the same community, name for name and ID number for ID number.

Ages are relative to `today` so that the derived special groups (aged 60+, infants) look right
whenever the demo is loaded. Choice values are plain strings matching linli.residents.choices
(a test checks that they stay in step).
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from linli.demo import names
from linli.residents.idnumber import make_id_number

FULL_HOUSEHOLDS = 6514
FULL_RESIDENTS = 14411
COMMUNITY = {
    "name": "新民主路社区",
    "code": "xinmin-road",
    "street": "中华路街道",
    "district": "武昌区",
    "city": "武汉市",
}
TZ = ZoneInfo("Asia/Shanghai")

# Household sizes of an old inner-city estate: many old couples and people alone, few large
# families (mean about 2.2 people; the exact total is then fitted).
SIZE_SHARES = {1: 0.25, 2: 0.42, 3: 0.22, 4: 0.08, 5: 0.03}
OCCUPANCY = 0.95  # share of flats lived in; the rest stand empty
ROOMS_PER_FLOOR = 2  # per entrance: rooms 101, 102 ... 701, 702
ROW_SPACING = 25.0  # metres between rows of buildings (north-south)
COLUMN_SPACING = 40.0  # metres between buildings along a row (east-west)
STREET = 30.0  # metres of street between estates
MARGIN = 40.0
PLAN_WIDTH = 900.0  # estates are laid out in shelves up to this width
# Verification coverage by grid: grid 1 has been visited door to door, grid 5 hardly at all,
# which is what the coverage map should show a community in the middle of 逐一核实.
VERIFIED_BY_GRID = [0.62, 0.48, 0.33, 0.22, 0.12]
VERIFY_METHODS = {"door": 60, "phone": 30, "document": 10}


@dataclass
class GridPlan:
    number: int
    name: str


@dataclass
class BuildingPlan:
    number: str
    estate: str
    grid: int
    x: float
    y: float
    floors: int
    entrances: int
    has_lift: bool

    @property
    def flats(self) -> int:
        return self.floors * self.entrances * ROOMS_PER_FLOOR


@dataclass
class HouseholdPlan:
    building: int  # index into Plan.buildings
    entrance: int
    room: str
    floor: int


@dataclass
class VerificationPlan:
    at: datetime
    method: str
    by: str  # a demo username


@dataclass
class PersonPlan:
    household: int  # index into Plan.households
    name: str
    sex: str
    birth_date: date
    relation: str
    resident_type: str
    region: str
    id_number: str = ""
    phone: str = ""
    tags: list[str] = field(default_factory=list)
    disability_level: int | None = None
    note: str = ""
    verification: VerificationPlan | None = None

    def age(self, today: date) -> int:
        before = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before


@dataclass
class PlacePlan:
    kind: str
    name: str
    x: float
    y: float
    grid: int


@dataclass
class Plan:
    seed: int
    today: date
    community: dict
    width: float
    height: float
    grids: list[GridPlan]
    buildings: list[BuildingPlan]
    households: list[HouseholdPlan]
    people: list[PersonPlan]
    places: list[PlacePlan]


def residents_for(households: int) -> int:
    """The number of residents that keeps Xinmin Road's people per household at any scale."""
    if households == FULL_HOUSEHOLDS:
        return FULL_RESIDENTS
    return round(households * FULL_RESIDENTS / FULL_HOUSEHOLDS)


def generate(*, seed: int = 2020, households: int = FULL_HOUSEHOLDS, today: date) -> Plan:
    if households < 10:
        raise ValueError("the demo community needs at least 10 households")
    rng = random.Random(seed)
    buildings = _buildings(rng, households)
    width = max(b.x for b in buildings) + MARGIN
    height = max(b.y for b in buildings) + MARGIN
    grid_count = len(VERIFIED_BY_GRID)
    grids = [GridPlan(n, names.GRID_NAMES[n - 1]) for n in range(1, grid_count + 1)]
    flats = _households(rng, buildings, households)
    people = _People(rng, today).fill(flats, residents_for(households))
    _record_tags(rng, people, today)
    _verify(rng, people, flats, buildings, today)
    _assign_ids_and_phones(rng, people, today)
    places = _places(rng, buildings, width, height)
    return Plan(
        seed=seed,
        today=today,
        community=dict(COMMUNITY),
        width=round(width, 1),
        height=round(height, 1),
        grids=grids,
        buildings=buildings,
        households=flats,
        people=people,
        places=places,
    )


def weighted(rng: random.Random, table: dict):
    return rng.choices(list(table), weights=list(table.values()))[0]


# Buildings and flats --------------------------------------------------------------------------


def _buildings(rng: random.Random, households: int) -> list[BuildingPlan]:
    """Estates as blocks of buildings in rows, laid out in shelves across the site plan; only as
    many buildings as the households need (at least one per grid)."""
    needed = math.ceil(households / OCCUPANCY)
    grid_count = len(VERIFIED_BY_GRID)
    specs = []  # (estate, floors, entrances, has_lift), in estate order
    for estate, count in names.ESTATES:
        for _ in range(count):
            floors = 6 if rng.random() < 0.6 else 7
            entrances = 3 if rng.random() < 0.65 else 2
            has_lift = rng.random() < 0.04  # a few had lifts retrofitted (加装电梯)
            specs.append((estate, floors, entrances, has_lift))
    # Keep the first buildings until they hold enough flats; the full community needs them all,
    # and should it fall short, widen two-entrance buildings (never lose households).
    kept, capacity = [], 0
    for spec in specs:
        if capacity >= needed and len(kept) >= grid_count:
            break
        kept.append(spec)
        capacity += spec[1] * spec[2] * ROOMS_PER_FLOOR
    i = 0
    while capacity < needed:
        estate, floors, entrances, lift = kept[i % len(kept)]
        if entrances == 2:
            kept[i % len(kept)] = (estate, floors, 3, lift)
            capacity += floors * ROOMS_PER_FLOOR
        i += 1
        if i > 10 * len(kept):  # pragma: no cover - every building already has three
            raise ValueError("too many households for the estates")

    # Lay out estate by estate: each a block of rows, blocks left to right in shelves.
    by_estate: dict[str, list] = {}
    for spec in kept:
        by_estate.setdefault(spec[0], []).append(spec)
    placed = []
    shelf_x, shelf_y, shelf_height = MARGIN, MARGIN, 0.0
    for estate, estate_specs in by_estate.items():
        columns = max(1, min(len(estate_specs), round(math.sqrt(len(estate_specs) * 1.2))))
        rows = math.ceil(len(estate_specs) / columns)
        block_w = (columns - 1) * COLUMN_SPACING
        block_h = (rows - 1) * ROW_SPACING
        if shelf_x > MARGIN and shelf_x + block_w > PLAN_WIDTH:
            shelf_x, shelf_y = MARGIN, shelf_y + shelf_height + STREET + ROW_SPACING
            shelf_height = 0.0
        for k, (_e, floors, entrances, lift) in enumerate(estate_specs):
            row, column = divmod(k, columns)
            x = shelf_x + column * COLUMN_SPACING + rng.uniform(-1.5, 1.5)
            y = shelf_y + row * ROW_SPACING + rng.uniform(-1.0, 1.0)
            placed.append((estate, round(x, 1), round(y, 1), floors, entrances, lift))
        shelf_x += block_w + STREET + COLUMN_SPACING
        shelf_height = max(shelf_height, block_h)

    # Grids: contiguous runs of buildings (in layout order) holding about equal numbers of flats.
    total = sum(f * e * ROOMS_PER_FLOOR for _e, _x, _y, f, e, _l in placed)
    buildings, running, grid = [], 0, 1
    for k, (estate, x, y, floors, entrances, lift) in enumerate(placed):
        flats = floors * entrances * ROOMS_PER_FLOOR
        share = min(grid_count, 1 + int(grid_count * (running + flats / 2) / total))
        # Never skip a grid, and leave enough buildings for the grids still to come, so every
        # grid gets at least one building even in a tiny test community.
        grid = max(min(share, grid + 1), grid_count - (len(placed) - k) + 1)
        running += flats
        buildings.append(
            BuildingPlan(
                number=str(k + 1),
                estate=estate,
                grid=grid,
                x=x,
                y=y,
                floors=floors,
                entrances=entrances,
                has_lift=lift,
            )
        )
    return buildings


def _households(rng, buildings: list[BuildingPlan], households: int) -> list[HouseholdPlan]:
    """Pick the occupied flats at random; the rest stand empty."""
    flats = [
        HouseholdPlan(b, entrance, f"{floor}{unit:02d}", floor)
        for b, building in enumerate(buildings)
        for entrance in range(1, building.entrances + 1)
        for floor in range(1, building.floors + 1)
        for unit in range(1, ROOMS_PER_FLOOR + 1)
    ]
    chosen = sorted(rng.sample(range(len(flats)), households))
    return [flats[i] for i in chosen]


# People ---------------------------------------------------------------------------------------


def household_sizes(households: int, residents: int) -> dict[int, int]:
    """How many households of each size (1-5) hold exactly `residents` people."""
    counts = {k: round(households * share) for k, share in SIZE_SHARES.items()}
    counts[2] += households - sum(counts.values())
    diff = residents - sum(k * n for k, n in counts.items())
    # Each move of one household between adjacent sizes changes the total by one person.
    moves = [(2, 3), (1, 2), (3, 4), (4, 5)] if diff > 0 else [(3, 2), (2, 1), (4, 3), (5, 4)]
    for source, target in moves:
        while diff and counts[source] > (0 if source != 1 else households // 10):
            counts[source] -= 1
            counts[target] += 1
            diff += -1 if diff > 0 else 1
    if diff:
        raise ValueError(f"cannot fit {residents} residents into {households} households")
    return counts


class _People:
    """Builds households of related people with realistic ages, names and resident types."""

    def __init__(self, rng: random.Random, today: date):
        self.rng = rng
        self.today = today
        self.people: list[PersonPlan] = []
        self.surnames = list(names.SURNAMES)
        self.surname_weights = list(names.SURNAMES.values())
        self.given = [(year, m.split(), f.split()) for year, m, f in names.GIVEN_NAMES]
        self.household = 0
        self.kind = "registered"  # set for each household by `settle`
        self.hometown = ""

    def fill(self, flats: list[HouseholdPlan], residents: int) -> list[PersonPlan]:
        counts = household_sizes(len(flats), residents)
        sizes = [k for k, n in counts.items() for _ in range(n)]
        self.rng.shuffle(sizes)
        makers = {1: self.one, 2: self.two, 3: self.three, 4: self.four, 5: self.five}
        for index, size in enumerate(sizes):
            self.household = index
            before = len(self.people)
            makers[size]()
            assert len(self.people) - before == size, size  # noqa: S101 (an internal invariant)
        return self.people

    # Drawing ages, names and places.

    def surname(self) -> str:
        return self.rng.choices(self.surnames, weights=self.surname_weights)[0]

    def given_name(self, sex: str, birth_year: int) -> str:
        for up_to, male, female in self.given:
            if birth_year <= up_to:
                return self.rng.choice(male if sex == "M" else female)
        raise AssertionError(birth_year)  # pragma: no cover

    def elderly_age(self) -> int:
        band = weighted(self.rng, {(60, 69): 50, (70, 79): 33, (80, 89): 14, (90, 99): 3})
        return self.rng.randint(*band)

    def birth_for_age(self, age: int) -> date:
        """A birth date at which a person is exactly `age` today."""
        latest = _years_ago(self.today, age)
        earliest = _years_ago(self.today, age + 1) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randint(0, (latest - earliest).days))

    def pick_region(self, kind: str) -> str:
        if kind == "registered":
            return weighted(self.rng, names.WUHAN_REGIONS)
        if self.rng.random() < 0.7:
            return weighted(self.rng, names.HUBEI_REGIONS)
        return weighted(self.rng, names.OTHER_REGIONS)

    def settle(self, *, tenant: float = 0.0, temporary: float = 0.0) -> None:
        """Decide whether this household rents or is staying temporarily."""
        roll = self.rng.random()
        if roll < tenant:
            self.kind = "tenant"
        elif roll < tenant + temporary:
            self.kind = "temporary"
        else:
            self.kind = "registered"
        self.hometown = self.pick_region(self.kind)

    def add(self, *, age: int, sex: str, relation: str, surname: str | None = None, kind=None):
        age = max(0, age)
        birth = self.birth_for_age(age)
        person = PersonPlan(
            household=self.household,
            name=(surname or self.surname()) + self.given_name(sex, birth.year),
            sex=sex,
            birth_date=birth,
            relation=relation,
            resident_type=kind or self.kind,
            region=self.hometown if (kind or self.kind) == self.kind else self.pick_region(kind),
        )
        self.people.append(person)
        return person

    def couple(self, age: int, *, householder_sex: str | None = None):
        """A married couple; the husband usually a couple of years older."""
        rng = self.rng
        husband_age = age
        wife_age = max(20, age - rng.choice([0, 1, 2, 2, 3, 3, 4, 5, 6]))
        first = householder_sex or ("M" if rng.random() < 0.75 else "F")
        surname = self.surname()
        if first == "M":
            head = self.add(age=husband_age, sex="M", relation="householder", surname=surname)
            self.add(age=wife_age, sex="F", relation="spouse")
        else:
            head = self.add(age=wife_age, sex="F", relation="householder")
            self.add(age=husband_age, sex="M", relation="spouse", surname=surname)
        return surname, wife_age, head

    def child_age(self, mother_age: int, *, youngest: int = 0) -> int:
        gap = self.rng.randint(22, 34)
        if mother_age - gap < youngest:
            gap = self.rng.randint(22, max(22, mother_age - youngest))
        return max(youngest, mother_age - gap)

    def sex(self) -> str:
        return "M" if self.rng.random() < 0.51 else "F"

    # One maker per household size: archetypes with their shares.

    def one(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.26:  # an old person alone: the heart of problem P4
            self.settle()
            self.add(
                age=self.elderly_age() + 2,
                sex="F" if rng.random() < 0.62 else "M",
                relation="householder",
            )
        elif roll < 0.52:
            self.settle(tenant=0.08)
            self.add(age=rng.randint(40, 59), sex=self.sex(), relation="householder")
        else:  # young people alone, many renting
            self.settle(tenant=0.45, temporary=0.12)
            self.add(age=rng.randint(20, 39), sex=self.sex(), relation="householder")

    def two(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.17:  # an old couple
            self.settle()
            self.couple(self.elderly_age())
        elif roll < 0.37:  # empty nest
            self.settle(tenant=0.05)
            self.couple(rng.randint(45, 59))
        elif roll < 0.65:  # a young couple
            self.settle(tenant=0.35, temporary=0.08)
            self.couple(rng.randint(24, 38))
        elif roll < 0.80:  # one parent and a child
            self.settle(tenant=0.08)
            mother = rng.randint(30, 56)
            surname = self.surname()
            self.add(
                age=mother,
                sex="F" if rng.random() < 0.7 else "M",
                relation="householder",
                surname=surname,
            )
            self.add(age=self.child_age(mother), sex=self.sex(), relation="child", surname=surname)
        elif roll < 0.93:  # an old parent and a grown-up child
            self.settle()
            parent = min(self.elderly_age() + 5, 99)
            surname = self.surname()
            child = max(30, parent - rng.randint(24, 34))
            if rng.random() < 0.6:
                self.add(age=parent, sex="F", relation="householder")
                self.add(age=child, sex=self.sex(), relation="child", surname=surname)
            else:
                self.add(age=child, sex="M", relation="householder", surname=surname)
                self.add(age=parent, sex="F", relation="parent")
        else:  # two flatmates
            self.settle(tenant=1.0)
            self.add(age=rng.randint(20, 35), sex=self.sex(), relation="householder")
            self.add(age=rng.randint(20, 35), sex=self.sex(), relation="tenant")

    def three(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.66:  # parents and a child
            self.settle(tenant=0.15, temporary=0.04)
            surname, mother, _h = self.couple(rng.randint(28, 58))
            self.add(age=self.child_age(mother), sex=self.sex(), relation="child", surname=surname)
        elif roll < 0.76:  # grandparents bringing up a grandchild (隔代)
            self.settle()
            surname, grandmother, _h = self.couple(rng.randint(52, 68), householder_sex="M")
            age = self.child_age(self.child_age(grandmother, youngest=22))
            self.add(age=min(age, 14), sex=self.sex(), relation="grandchild", surname=surname)
        elif roll < 0.92:  # a couple and one old parent, perhaps in town for the New Year
            self.settle(tenant=0.05)
            surname, wife, _h = self.couple(rng.randint(40, 60), householder_sex="M")
            parent_age = max(62, wife + rng.randint(22, 32))
            visiting = "temporary" if rng.random() < 0.18 else None
            self.add(
                age=parent_age,
                sex="F" if rng.random() < 0.65 else "M",
                relation="parent",
                surname=surname,
                kind=visiting,
            )
        else:  # an old couple and their unmarried grown-up child
            self.settle()
            surname, mother, _h = self.couple(self.elderly_age(), householder_sex="M")
            child = max(25, self.child_age(mother, youngest=25))
            self.add(age=min(child, 42), sex=self.sex(), relation="child", surname=surname)

    def four(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.30:  # parents and two children
            self.settle(tenant=0.10)
            surname, mother, _h = self.couple(rng.randint(30, 52))
            first = self.child_age(mother)
            second = max(0, first - rng.randint(2, 9))
            self.add(age=first, sex=self.sex(), relation="child", surname=surname)
            self.add(age=second, sex=self.sex(), relation="child", surname=surname)
        elif roll < 0.70:  # three generations under one roof
            self.settle(tenant=0.04)
            surname, mother, _h = self.couple(rng.randint(28, 50), householder_sex="M")
            self.add(age=self.child_age(mother), sex=self.sex(), relation="child", surname=surname)
            self.add(age=max(60, mother + rng.randint(22, 32)), sex="F", relation="parent")
        else:  # grandparents, their child and a grandchild
            self.settle()
            surname, grandmother, _h = self.couple(rng.randint(55, 75), householder_sex="M")
            child = self.child_age(grandmother, youngest=23)
            self.add(age=child, sex=self.sex(), relation="child", surname=surname)
            self.add(
                age=self.child_age(child), sex=self.sex(), relation="grandchild", surname=surname
            )

    def five(self):
        rng = self.rng
        if rng.random() < 0.5:  # a couple, a child and both of the husband's parents
            self.settle(tenant=0.03)
            surname, mother, _h = self.couple(rng.randint(28, 50), householder_sex="M")
            self.add(age=self.child_age(mother), sex=self.sex(), relation="child", surname=surname)
            grandfather = max(60, mother + rng.randint(24, 34))
            self.add(age=grandfather, sex="M", relation="parent", surname=surname)
            self.add(age=grandfather - rng.randint(0, 4), sex="F", relation="parent")
        else:  # grandparents, their son, his wife and a grandchild
            self.settle()
            surname, grandmother, _h = self.couple(rng.randint(54, 74), householder_sex="M")
            son = self.child_age(grandmother, youngest=24)
            self.add(age=son, sex="M", relation="child", surname=surname)
            daughter_in_law = max(22, son - rng.randint(0, 4))
            self.add(age=daughter_in_law, sex="F", relation="relative")
            self.add(
                age=self.child_age(daughter_in_law),
                sex=self.sex(),
                relation="grandchild",
                surname=surname,
            )


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


# Special groups, verification, ID numbers and phones ------------------------------------------


def _record_tags(rng: random.Random, people: list[PersonPlan], today: date) -> None:
    """The special groups a worker records (the derived ones, age and living alone, are not
    stored). Shares are those of an old Wuhan estate in early 2020."""
    members: dict[int, list[PersonPlan]] = {}
    for person in people:
        members.setdefault(person.household, []).append(person)

    for person in people:
        age = person.age(today)
        alone = len(members[person.household]) == 1
        tags = person.tags
        if alone and age >= 60 and rng.random() < 0.09:
            tags.append("without_family")  # 孤寡: no children or relatives to turn to
        disabled = 0.08 if age >= 80 else 0.04 if age >= 60 else 0.015 if age >= 18 else 0.005
        if rng.random() < disabled:
            tags.append("disabled")
            person.disability_level = weighted(rng, {1: 12, 2: 23, 3: 30, 4: 35})
        chronic = 0.38 if age >= 60 else 0.08 if age >= 40 else 0.01
        dialysis = 0.008 if age >= 60 else 0.0015 if age >= 40 else 0.0
        if rng.random() < dialysis:
            tags.extend(["dialysis", "chronic"])
            hospital = rng.choice(names.DIALYSIS_HOSPITALS)
            person.note = f"每周一三五透析（{hospital}）"
        elif rng.random() < chronic:
            tags.append("chronic")
        if (
            person.sex == "F"
            and 22 <= age <= 40
            and person.relation in {"householder", "spouse", "relative"}
            and len(members[person.household]) >= 2
            and rng.random() < 0.035
        ):
            tags.append("pregnant")
        if (
            person.resident_type != "registered"
            and 18 <= age <= 55
            and not person.region.startswith("4201")
            and rng.random() < 0.22
        ):
            tags.append("migrant_worker")
        if person.resident_type == "registered" and 18 <= age <= 70 and rng.random() < 0.01:
            tags.append("stranded")
            person.note = f"春节离汉，滞留{rng.choice(names.STRANDED_PLACES)}"

    # Low income (低保) and bereavement are a household's lot, recorded for each member.
    for household in members.values():
        head_age = household[0].age(today)
        vulnerable = any("disabled" in p.tags for p in household) or (
            len(household) == 1 and head_age >= 60
        )
        if rng.random() < (0.07 if vulnerable else 0.012):
            for person in household:
                if person.age(today) >= 16 or len(household) == 1:
                    person.tags.append("low_income")
        if rng.random() < 0.0035:
            for person in household:
                if person.age(today) >= 14:
                    person.tags.append("bereaved")


def _verify(rng, people, flats: list[HouseholdPlan], buildings: list[BuildingPlan], today):
    """About a third of the registry verified (逐一核实), household by household, unevenly:
    each grid has its own pace and each building its own luck."""
    building_rate = []
    for building in buildings:
        base = VERIFIED_BY_GRID[building.grid - 1]
        building_rate.append(min(0.97, base * rng.uniform(0.3, 1.7)))
    verifier = {1: ["grid1"], 2: ["grid2"]}
    decided: dict[int, VerificationPlan | None] = {}
    for person in people:
        if person.household not in decided:
            flat = flats[person.household]
            building = buildings[flat.building]
            if rng.random() < building_rate[flat.building]:
                day = today - timedelta(days=rng.randint(1, 40))
                minute = rng.randint(8 * 60 + 30, 19 * 60 + 30)
                decided[person.household] = VerificationPlan(
                    at=datetime.combine(day, time(minute // 60, minute % 60), tzinfo=TZ),
                    method=weighted(rng, VERIFY_METHODS),
                    by=rng.choice(verifier.get(building.grid, ["staff1", "staff1", "cadre1"])),
                )
            else:
                decided[person.household] = None
        person.verification = decided[person.household]


def _assign_ids_and_phones(rng: random.Random, people: list[PersonPlan], today: date) -> None:
    used_ids: set[str] = set()
    used_phones: set[str] = set()
    for person in people:
        odd = person.sex == "M"  # the sequence's last digit is odd for men, even for women
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if odd else 0)
            number = make_id_number(person.region, person.birth_date, sequence)
            if number not in used_ids:
                used_ids.add(number)
                person.id_number = number
                break
        age = person.age(today)
        if age < 12:
            continue  # children have no phone of their own
        if age >= 75 and rng.random() < 0.35:
            if rng.random() < 0.3:
                continue  # no phone at all: a worker must knock
            while True:
                phone = f"027-8{rng.randrange(10**7):07d}"  # the old landline
                if phone not in used_phones:
                    break
        else:
            while True:
                phone = rng.choice(names.MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"
                if phone not in used_phones:
                    break
        used_phones.add(phone)
        person.phone = phone


# Public places --------------------------------------------------------------------------------


def _places(rng, buildings: list[BuildingPlan], width: float, height: float) -> list[PlacePlan]:
    def nearest_grid(x, y):
        return min(buildings, key=lambda b: (b.x - x) ** 2 + (b.y - y) ** 2).grid

    def place(kind, name, x, y):
        x = round(min(max(x, 0.0), width), 1)
        y = round(min(max(y, 0.0), height), 1)
        return PlacePlan(kind, name, x, y, nearest_grid(x, y))

    def beside(building: BuildingPlan, dx=COLUMN_SPACING / 2, dy=ROW_SPACING / 2):
        return building.x + dx, building.y + dy

    places = [
        place("gate", "民主路正门", width / 2, 0.0),
        place("gate", "粮道街西门", 0.0, height * 0.6),
        place("gate", "中华路东门", width, height * 0.35),
        place("office", "新民主路社区居委会", width / 2 + 15, MARGIN / 2),
        place("clinic", "粮道街社区卫生服务站", width * 0.3, MARGIN / 3),
    ]
    # One pickup point per quarter of the site (proposal S4), beside its middle building.
    by_x = sorted(buildings, key=lambda b: b.x)
    halves = [by_x[: len(by_x) // 2], by_x[len(by_x) // 2 :]]
    quarters = []
    for half in halves:
        by_y = sorted(half, key=lambda b: b.y)
        quarters += [by_y[: len(by_y) // 2] or by_y, by_y[len(by_y) // 2 :]]
    for k, quarter in enumerate(quarters, start=1):
        cx = sum(b.x for b in quarter) / len(quarter)
        cy = sum(b.y for b in quarter) / len(quarter)
        middle = min(quarter, key=lambda b: (b.x - cx) ** 2 + (b.y - cy) ** 2)
        places.append(place("pickup_point", f"第{k}取货点（{middle.estate}）", *beside(middle)))
    shops = ["中百便民超市", "新民主路菜市场", "老百姓大药房", "粮道街便利店", "胭脂路粮油店"]
    for name in shops:
        building = rng.choice(buildings)
        places.append(place("shop", name, *beside(building, dy=-ROW_SPACING / 2)))
    estates = list(dict.fromkeys(b.estate for b in buildings))
    for estate in estates[:2]:
        members = [b for b in buildings if b.estate == estate]
        cx = sum(b.x for b in members) / len(members)
        cy = max(b.y for b in members) + ROW_SPACING / 2
        places.append(place("square", f"{estate}广场", cx, cy))
    # A bin station for every twenty buildings or so.
    for k in range(0, len(buildings), 20):
        chunk = buildings[k : k + 20]
        anchor = chunk[len(chunk) // 2]
        places.append(
            place("bin_station", f"垃圾站 {k // 20 + 1}（{anchor.estate}）", *beside(anchor))
        )
    return places

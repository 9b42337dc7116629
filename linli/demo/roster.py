"""The demo community's workforce and task pool: pure computation, no database.

`generate_work(plan, seed=..., now=...)` draws, for a community drawn by `linli.demo.engine`,
the one roster of every force (proposal S2) and a pool of tasks in every state with the history
that led there (issue 3), plus the protective equipment ledger (S13). It draws from its own
random stream, so adding it left the registry of a seed unchanged; the same seed, plan and `now`
give the same roster and tasks. People, buildings, households and places are referred to by
their index in the plan; workers and tasks by their index in the lists returned here.

Choice values are plain strings matching linli.workforce.choices and linli.taskpool.choices
(a test checks that they stay in step).
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from linli.demo import names
from linli.demo.engine import MARGIN, Plan, _People, weighted

FULL_HOUSEHOLDS = 6514
# Xinmin Road's fourteen community staff: nine at the committee, five working a grid each.
STAFF = 9
GRID_WORKERS = 5
FULL = {"cadre": 40, "property": 20, "volunteer": 150, "tasks": 420}
SMALLEST = {"cadre": 6, "property": 4, "volunteer": 24, "tasks": 126}
LEADER_SHARE = 0.86  # buildings with a building leader
PENDING = {"full": 8, "small": 3}  # volunteers waiting for screening

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
KINDS = [
    "delivery",
    "medicine",
    "check_visit",
    "escort",
    "disinfection",
    "counselling",
    "stray_animal",
    "pest",
    "other",
]
STATES = ["open", "assigned", "accepted", "in_progress", "done", "failed", "cancelled"]
LIVE = {"open", "assigned", "accepted", "in_progress"}
KIND_SHARES = {
    "delivery": 28,
    "medicine": 15,
    "check_visit": 20,
    "escort": 6,
    "disinfection": 13,
    "counselling": 5,
    "stray_animal": 3,
    "pest": 4,
    "other": 6,
}
STATE_SHARES = {
    "open": 17,
    "assigned": 8,
    "accepted": 8,
    "in_progress": 8,
    "done": 44,
    "failed": 6,
    "cancelled": 9,
}
# Kept in step with linli.taskpool.choices.KIND_SKILL and KIND_MINUTES (a test checks).
KIND_SKILL = {"escort": "driving", "counselling": "counselling"}
KIND_MINUTES = {
    "delivery": 30,
    "medicine": 30,
    "check_visit": 20,
    "escort": 120,
    "disinfection": 60,
    "counselling": 40,
    "stray_animal": 45,
    "pest": 45,
    "other": 30,
}
# Which forces usually do which work (weights); the nearest able worker of the force gets it.
KIND_FORCES = {
    "delivery": {"volunteer": 6, "building_leader": 2, "cadre": 3, "property": 1},
    "medicine": {"volunteer": 5, "cadre": 3, "building_leader": 1},
    "check_visit": {
        "grid_worker": 3,
        "staff": 1,
        "building_leader": 3,
        "volunteer": 3,
        "cadre": 2,
    },
    "escort": {"volunteer": 4, "cadre": 1, "staff": 1},
    "disinfection": {"property": 6, "volunteer": 2, "cadre": 1},
    "counselling": {"volunteer": 2, "staff": 1},
    "stray_animal": {"property": 5, "cadre": 2},
    "pest": {"property": 5, "cadre": 2},
    "other": {"volunteer": 3, "cadre": 2, "staff": 1, "building_leader": 2, "grid_worker": 1},
}
# Hours until due after a request, by priority (1 urgent ... 4 low).
DUE_HOURS = {1: 3, 2: 8, 3: 24, 4: 72}
RATINGS = {5: 60, 4: 27, 3: 8, 2: 3, 1: 2}
PPE = {
    # kind: (unit, stock left now, alert below, issued per handout (low, high))
    "mask": ("个", 1860, 300, (10, 30)),
    "gloves": ("副", 420, 100, (5, 10)),
    "gown": ("件", 32, 50, (1, 3)),  # the one running low
    "disinfectant": ("瓶", 96, 30, (1, 2)),
    "goggles": ("副", 24, 10, (1, 1)),
}


@dataclass
class WorkerPlan:
    username: str
    name: str  # "" for a demo login: it keeps its own display name
    force: str
    phone: str
    role: str | None  # the role to grant; None: a demo login that already has its grants
    organisation: str = ""
    home_building: int | None = None
    home_room: str = ""  # the room given at sign-up
    grid: int | None = None  # grid number
    resident: int | None = None  # index into plan.people
    skills: list[str] = field(default_factory=list)
    availability: list[str] = field(default_factory=list)
    weekly_hour_cap: int = 40
    status: str = "approved"
    joined: datetime | None = None
    identity_checked_at: datetime | None = None
    test_date: date | None = None
    training_acknowledged_at: datetime | None = None
    decided_by: str | None = None  # username
    decided_at: datetime | None = None
    rejection_reason: str = ""

    @property
    def existing(self) -> bool:
        return self.role is None


@dataclass
class RequestPlan:
    at: datetime
    source: str
    requested_by: str | None  # username
    note: str


@dataclass
class EventPlan:
    at: datetime
    action: str
    from_status: str
    to_status: str
    actor: str | None = None  # username
    worker: int | None = None  # index into the roster
    note: str = ""
    ref: int | None = None  # a task index whose number `note` names ("{}" in the note)


@dataclass
class TaskPlan:
    kind: str
    status: str
    priority: int
    title: str = ""
    description: str = ""
    resident: int | None = None
    household: int | None = None
    building: int | None = None
    place: int | None = None
    source: str = "resident"
    created_by: str | None = None
    assignee: int | None = None
    created: datetime | None = None
    updated: datetime | None = None
    due: datetime | None = None
    started: datetime | None = None
    done: datetime | None = None
    escalated: datetime | None = None
    result_note: str = ""
    failure_reason: str = ""
    rating: int | None = None
    rating_comment: str = ""
    confirmed_by: str | None = None
    confirmed: datetime | None = None
    minutes: int | None = None  # the hours-ledger entry of a done task
    requests: list[RequestPlan] = field(default_factory=list)
    events: list[EventPlan] = field(default_factory=list)
    steps: list = field(default_factory=list)  # (action, at) before actors are known

    @property
    def target(self) -> str:
        for name in ("resident", "household", "building", "place"):
            value = getattr(self, name)
            if value is not None:
                return f"{name}:{value}"
        raise AssertionError("a task without a target")  # pragma: no cover


@dataclass
class HoursPlan:
    worker: int
    day: date
    minutes: int
    note: str


@dataclass
class PpeItemPlan:
    kind: str
    unit: str
    stock: int
    low_threshold: int


@dataclass
class PpeMovementPlan:
    kind: str
    quantity: int
    worker: int | None
    by: str
    note: str
    at: datetime


@dataclass
class WorkPlan:
    workers: list[WorkerPlan]
    tasks: list[TaskPlan]
    shifts: list[HoursPlan]
    ppe_items: list[PpeItemPlan]
    ppe_movements: list[PpeMovementPlan]

    def by_username(self) -> dict[str, int]:
        return {w.username: i for i, w in enumerate(self.workers)}


def sizes(households: int) -> dict[str, int]:
    """Roster and pool sizes: Xinmin Road's at full scale, smaller (with floors) for the small
    communities tests load. The fourteen staff are there at any scale."""
    share = min(1.0, households / FULL_HOUSEHOLDS)
    return {k: max(SMALLEST[k], round(FULL[k] * share)) for k in FULL}


def generate_work(plan: Plan, *, seed: int, now: datetime) -> WorkPlan:
    rng = random.Random(f"linli-demo-work-{seed}")
    roster = _Roster(rng, plan, now)
    workers = roster.build()
    pool = _Pool(rng, plan, now, workers, roster)
    tasks = pool.build()
    shifts = _shifts(rng, workers, now)
    items, movements = _ppe(rng, workers, now)
    return WorkPlan(workers, tasks, shifts, items, movements)


def leader_building(plan: Plan) -> int:
    """The building leader1 leads (linli.demo.services places the login there too)."""
    return next(i for i, b in enumerate(plan.buildings) if b.grid == 1)


def resident1_person(plan: Plan) -> int:
    """The registry record resident1 logs in as (an index into plan.people): an older
    householder in leader1's building, an old couple's flat if there is one, else elsewhere in
    grid 1 (every household has an adult householder)."""
    home = leader_building(plan)
    size: dict[int, int] = {}
    for person in plan.people:
        size[person.household] = size.get(person.household, 0) + 1

    def rank(index):
        person = plan.people[index]
        return (
            plan.households[person.household].building != home,
            size[person.household] != 2,
            person.age(plan.today) < 60,
            person.household,
        )

    candidates = [
        i
        for i, person in enumerate(plan.people)
        if person.relation == "householder"
        and plan.buildings[plan.households[person.household].building].grid == 1
    ]
    return min(candidates, key=rank)


def _minutes(rng, low: float, high: float) -> timedelta:
    return timedelta(minutes=round(rng.uniform(low, high)))


# The roster ---------------------------------------------------------------------------------


class _Roster:
    def __init__(self, rng: random.Random, plan: Plan, now: datetime):
        self.rng = rng
        self.plan = plan
        self.now = now
        self.people = _People(rng, plan.today)
        self.used_phones = {p.phone for p in plan.people if p.phone}
        self.workers: list[WorkerPlan] = []
        self.size = sizes(len(plan.households))
        self.households: dict[int, list[int]] = {}
        for index, person in enumerate(plan.people):
            self.households.setdefault(person.household, []).append(index)

    # Drawing.

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(names.MOBILE_PREFIXES) + f"{self.rng.randrange(10**7):07d}"
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    def name(self, low: int = 25, high: int = 55) -> str:
        sex = "M" if self.rng.random() < 0.5 else "F"
        year = self.plan.today.year - self.rng.randint(low, high)
        return self.people.surname() + self.people.given_name(sex, year)

    def availability(self, pattern: str) -> list[str]:
        rng = self.rng
        if pattern == "full":  # in a lockdown the community's own people work every day
            return [f"{d}-{p}" for d in WEEKDAYS for p in ("am", "pm")]
        if pattern == "weekdays":
            return [f"{d}-{p}" for d in WEEKDAYS[:5] for p in ("am", "pm")]
        if pattern == "retired":
            days = sorted(rng.sample(range(7), rng.randint(4, 6)))
            return [f"{WEEKDAYS[d]}-{p}" for d in days for p in ("am", "pm")]
        if pattern == "student":
            days = sorted(rng.sample(range(7), rng.randint(3, 5)))
            return [f"{WEEKDAYS[d]}-{p}" for d in days for p in ("pm", "ev")]
        # Working people: evenings on a few weekdays and the weekend.
        days = sorted(rng.sample(range(5), rng.randint(2, 4)))
        slots = [f"{WEEKDAYS[d]}-ev" for d in days]
        return slots + [f"{d}-{p}" for d in ("sat", "sun") for p in ("am", "pm")]

    def skills(self, table: dict[str, float]) -> list[str]:
        return [skill for skill, share in table.items() if self.rng.random() < share]

    def joined(self, low_days: float, high_days: float) -> datetime:
        return self.now - _minutes(self.rng, low_days * 1440, high_days * 1440)

    def add(self, **values) -> WorkerPlan:
        worker = WorkerPlan(**values)
        self.workers.append(worker)
        return worker

    # The forces.

    def build(self) -> list[WorkerPlan]:
        self.staff()
        self.cadres()
        self.property_staff()
        self.volunteers()
        self.leaders()
        return self.workers

    def staff(self):
        for k in range(1, STAFF + 1):
            skills = ["dialect", "digital_help"] + self.skills({"driving": 0.3})
            if k == STAFF:
                skills.append("counselling")  # one holds a counsellor's certificate
            self.add(
                username=f"staff{k}",
                name="" if k == 1 else self.name(28, 55),
                force="staff",
                phone=self.phone(),
                role=None if k == 1 else "staff",
                organisation=self.plan.community["name"] + "居委会",
                skills=skills,
                availability=self.availability("full"),
                weekly_hour_cap=60,
                joined=self.joined(45, 50),
            )
        for number in range(1, GRID_WORKERS + 1):
            self.add(
                username=f"grid{number}",
                name="" if number <= 2 else self.name(26, 50),
                force="grid_worker",
                phone=self.phone(),
                role=None if number <= 2 else "grid_worker",
                organisation=self.plan.community["name"] + "居委会",
                grid=number,
                skills=["dialect", "digital_help"] + self.skills({"driving": 0.2}),
                availability=self.availability("full"),
                weekly_hour_cap=60,
                joined=self.joined(45, 50),
            )

    def cadres(self):
        units = [u for u, n in names.CADRE_UNITS.items() for _ in range(n)]
        count = self.size["cadre"]
        # At a smaller scale, every unit still sends someone before any sends a second.
        spread = sorted(range(len(units)), key=lambda i: (units[:i].count(units[i]), i))
        chosen = sorted(spread[:count])
        for k, unit_index in enumerate(chosen, start=1):
            self.add(
                username=f"cadre{k}",
                name="" if k == 1 else self.name(26, 56),
                force="cadre",
                phone=self.phone(),
                role=None if k == 1 else "cadre",
                organisation=units[unit_index],
                grid=(k - 1) % GRID_WORKERS + 1,  # each cadre backs one grid (包保网格)
                skills=self.skills({"driving": 0.3, "digital_help": 0.4, "dialect": 0.3}),
                availability=self.availability("full" if self.rng.random() < 0.7 else "weekdays"),
                weekly_hour_cap=48,
                joined=self.joined(30, 42),
            )

    def property_staff(self):
        companies = [c for c, n in names.PROPERTY_COMPANIES.items() for _ in range(n)]
        count = self.size["property"]
        first, second = list(names.PROPERTY_COMPANIES)
        split = max(1, round(count * names.PROPERTY_COMPANIES[second] / len(companies)))
        for k in range(1, count + 1):
            self.add(
                username=f"property{k}",
                name="" if k == 1 else self.name(30, 58),
                force="property",
                phone=self.phone(),
                role=None if k == 1 else "property",
                organisation=first if k <= count - split else second,
                grid=(k - 1) % GRID_WORKERS + 1,
                skills=["disinfection"] + self.skills({"heavy_lifting": 0.6, "driving": 0.2}),
                availability=self.availability("full"),
                weekly_hour_cap=48,
                joined=self.joined(40, 50),
            )

    def volunteers(self):
        rng, plan = self.rng, self.plan
        home = leader_building(plan)
        grid2 = next((i for i, b in enumerate(plan.buildings) if b.grid == 2), home)
        # Four demo logins first: the volunteer, the driver, the counsellor and the doctor.
        self.add(
            username="volunteer1",
            name="",
            force="volunteer",
            phone=self.phone(),
            role=None,
            organisation=names.RESIDENT_VOLUNTEER_TEAM,
            home_building=home,
            skills=["heavy_lifting", "digital_help", "dialect"],
            availability=self.availability("worker"),
            weekly_hour_cap=20,
            **self.screened(self.joined(20, 30)),
        )
        self.add(
            username="driver1",
            name="",
            force="volunteer",
            phone=self.phone(),
            role=None,
            organisation=list(names.VOLUNTEER_ORGANISATIONS)[0],
            home_building=grid2,
            skills=["driving", "heavy_lifting"],
            availability=self.availability("full"),
            weekly_hour_cap=40,
            **self.screened(self.joined(20, 30)),
        )
        self.add(
            username="counsellor1",
            name="",
            force="volunteer",
            phone=self.phone(),
            role=None,
            organisation="武汉心理咨询师志愿团",
            skills=["counselling"],
            availability=self.availability("weekdays"),
            weekly_hour_cap=20,
            **self.screened(self.joined(20, 30)),
        )
        self.add(
            username="doctor1",
            name="",
            force="volunteer",
            phone=self.phone(),
            role=None,
            organisation=names.CLINIC,
            skills=["medical"],
            availability=self.availability("weekdays"),
            weekly_hour_cap=20,
            **self.screened(self.joined(20, 30)),
        )

        count = self.size["volunteer"] - 4
        pending = PENDING["full" if count >= 100 else "small"]
        # Screening checks identity against the registry (S11), so everyone approved is a
        # resident, some also in an organisation. A few who do not live here signed up too:
        # they wait, and one was turned away.
        outsiders = 2 if count >= 100 else 1
        residents = self.volunteer_residents(count - outsiders - 1)
        # Positions from the end: the newest `pending` wait, then two rejected, one paused.
        statuses = ["approved"] * (count - pending - 2) + ["rejected"] * 2 + ["pending"] * pending
        statuses[count - pending - 3] = "suspended"  # a family member is in quarantine
        newest = list(range(count - pending, count))
        outside_at = set(rng.sample(newest, outsiders)) | {count - pending - 1}
        people = iter(residents)
        for k, status in enumerate(statuses, start=1):
            person_index = None if k - 1 in outside_at else next(people)
            organisation = ""
            if person_index is not None:
                person = plan.people[person_index]
                age = person.age(plan.today)
                name, phone = person.name, person.phone or self.phone()
                building = plan.households[person.household].building
                room = plan.households[person.household].room
                if age < 24 and rng.random() < 0.5:
                    organisation = "湖北大学青年志愿者协会"
                elif rng.random() < 0.6:
                    organisation = names.RESIDENT_VOLUNTEER_TEAM
                pattern = "retired" if age >= 55 else "student" if age < 23 else "worker"
            else:
                age = rng.randint(19, 45)
                name, phone, building, room = self.name(age, age), self.phone(), None, ""
                organisation = weighted(rng, names.VOLUNTEER_ORGANISATIONS)
                pattern = "student" if "大学" in organisation else "worker"
            skills = self.skills(
                {
                    "driving": 0.12 if age < 60 else 0.03,
                    "heavy_lifting": 0.45 if age < 45 else 0.1,
                    "dialect": 0.2 if age < 40 else 0.7,
                    "digital_help": 0.5 if age < 40 else 0.1,
                    "disinfection": 0.15,
                    "medical": 0.04,
                    "counselling": 0.6 if "心理" in organisation else 0.02,
                    "sign_language": 0.015,
                }
            )
            if "driving" in skills and person_index is not None and rng.random() < 0.4:
                organisation = "武昌爱心车队"
            if status == "pending":
                joined = self.joined(0.05, 2)
                screening = self.pending(joined, k, registered=person_index is not None)
            elif status == "rejected":
                joined = self.joined(3, 12)
                screening = self.rejected(joined, registered=person_index is not None)
            else:
                joined = self.joined(4, 40)
                screening = {**self.screened(joined), "status": status}
            self.add(
                username=f"vol{k:03d}",
                name=name,
                force="volunteer",
                phone=phone,
                role="volunteer",
                organisation=organisation,
                home_building=building,
                home_room=room,
                resident=person_index,
                skills=skills,
                availability=self.availability(pattern),
                weekly_hour_cap=rng.choice([10, 12, 15, 20, 20, 20]),
                **screening,
            )

    def volunteer_residents(self, count: int) -> list[int]:
        """Able-bodied adults of the community, spread over its buildings."""
        plan, today = self.plan, self.plan.today
        unable = {"dialysis", "disabled", "pregnant", "stranded"}
        candidates = [
            i
            for i, p in enumerate(plan.people)
            if 18 <= p.age(today) <= 64 and not unable & set(p.tags)
        ]
        weights = [1.6 if 25 <= plan.people[i].age(today) <= 55 else 1.0 for i in candidates]
        chosen: list[int] = []
        seen: set[int] = set()
        while len(chosen) < min(count, len(candidates)):
            index = self.rng.choices(candidates, weights=weights)[0]
            if index not in seen:
                seen.add(index)
                chosen.append(index)
        return chosen

    def screened(self, joined: datetime) -> dict:
        """Identity checked against the registry, a recent negative test, training done."""
        rng = self.rng
        trained = joined + _minutes(rng, 10, 600)
        checked = joined + _minutes(rng, 60, 2 * 1440)
        decided = max(trained, checked) + _minutes(rng, 10, 240)
        return {
            "status": "approved",
            "joined": joined,
            "identity_checked_at": checked,
            "test_date": (self.now - timedelta(days=rng.randint(0, 6))).date(),
            "training_acknowledged_at": trained,
            "decided_by": rng.choice(["staff1", "staff1", "staff2", "grid1", "grid2"]),
            "decided_at": min(decided, self.now - timedelta(minutes=5)),
        }

    def pending(self, joined: datetime, k: int, *, registered: bool) -> dict:
        """Waiting at different steps: nothing yet, training done, or all but the test."""
        step = k % 3
        values = {"status": "pending", "joined": joined}
        if step >= 1:
            values["training_acknowledged_at"] = joined + timedelta(minutes=15)
        if step == 2 and registered:
            values["identity_checked_at"] = joined + timedelta(minutes=50)
        return values

    def rejected(self, joined: datetime, *, registered: bool) -> dict:
        checked = joined + _minutes(self.rng, 60, 600)
        reason = names.VOLUNTEER_REJECTIONS[0 if registered else 1]
        return {
            "status": "rejected",
            "joined": joined,
            "identity_checked_at": checked if registered else None,
            "training_acknowledged_at": joined + timedelta(minutes=20),
            "decided_by": "staff1",
            "decided_at": checked + timedelta(minutes=30),
            "rejection_reason": reason,
        }

    def leaders(self):
        """A resident leads most buildings (楼栋长); leader1 leads the first of grid 1."""
        plan, rng, today = self.plan, self.rng, self.plan.today
        taken = {w.resident for w in self.workers if w.resident is not None}
        by_building: dict[int, list[int]] = {}
        for index, person in enumerate(plan.people):
            age = person.age(today)
            if 35 <= age <= 72 and index not in taken and "dialysis" not in person.tags:
                by_building.setdefault(plan.households[person.household].building, []).append(index)
        first = leader_building(plan)
        number = 1
        for b, building in enumerate(plan.buildings):
            if b == first:
                self.add(
                    username="leader1",
                    name="",
                    force="building_leader",
                    phone=self.phone(),
                    role=None,
                    home_building=b,
                    grid=building.grid,
                    skills=["dialect"],
                    availability=self.availability("retired"),
                    weekly_hour_cap=15,
                    joined=self.joined(35, 45),
                )
                continue
            candidates = by_building.get(b)
            if not candidates or rng.random() >= LEADER_SHARE:
                continue
            householders = [i for i in candidates if plan.people[i].relation == "householder"]
            person_index = rng.choice(householders or candidates)
            person = plan.people[person_index]
            number += 1
            self.add(
                username=f"leader{number}",
                name=person.name,
                force="building_leader",
                phone=person.phone or self.phone(),
                role="building_leader",
                home_building=b,
                grid=building.grid,
                resident=person_index,
                skills=self.skills({"dialect": 0.7, "digital_help": 0.3}),
                availability=self.availability("retired" if person.age(today) >= 55 else "worker"),
                weekly_hour_cap=15,
                joined=self.joined(35, 45),
            )


# The task pool ------------------------------------------------------------------------------


class _Pool:
    def __init__(self, rng, plan: Plan, now: datetime, workers: list[WorkerPlan], roster):
        self.rng = rng
        self.plan = plan
        self.now = now
        self.workers = workers
        self.index = {w.username: i for i, w in enumerate(workers)}
        self.size = roster.size
        self.busy: dict[tuple[str, str], list[tuple[datetime, datetime | None]]] = {}
        self.grid_centre = {}
        for number in range(1, GRID_WORKERS + 1):
            members = [b for b in plan.buildings if b.grid == number] or plan.buildings
            self.grid_centre[number] = (
                sum(b.x for b in members) / len(members),
                sum(b.y for b in members) / len(members),
            )
        self.office = (plan.width / 2, MARGIN / 2)
        self.leader_of = {
            w.home_building: w.username
            for w in workers
            if w.force == "building_leader" and w.home_building is not None
        }
        self._pools()

    # Who and where.

    def _pools(self):
        plan, today = self.plan, self.plan.today
        size: dict[int, int] = {}
        for person in plan.people:
            size[person.household] = size.get(person.household, 0) + 1

        def pick(test):
            return [i for i, p in enumerate(plan.people) if test(p, p.age(today), set(p.tags))]

        def alone_old(p, age, tags):
            return age >= 60 and size[p.household] == 1

        def frail(p, age, tags):
            return (
                alone_old(p, age, tags)
                or age >= 80
                or bool(tags & {"disabled", "dialysis", "without_family"})
            )

        self.pools = {
            "delivery": pick(frail),
            "medicine": pick(
                lambda p, age, t: (
                    bool(t & {"dialysis", "disabled"}) or (age >= 60 and "chronic" in t)
                )
            ),
            "check_visit": pick(
                lambda p, age, t: (
                    alone_old(p, age, t) or age >= 85 or bool(t & {"without_family", "disabled"})
                )
            ),
            "escort": pick(
                lambda p, age, t: (
                    bool(t & {"dialysis", "pregnant"}) or ("disabled" in t and age >= 60)
                )
            ),
            "counselling": pick(
                lambda p, age, t: (
                    bool(t & {"bereaved", "without_family"}) or (alone_old(p, age, t) and age >= 75)
                )
            ),
            "other": pick(frail),
        }
        self.adults = pick(lambda p, age, t: age >= 18)
        self.dialysis = set(pick(lambda p, age, t: "dialysis" in t))
        self.buildings = list(range(len(plan.buildings)))
        kinds = {
            p: [i for i, pl in enumerate(plan.places) if pl.kind == p]
            for p in ("bin_station", "pickup_point", "gate", "square", "shop")
        }
        self.place_pools = {
            "disinfection": kinds["bin_station"]
            + kinds["pickup_point"]
            + kinds["gate"]
            + kinds["square"],
            "stray_animal": kinds["square"] + kinds["bin_station"] + kinds["gate"],
            "pest": kinds["bin_station"] + kinds["shop"],
        }

    def where(self, task: TaskPlan) -> tuple[float, float, int]:
        plan = self.plan
        if task.place is not None:
            place = plan.places[task.place]
            return place.x, place.y, place.grid
        if task.resident is not None:
            b = plan.households[plan.people[task.resident].household].building
        elif task.household is not None:
            b = plan.households[task.household].building
        else:
            b = task.building
        building = plan.buildings[b]
        return building.x, building.y, building.grid

    def building_of(self, task: TaskPlan) -> int | None:
        plan = self.plan
        if task.resident is not None:
            return plan.households[plan.people[task.resident].household].building
        if task.household is not None:
            return plan.households[task.household].building
        return task.building

    def worker_xy(self, worker: WorkerPlan) -> tuple[float, float]:
        if worker.home_building is not None:
            building = self.plan.buildings[worker.home_building]
            return building.x, building.y
        if worker.grid is not None:
            return self.grid_centre[worker.grid]
        return self.office

    # Building the pool.

    def build(self) -> list[TaskPlan]:
        rng = self.rng
        total = self.size["tasks"]
        # Every kind in every state at least once, the rest by their shares.
        pairs = [(kind, state) for kind in KINDS for state in STATES]
        while len(pairs) < total:
            pairs.append((weighted(rng, KIND_SHARES), weighted(rng, STATE_SHARES)))
        tasks = [TaskPlan(kind=k, status=s, priority=self.priority(k)) for k, s in pairs]
        for task in tasks:
            self.skeleton(task)
        # Targets in order of creation, so nobody gets two live visits for one need.
        for task in sorted(tasks, key=lambda t: t.created):
            self.target(task)
            self.words(task)
        self.assign(tasks)
        for task in tasks:
            self.history(task)
        merged = self.manual_merges(tasks)
        tasks.extend(merged)
        # In order of creation: the task numbers then read as the pool filled up.
        order = sorted(range(len(tasks)), key=lambda i: (tasks[i].created, i))
        new_index = {old: new for new, old in enumerate(order)}
        for task in tasks:
            for event in task.events:
                if event.ref is not None:
                    event.ref = new_index[event.ref]
            task.steps = []
        return [tasks[i] for i in order]

    def priority(self, kind: str) -> int:
        table = {
            "escort": {1: 5, 2: 4, 3: 1},
            "medicine": {1: 2, 2: 4, 3: 4},
            "disinfection": {2: 1, 3: 6, 4: 3},
            "stray_animal": {3: 5, 4: 2},
            "pest": {3: 4, 4: 3},
        }.get(kind, {1: 1, 2: 3, 3: 6, 4: 1})
        return weighted(self.rng, table)

    def skeleton(self, task: TaskPlan):
        """The path of states the task took, and when; all before `now`."""
        rng = self.rng
        status = task.status
        claimed = rng.random() < 0.5
        accept = ["claim"] if claimed else ["assign", "accept"]
        steps = {
            "open": [] if rng.random() < 0.9 else ["claim", "fail", "reopen"],
            "assigned": ["assign"],
            "accepted": accept,
            "in_progress": [*accept, "start"],
            "done": [*accept, "start", "complete"] if rng.random() < 0.9 else [*accept, "complete"],
            "failed": [*accept, "start", "fail"] if rng.random() < 0.5 else [*accept, "fail"],
            "cancelled": [
                *weighted(rng, {(): 5, ("assign",): 3, ("assign", "accept"): 2}),
                "cancel",
            ],
        }[status]
        work = KIND_MINUTES[task.kind]
        gaps = []
        for action in steps:
            if action in ("complete", "fail"):
                gaps.append(_minutes(rng, work * 0.6, work * 1.8))
            elif action == "start":
                gaps.append(_minutes(rng, 5, 180))
            elif action == "cancel":
                gaps.append(_minutes(rng, 10, 300))
            else:
                gaps.append(_minutes(rng, 5, 150))
        span = sum(gaps, timedelta())
        if status in LIVE:
            # Most live tasks came in today; a tail of older ones are the overdue ones.
            slack = (
                _minutes(rng, 2, 10 * 60)
                if rng.random() < 0.75
                else _minutes(rng, 10 * 60, 50 * 60)
            )
        else:
            slack = _minutes(rng, 20, 13 * 1440)
        created = self.now - span - slack
        at, task.steps = created, []
        for action, gap in zip(steps, gaps, strict=True):
            at += gap
            task.steps.append((action, at))
        task.created = created
        hours = DUE_HOURS[task.priority] * rng.uniform(0.7, 1.3)
        task.due = created + timedelta(minutes=round(hours * 60))

    def free(self, task: TaskPlan, key: tuple[str, str]) -> bool:
        end = None if task.status in LIVE else task.steps[-1][1]
        for start, stop in self.busy.get(key, []):
            if (stop is None or task.created < stop) and (end is None or start < end):
                return False
        return True

    def target(self, task: TaskPlan):
        rng, kind = self.rng, task.kind

        def claim(name: str, value: int) -> bool:
            key = (kind, f"{name}:{value}")
            if not self.free(task, key):
                return False
            setattr(task, name, value)
            end = None if task.status in LIVE else task.steps[-1][1]
            self.busy.setdefault(key, []).append((task.created, end))
            return True

        if kind in self.place_pools:
            # Disinfection and reports: a building's stairwells or a public place.
            for _attempt in range(40):
                if rng.random() < 0.45 and self.place_pools[kind]:
                    if claim("place", rng.choice(self.place_pools[kind])):
                        return
                elif claim("building", rng.choice(self.buildings)):
                    return
            for b in self.buildings:  # pragma: no cover - a crowded small community
                if claim("building", b):
                    return
            raise AssertionError("no free target")  # pragma: no cover
        if kind == "delivery" and rng.random() < 0.1:
            # A household in home quarantine: the delivery is for the whole flat.
            for _attempt in range(20):
                if claim("household", rng.randrange(len(self.plan.households))):
                    return
        pool = self.pools[kind] or self.adults
        for _attempt in range(40):
            if claim("resident", rng.choice(pool)):
                return
        for person in self.adults:
            if claim("resident", person):
                return
        raise AssertionError("no free target")  # pragma: no cover

    def words(self, task: TaskPlan):
        rng, kind = self.rng, task.kind
        if kind == "escort":
            tags = set(self.plan.people[task.resident].tags) if task.resident is not None else set()
            group = (
                "dialysis" if "dialysis" in tags else "pregnant" if "pregnant" in tags else "other"
            )
            title, notes = names.ESCORT_TEXTS[group]
        elif task.household is not None:
            title, notes = names.HOUSEHOLD_DELIVERY
        else:
            at = "place" if task.place is not None else "building"
            title, notes = rng.choice(names.TASK_TEXTS_AT.get((kind, at)) or names.TASK_TEXTS[kind])
        task.title = title
        x, y, grid = self.where(task)
        building = self.building_of(task)
        if task.place is not None:
            where = self.plan.places[task.place].name
        else:
            where = f"{self.plan.buildings[building].number}栋"
        task.description = f"{where}：{rng.choice(notes)}"
        # Where the need came from, and who asked.
        leader = self.leader_of.get(building)
        sources = {
            "delivery": {"resident": 5, "worker": 3, "module": 1},
            "medicine": {"resident": 5, "worker": 3},
            "check_visit": {"system": 4, "worker": 4, "resident": 1},
            "escort": {"resident": 3, "module": 2, "worker": 1},
            "disinfection": {"plan": 7, "worker": 2, "resident": 1},
            "counselling": {"module": 3, "worker": 3, "resident": 2},
            "stray_animal": {"resident": 3, "worker": 2},
            "pest": {"resident": 3, "worker": 2},
            "other": {"resident": 4, "worker": 2},
        }[kind]
        task.source = weighted(rng, sources)
        task.created_by = self.requester(task.source, leader, grid)
        task.requests = [RequestPlan(task.created, task.source, task.created_by, task.description)]

    def requester(self, source: str, leader: str | None, grid: int) -> str | None:
        if source != "worker":
            return None
        if leader is not None and self.rng.random() < 0.6:
            return leader
        return f"grid{grid}"

    def assign(self, tasks: list[TaskPlan]):
        """The nearest able worker of a fitting force; volunteer1 and driver1 get a share."""
        rng = self.rng
        able = [i for i, w in enumerate(self.workers) if w.status == "approved"]
        owned = [t for t in tasks if any(a in ("assign", "claim") for a, _at in t.steps)]
        volunteer1, driver1 = self.index["volunteer1"], self.index["driver1"]
        near_home = ("delivery", "medicine", "check_visit", "other")
        # The demo's volunteer and driver have work in every state a phone page shows.
        for worker, kinds, limit in ((volunteer1, near_home, 12), (driver1, ("escort",), 8)):
            mine = [t for t in owned if t.kind in kinds and t.assignee is None]
            nearby = [t for t in mine if self.where(t)[2] == 1] if worker == volunteer1 else mine
            for state in ("assigned", "accepted", "in_progress", "done", "done", "failed"):
                task = next(
                    (t for t in nearby + mine if t.status == state and t.assignee is None), None
                )
                if task is not None:
                    task.assignee = worker
            for task in nearby:
                taken = sum(t.assignee == worker for t in owned)
                if task.assignee is None and taken < limit and rng.random() < 0.3:
                    task.assignee = worker
        for task in owned:
            if task.assignee is not None:
                continue
            x, y, grid = self.where(task)
            skill = KIND_SKILL.get(task.kind)
            fitting = [i for i in able if skill is None or skill in self.workers[i].skills]
            forces = {
                f: wgt
                for f, wgt in KIND_FORCES[task.kind].items()
                if any(self.workers[i].force == f for i in fitting)
            }
            if forces:
                force = weighted(rng, forces)
                fitting = [i for i in fitting if self.workers[i].force == force]
            fitting.sort(key=lambda i: math.dist((x, y), self.worker_xy(self.workers[i])))
            task.assignee = rng.choice(fitting[:5])

    def history(self, task: TaskPlan):
        """Requests, events and the task's fields as the services would have left them."""
        rng = self.rng
        x, y, grid = self.where(task)
        planner = f"grid{grid}" if rng.random() < 0.7 else rng.choice(["staff1", "staff2"])
        owner = task.assignee
        owner_name = self.workers[owner].username if owner is not None else None
        events = [EventPlan(task.created, "create", "", "open", actor=task.created_by)]
        # Some needs are asked for twice or three times while the task is open (problem P2).
        first_step = task.steps[0][1] if task.steps else self.now
        if rng.random() < 0.16:
            for k in range(rng.choice([1, 1, 1, 2])):
                at = task.created + (first_step - task.created) * (0.2 + 0.3 * k)
                leader = self.leader_of.get(self.building_of(task))
                source = "worker" if leader and rng.random() < 0.5 else "resident"
                by = self.requester(source, leader, grid)
                note = rng.choice(names.MORE_REQUESTS)
                task.requests.append(RequestPlan(at, source, by, note))
                events.append(EventPlan(at, "merge", "open", "open", actor=by, note=note))
                if task.priority > 1 and rng.random() < 0.3:
                    task.priority -= 1  # the merged task keeps the most urgent priority
        status = "open"
        for action, at in task.steps:
            to = {
                "assign": "assigned",
                "claim": "accepted",
                "accept": "accepted",
                "start": "in_progress",
                "complete": "done",
                "fail": "failed",
                "cancel": "cancelled",
                "reopen": "open",
            }[action]
            actor, worker, note = owner_name, owner, ""
            if action == "assign":
                actor = planner
            elif action == "fail":
                note = task.failure_reason = rng.choice(names.TASK_FAILURES)
                task.done = at
            elif action == "cancel":
                actor, worker = planner, None
                note = rng.choice(names.TASK_CANCELLATIONS)
            elif action == "reopen":
                actor, worker = planner, None
                task.failure_reason, task.done = "", None
                note = "重新派单"
            elif action == "start":
                task.started = at
            elif action == "complete":
                note = task.result_note = rng.choice(names.TASK_RESULTS)
                task.done = at
                if task.started is None:
                    task.started = at
                    task.minutes = KIND_MINUTES[task.kind]
                else:
                    spent = int((at - task.started).total_seconds() // 60)
                    task.minutes = max(5, min(spent, 8 * 60))
            events.append(EventPlan(at, action, status, to, actor=actor, worker=worker, note=note))
            status = to
        if task.status == "open":
            task.assignee = None  # a reopened task has no owner again
        task.updated = events[-1].at
        # Overdue tasks are flagged to the grid's staff half an hour after their due time.
        finished = task.done or (events[-1].at if task.status == "cancelled" else None)
        escalate = task.due + timedelta(minutes=30)
        if escalate < self.now and (finished is None or escalate < finished):
            task.escalated = escalate
            state = self.state_at(events, escalate)
            events.append(EventPlan(escalate, "escalate", state, state))
        # The resident (or a worker for them) confirms and rates most finished tasks.
        if task.status == "done" and rng.random() < 0.65:
            at = task.done + _minutes(rng, 10, 20 * 60)
            if at < self.now:
                task.rating = weighted(rng, RATINGS)
                task.rating_comment = rng.choice(names.RATING_COMMENTS)
                task.confirmed_by = f"grid{grid}" if rng.random() < 0.6 else planner
                task.confirmed = at
                events.append(
                    EventPlan(
                        at,
                        "confirm",
                        "done",
                        "done",
                        actor=task.confirmed_by,
                        note=f"{task.rating}/5 {task.rating_comment}".strip(),
                    )
                )
        task.events = sorted(events, key=lambda e: e.at)

    @staticmethod
    def state_at(events: list[EventPlan], at: datetime) -> str:
        state = "open"
        for event in sorted(events, key=lambda e: e.at):
            if event.at > at:
                break
            state = event.to_status
        return state

    def manual_merges(self, tasks: list[TaskPlan]) -> list[TaskPlan]:
        """A few needs were entered twice under another target (the flat instead of the person)
        and a dispatcher merged them by hand: the copy is cancelled, its request moved."""
        rng = self.rng
        wanted = 4 if self.size["tasks"] >= 300 else 2
        candidates = [
            i
            for i, t in enumerate(tasks)
            if t.resident is not None and t.kind in ("delivery", "medicine") and t.steps
        ]
        merged = []
        for i in rng.sample(candidates, min(wanted, len(candidates))):
            target = tasks[i]
            window = target.steps[0][1] - target.created
            created = target.created + window * 0.3
            cancelled = target.created + window * 0.6
            household = self.plan.people[target.resident].household
            key = (target.kind, f"household:{household}")
            if any(
                created < stop and start < cancelled
                for start, stop in self.busy.get(key, [])
                if stop is not None
            ) or any(stop is None for _s, stop in self.busy.get(key, [])):
                continue
            self.busy.setdefault(key, []).append((created, cancelled))
            copy = TaskPlan(
                kind=target.kind,
                status="cancelled",
                priority=target.priority,
                title=target.title,
                description=target.description,
                household=household,
                source="worker",
                created_by=f"grid{self.where(target)[2]}",
                created=created,
                updated=cancelled,
                due=target.due,
            )
            note = target.description
            # The copy's only request now belongs to the task it was merged into.
            target.requests.append(RequestPlan(created, "worker", copy.created_by, note))
            copy.events = [
                EventPlan(created, "create", "", "open", actor=copy.created_by),
                EventPlan(
                    cancelled,
                    "cancel",
                    "open",
                    "cancelled",
                    actor="staff1",
                    note="已合并到 #{}",
                    ref=i,
                ),
            ]
            state = self.state_at(target.events, cancelled)
            target.events.append(
                EventPlan(
                    cancelled,
                    "merge",
                    state,
                    state,
                    actor="staff1",
                    note="#{}",
                    ref=len(tasks) + len(merged),
                )
            )
            target.events.sort(key=lambda e: e.at)
            merged.append(copy)
        return merged


# Worker care: shifts and protective equipment ---------------------------------------------


def _shifts(rng: random.Random, workers: list[WorkerPlan], now: datetime) -> list[HoursPlan]:
    """The committee's staff and the cadres log their duty hours by hand (tasks log their own):
    in a lockdown many have had no rest day for a week, which the care page should show."""
    today = now.date()
    shifts = []
    for index, worker in enumerate(workers):
        if worker.force not in ("staff", "grid_worker", "cadre"):
            continue
        tireless = worker.force != "cadre" and rng.random() < 0.5
        for back in range(13, -1, -1):
            day = today - timedelta(days=back)
            if not tireless and rng.random() < (0.2 if worker.force == "cadre" else 0.12):
                continue  # a rest day
            hours = rng.choice([8, 9, 10, 10, 11, 12]) if worker.force != "cadre" else 8
            if back == 0:
                hours = min(hours, max(1, now.hour - 8))
            shifts.append(HoursPlan(index, day, hours * 60, "值班"))
    return shifts


def _ppe(rng: random.Random, workers: list[WorkerPlan], now: datetime):
    """Stock received, then handed out to the workers who go door to door; the stock left is
    the sum of the ledger, and gowns are running low."""
    takers = [
        i
        for i, w in enumerate(workers)
        if w.status == "approved" and w.force in ("property", "volunteer", "grid_worker")
    ]
    handouts = max(15, round(len(takers) * 0.25))
    items, movements = [], []
    issued = {kind: 0 for kind in PPE}
    for _k in range(handouts):
        kind = weighted(rng, {"mask": 5, "gloves": 3, "gown": 2, "disinfectant": 2, "goggles": 1})
        low, high = PPE[kind][3]
        quantity = rng.randint(low, high)
        issued[kind] += quantity
        movements.append(
            PpeMovementPlan(
                kind,
                -quantity,
                rng.choice(takers),
                rng.choice(["staff1", "staff2", "grid1", "grid2"]),
                "",
                now - _minutes(rng, 30, 18 * 1440),
            )
        )
    for kind, (unit, stock, threshold, _range) in PPE.items():
        items.append(PpeItemPlan(kind, unit, stock, threshold))
        movements.append(
            PpeMovementPlan(
                kind,
                stock + issued[kind],
                None,
                "staff1",
                rng.choice(names.PPE_RECEIPTS),
                now - _minutes(rng, 19 * 1440, 25 * 1440),
            )
        )
    movements.sort(key=lambda m: m.at)
    return items, movements

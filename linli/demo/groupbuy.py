"""The demo community's food and supplies (issue 4): pure computation, no database.

`generate_shop(plan, work, seed=..., now=...)` draws, for a community drawn by
`linli.demo.engine` and its roster from `linli.demo.roster`, the suppliers with their delivery
staff (each with a recent negative test, proposal S4), the catalogue (money in fen, some at
the government-subsidised price, S8), two group-purchase rounds (团购) covering every building
with the orders of most households, a few staff decisions about door delivery and a few
households' preferred delivery times. It draws from its own random stream, so adding it left the
registry, the roster and the task pool of a seed unchanged; the same seed, plan and `now` give
the same shop, order for order and pickup code for pickup code.

What needs the database is left to `linli.demo.services`, which runs the real services on it:
the pickup-point plan (exact p-median on HiGHS), the slots given out when the earlier round
closed, who gets door delivery (the registry's rule) and the door-delivery routes (PyVRP).

Households are referred to by their index in the plan, packages by their index in
`ShopPlan.packages`. Choice values are plain strings matching linli.supplies.choices (a test
checks that they stay in step).
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from linli.demo import names
from linli.demo.engine import Plan, _People
from linli.demo.roster import WorkPlan

# The delivery staff must have tested negative within this many hours for their supplier to
# be scheduled (settings.LINLI_SUPPLIER_TEST_HOURS, 48 by default): the demo's tests are a
# few hours to a day old, so the demo stays schedulable for a day after it is loaded.
TESTED_HOURS_AGO = (3, 26)
# The pharmacy's only delivery man was last tested this many days ago: the supplier list shows
# why it cannot be scheduled (the S4 gate), naming him and the date.
STALE_TEST_DAYS = 4

# (name, kind, contact, staff count, packages), packages as
# (kind, name, contents, price in fen, subsidised price in fen or None).
SUPPLIERS = [
    (
        "中百仓储（粮道街店）",
        "supermarket",
        "刘经理",
        4,
        [
            (
                "vegetables",
                "时令蔬菜套餐",
                "白菜、土豆、萝卜、洋葱、西红柿、青椒，约 5 公斤",
                3980,
                None,
            ),
            ("meat", "平价猪肉套餐", "五花肉 500 克、瘦肉 1 千克、排骨 500 克（冷鲜）", 8800, 6800),
            ("eggs", "鲜鸡蛋 30 枚", "鲜鸡蛋 30 枚，约 1.6 千克", 2700, 2200),
            ("rice_oil", "米面油套餐", "大米 5 千克、挂面 1 千克、菜籽油 1.8 升", 6900, None),
            ("infant", "婴幼儿套餐", "婴儿配方奶粉 1 罐、纸尿裤 1 包、湿巾 2 包", 32800, None),
            (
                "elderly",
                "老年软食套餐",
                "燕麦片、藕粉、鸡蛋羹粉、软面包、纯牛奶 12 盒",
                8800,
                None,
            ),
            (
                "medicine",
                "家庭防疫药品包",
                "电子体温计、医用口罩 20 个、84 消毒液、酒精棉片、布洛芬",
                5800,
                None,
            ),
        ],
    ),
    (
        "江夏区山坡乡蔬菜专业合作社",
        "farm",
        "周社长",
        3,
        [
            ("vegetables", "农家蔬菜包", "菜薹、莴笋、包菜、土豆、胡萝卜，约 4 公斤", 2500, None),
            ("eggs", "土鸡蛋 30 枚", "散养土鸡蛋 30 枚", 3600, 2800),
            ("meat", "土猪肉 1 千克", "土猪前腿肉 1 千克（冷鲜）", 5600, 4400),
            ("rice_oil", "江夏新米 10 千克", "江夏新米 10 千克", 6500, None),
        ],
    ),
    (
        "老百姓大药房（胭脂路店）",
        "pharmacy",
        "何店长",
        1,
        [
            (
                "medicine",
                "慢病常用药代购包",
                "按处方代购降压、降糖等常用药（凭医保卡）",
                4500,
                None,
            ),
        ],
    ),
]
SUPERMARKET, FARM, PHARMACY = 0, 1, 2

# What a household of each kind orders, per package kind: the chance of a first package and of
# a second one (a household of four or more). Infant and elderly packages only where they fit.
ORDER_CHANCES = {
    "vegetables": (0.85, 0.5),
    "meat": (0.55, 0.0),
    "eggs": (0.6, 0.3),
    "rice_oil": (0.35, 0.0),
    "infant": (0.75, 0.0),  # households with a child under three
    "elderly": (0.45, 0.25),  # households with someone aged 75 or more
    "medicine": (0.2, 0.0),  # 6 % elsewhere; 20 % where someone is chronically ill
}
PER_HOUSEHOLD = {
    "vegetables": 2,
    "meat": 1,
    "eggs": 2,
    "rice_oil": 1,
    "infant": 1,
    "elderly": 2,
    "medicine": 1,
}
HOUSEHOLD_LIMIT = 5
# Dropped first when an order would be over the household limit.
DROP_ORDER = ["medicine", "rice_oil", "eggs", "meat", "elderly", "vegetables", "infant"]
SLOT_MINUTES = 15
SLOT_CAPACITY = 10
# Shares of households ordering in each round, and of orders placed and then cancelled.
ORDERING = {"open": 0.80, "closed": 0.78}
CANCELLED = 0.015
# At the points of the round under way: the share of households that come down in their slot,
# the rest later (the no-show check turns them into check-on visits).
SHOWS_UP = 0.93
PREFERENCE_SHARE = 0.08
PREFERENCE_NOTES = [
    "老人耳背，请多敲几下门",
    "放门口即可，放好后打电话告知",
    "家里有狗，请先打电话",
    "上午要睡一会儿，请中午前后送",
    "",
]
OVERRIDE_REASONS = {
    True: "脚踝骨折打了石膏，暂时无法下楼（家属来电，网格员核实）",
    False: "女儿已回家同住，由女儿下楼取货（本人来电说明）",
}


@dataclass
class StaffPlan:
    name: str
    phone: str
    tested_at: datetime
    result: str = "negative"


@dataclass
class SupplierPlan:
    name: str
    kind: str
    contact: str
    phone: str
    staff: list[StaffPlan]


@dataclass
class PackagePlan:
    supplier: int  # index into ShopPlan.suppliers
    kind: str
    name: str
    contents: str
    price_fen: int
    subsidised_price_fen: int | None

    @property
    def resident_price_fen(self) -> int:
        """What residents pay: the subsidised price where one applies (as Package says)."""
        if self.subsidised_price_fen is not None:
            return self.subsidised_price_fen
        return self.price_fen


@dataclass
class ItemPlan:
    package: int  # index into ShopPlan.packages
    initial: int  # the stock offered when the round opened
    per_household: int
    ordered: int = 0  # in live orders

    @property
    def stock(self) -> int:
        """The stock left: what was offered less what live orders hold."""
        return self.initial - self.ordered


@dataclass
class OrderPlan:
    household: int
    lines: dict[int, int]  # item index (in RoundPlan.items) -> quantity
    payment: str
    code: str
    created: datetime
    placed_by: str | None = None  # a username: the resident's own login, or who ordered for them
    cancelled: datetime | None = None
    # At the point: whether the household comes down in its slot, and how many minutes into
    # the slot it arrives.
    shows_up: bool = True
    arrives: int = 0

    @property
    def packages(self) -> int:
        return sum(self.lines.values())


@dataclass
class RoundPlan:
    key: str  # "closed" (the earlier round, now being collected) or "open"
    title: str
    supplier: int
    opens: datetime
    closes: datetime
    pickup_starts: datetime
    items: list[ItemPlan]
    orders: list[OrderPlan]
    closed: datetime | None = None
    slot_minutes: int = SLOT_MINUTES
    slot_capacity: int = SLOT_CAPACITY
    household_limit: int = HOUSEHOLD_LIMIT


@dataclass
class PreferencePlan:
    household: int
    earliest: time
    latest: time
    note: str


@dataclass
class OverridePlan:
    household: int
    include: bool
    reason: str


@dataclass
class ShopPlan:
    suppliers: list[SupplierPlan]
    packages: list[PackagePlan]
    rounds: list[RoundPlan]  # the earlier (closed) round first, then the open one
    k: int  # pickup points to plan
    overrides: list[OverridePlan] = field(default_factory=list)
    preferences: list[PreferencePlan] = field(default_factory=list)

    def round(self, key: str) -> RoundPlan:
        return next(r for r in self.rounds if r.key == key)


def pickup_point_count(buildings: int) -> int:
    """About one point per dozen buildings (16 for Xinmin Road's 200), at least three (or one
    per building in a tiny community)."""
    return min(buildings, max(3, min(20, round(buildings / 12.5))))


def generate_shop(
    plan: Plan, work: WorkPlan, *, seed: int, now: datetime, logins: dict[int, str] | None = None
) -> ShopPlan:
    """`logins`: {household index: username} of households with a resident's login
    (resident1's): they order in every round, on their own phone."""
    logins = logins or {}
    rng = random.Random(f"linli-demo-shop-{seed}")
    suppliers = _suppliers(rng, plan, now)
    packages = [
        PackagePlan(s, kind, name, contents, price, subsidised)
        for s, (_n, _k, _c, _staff, catalogue) in enumerate(SUPPLIERS)
        for kind, name, contents, price, subsidised in catalogue
    ]
    members = _members(plan)
    placers = _placers(plan, work)
    closed, open_ = _round_times(now)
    rounds = [
        _round(
            rng,
            plan,
            packages,
            members,
            placers,
            key="closed",
            title="第一批生活物资团购（江夏合作社）",
            supplier=FARM,
            times=closed,
            now=now,
            logins=logins,
        ),
        _round(
            rng,
            plan,
            packages,
            members,
            placers,
            key="open",
            title="第二批生活物资团购（中百仓储）",
            supplier=SUPERMARKET,
            times=open_,
            now=now,
            logins=logins,
            sold_out=("meat",),  # the subsidised pork went first
        ),
    ]
    preferences = _preferences(rng, plan, members, closed["pickup_starts"])
    overrides = _overrides(plan, members)
    return ShopPlan(
        suppliers=suppliers,
        packages=packages,
        rounds=rounds,
        k=pickup_point_count(len(plan.buildings)),
        overrides=overrides,
        preferences=preferences,
    )


# Suppliers ----------------------------------------------------------------------------------


def _suppliers(rng: random.Random, plan: Plan, now: datetime) -> list[SupplierPlan]:
    people = _People(rng, plan.today)
    used = {p.phone for p in plan.people if p.phone}

    def phone() -> str:
        while True:
            number = rng.choice(names.MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"
            if number not in used:
                used.add(number)
                return number

    def name() -> str:
        sex = "M" if rng.random() < 0.7 else "F"
        return people.surname() + people.given_name(sex, plan.today.year - rng.randint(22, 50))

    out = []
    for index, (supplier, kind, contact, count, _catalogue) in enumerate(SUPPLIERS):
        staff = []
        for _k in range(count):
            if index == PHARMACY:
                tested = now - timedelta(days=STALE_TEST_DAYS, hours=rng.randint(1, 8))
            else:
                tested = now - timedelta(minutes=rng.randint(*TESTED_HOURS_AGO) * 60)
            staff.append(StaffPlan(name(), phone(), tested.replace(second=0, microsecond=0)))
        out.append(SupplierPlan(supplier, kind, contact, phone(), staff))
    return out


# Households ---------------------------------------------------------------------------------


@dataclass
class _Household:
    size: int
    ages: list[int]
    tags: set[str]
    mobile: bool  # someone has a mobile phone (can order on a phone)
    low_income: bool


def _members(plan: Plan) -> list[_Household]:
    households = [_Household(0, [], set(), False, False) for _h in plan.households]
    for person in plan.people:
        h = households[person.household]
        h.size += 1
        h.ages.append(person.age(plan.today))
        h.tags.update(person.tags)
        h.mobile = h.mobile or person.phone.startswith("1")
        h.low_income = h.low_income or "low_income" in person.tags
    return households


def _placers(plan: Plan, work: WorkPlan) -> list[str]:
    """Who orders for a household without a mobile phone: its building leader, else the
    grid's worker (P4: a worker acts on a resident's behalf)."""
    leaders = {
        w.home_building: w.username
        for w in work.workers
        if w.force == "building_leader" and w.status == "approved"
    }
    return [leaders.get(b, f"grid{building.grid}") for b, building in enumerate(plan.buildings)]


# Rounds -------------------------------------------------------------------------------------


def _at(day: date, hour: int, minute: int, like: datetime) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=like.tzinfo)


def _round_times(now: datetime) -> tuple[dict, dict]:
    """The earlier round took orders for two days and closed last night; its pickup is under
    way now if it is daytime (it started on the quarter hour before last, so its first slot is
    over but nobody is late enough yet to count as not collected), else it starts at eight. The
    second round opened after the first closed and takes orders until tomorrow evening."""
    today = now.date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    if time(8, 0) <= now.time() <= time(18, 0):
        quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        pickup = quarter - timedelta(minutes=SLOT_MINUTES)
    else:
        pickup = _at(today if now.time() < time(8, 0) else tomorrow, 8, 0, now)
    closes = _at(yesterday, 20, 0, now)
    closed = {
        "opens": _at(today - timedelta(days=3), 8, 0, now),
        "closes": closes,
        "closed": closes + timedelta(minutes=4),
        "pickup_starts": pickup,
    }
    open_ = {
        "opens": _at(yesterday, 20, 30, now),
        "closes": _at(tomorrow, 20, 0, now),
        "closed": None,
        "pickup_starts": _at(today + timedelta(days=2), 9, 0, now),
    }
    return closed, open_


def _round(
    rng: random.Random,
    plan: Plan,
    packages: list[PackagePlan],
    members: list[_Household],
    placers: list[str],
    *,
    key: str,
    title: str,
    supplier: int,
    times: dict,
    now: datetime,
    logins: dict[int, str],
    sold_out: tuple[str, ...] = (),
) -> RoundPlan:
    offered = [j for j, p in enumerate(packages) if p.supplier == supplier]
    items = [ItemPlan(j, 0, PER_HOUSEHOLD[packages[j].kind]) for j in offered]
    by_kind = {packages[item.package].kind: i for i, item in enumerate(items)}
    # Orders come in from the opening until the close (or until now, for the open round).
    until = min(times["closes"], now - timedelta(minutes=5))
    span = max(60.0, (until - times["opens"]).total_seconds())
    chosen = [h for h in range(len(plan.households)) if rng.random() < ORDERING[key] or h in logins]
    # A few households ordered and then cancelled (and did not order again).
    ordering = set(chosen)
    extra = [
        h
        for h in range(len(plan.households))
        if h not in ordering and rng.random() < CANCELLED / (1 - ORDERING[key])
    ]
    cancelled = set(extra)
    orders = []
    for h in chosen + extra:
        household = members[h]
        lines = _lines(rng, household, by_kind)
        if household.low_income:
            payment = "subsidised"
        else:
            payment = "online" if rng.random() < 0.65 else "cash"
        created = times["opens"] + timedelta(seconds=round(rng.uniform(0, span)))
        order = OrderPlan(
            household=h,
            lines=lines,
            payment=payment,
            code="",
            created=created,
            placed_by=logins.get(h)
            or (None if household.mobile else placers[plan.households[h].building]),
            # resident1 has not come down yet: their code and QR code wait on their phone.
            shows_up=rng.random() < SHOWS_UP and h not in logins,
            arrives=rng.randint(0, SLOT_MINUTES - 1),
        )
        if h in cancelled:
            order.cancelled = created + timedelta(
                seconds=round(rng.uniform(60, max(120, (until - created).total_seconds())))
            )
            order.cancelled = min(order.cancelled, until)
        orders.append(order)
    # Codes are drawn in household order, so they do not depend on when the demo is loaded;
    # the orders are then listed (and numbered) in the order they came in.
    for order, code in zip(orders, rng.sample(range(10**6), len(orders)), strict=True):
        order.code = f"{code:06d}"
    orders.sort(key=lambda o: (o.created, o.household))
    for order in orders:
        if order.cancelled is None:
            for i, quantity in order.lines.items():
                items[i].ordered += quantity
    for item in items:
        kind = packages[item.package].kind
        # Some headroom is left of everything but what sold out; the infant package is scarce.
        if kind in sold_out:
            headroom = 0
        elif kind == "infant":
            headroom = rng.randint(1, 3)
        else:
            headroom = max(5, round(item.ordered * rng.uniform(0.05, 0.25)))
        item.initial = item.ordered + headroom
    return RoundPlan(
        key=key,
        title=title,
        supplier=supplier,
        opens=times["opens"],
        closes=times["closes"],
        pickup_starts=times["pickup_starts"],
        closed=times["closed"],
        items=items,
        orders=orders,
    )


def _lines(rng: random.Random, household: _Household, by_kind: dict[str, int]) -> dict[int, int]:
    """A household's packages: what it needs, within each package's and the round's limits."""
    wanted: dict[str, int] = {}
    for kind, (first, second) in ORDER_CHANCES.items():
        if kind not in by_kind:
            continue
        if kind == "infant" and not any(age < 3 for age in household.ages):
            continue
        if kind == "elderly" and not any(age >= 75 for age in household.ages):
            continue
        if kind == "medicine" and "chronic" not in household.tags:
            first = 0.06
        if rng.random() < first:
            wanted[kind] = 2 if household.size >= 4 and rng.random() < second else 1
    if not wanted:
        kind = "vegetables" if "vegetables" in by_kind else next(iter(by_kind))
        wanted[kind] = 1
    for kind in DROP_ORDER:
        over = sum(wanted.values()) - HOUSEHOLD_LIMIT
        if over <= 0:
            break
        if kind in wanted:
            wanted[kind] -= min(over, wanted[kind])
            if not wanted[kind]:
                del wanted[kind]
    return {by_kind[kind]: quantity for kind, quantity in sorted(wanted.items())}


# Door delivery --------------------------------------------------------------------------------


def _needs_door(household: _Household) -> bool:
    """Roughly the registry's rule (linli.delivery.eligibility), for choosing whom to give a
    preferred time; the rule itself runs on the database when the round closes."""
    alone_and_old = household.size == 1 and household.ages[0] >= 70
    return alone_and_old or bool({"disabled", "pregnant"} & household.tags)


def _preferences(rng, plan: Plan, members: list[_Household], pickup: datetime):
    """A few households who get door delivery asked for a time inside the delivery window."""
    start = pickup + timedelta(hours=1)
    needing = [h for h, household in enumerate(members) if _needs_door(household)]
    # At least one, so that even a small demo has a household with a time of its own.
    chosen = [h for h in needing if rng.random() < PREFERENCE_SHARE] or needing[:1]
    out = []
    for h in chosen:
        early = start + timedelta(minutes=15 * rng.randint(0, 3))
        late = early + timedelta(minutes=60 + 15 * rng.randint(0, 2))
        if late.date() != early.date():
            continue  # a window over midnight cannot be a time of day
        out.append(PreferencePlan(h, early.time(), late.time(), rng.choice(PREFERENCE_NOTES)))
    return out


def _overrides(plan: Plan, members: list[_Household]) -> list[OverridePlan]:
    """Staff decisions against the registry's rule, one each way, in grid 1: a man with a broken
    ankle added, and an old woman whose daughter moved back in taken off."""
    grid1 = [h for h, flat in enumerate(plan.households) if plan.buildings[flat.building].grid == 1]
    added = next(
        (
            h
            for h in grid1
            if members[h].size >= 2
            and not _needs_door(members[h])
            and "chronic" not in members[h].tags
            and max(members[h].ages) < 70
        ),
        None,
    )
    removed = next(
        (h for h in grid1 if members[h].size == 1 and members[h].ages[0] >= 75),
        None,
    )
    out = []
    if added is not None:
        out.append(OverridePlan(added, True, OVERRIDE_REASONS[True]))
    if removed is not None:
        out.append(OverridePlan(removed, False, OVERRIDE_REASONS[False]))
    return out


def route_seconds(door_orders: int) -> int:
    """The routing engine's time limit: a couple of seconds are plenty for a few hundred doors
    (the stall criterion stops it sooner on small rounds)."""
    return 2 if door_orders < 100 else 3

"""The demo community's last two weeks of health: pure computation, no database.

`generate_epidemic(plan, seed=..., now=..., avoid=...)` draws, for a community drawn by
`linli.demo.engine`:
- daily health reports for everyone (most people report, fewer at the start of the lockdown;
  today's reports only up to `now`), with the fevers of the sick on the days they fell ill;
- check-ins at the public places (a few trips a day per hundred people under lockdown: the
  market, the supermarket, the pharmacy, the pickup points, the clinic);
- a small outbreak told as health histories: a shopper at the market who fell ill
  (symptomatic, suspected, confirmed, hospitalised), their family in home quarantine and the
  people who shopped beside them in centralised quarantine, one of whom became a case; an old
  person who died (their household becomes "bereaved"); a recovered patient under post-discharge
  home observation; two people with a fever today; a quarantine that ends today; a released one;
- the laboratory results that moved them, and a few direct contacts from interviews.

It draws from its own random stream, so adding it left the registry and the roster of a seed
unchanged. People and places are indices into the plan. Status and kind values are plain
strings matching linli.health.choices and linli.tracing.choices (a test keeps them in step).
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from linli.demo.engine import Plan

DAYS = 14
VISIT_KINDS = {"shop": 6, "pickup_point": 3, "clinic": 1, "square": 1, "gate": 1}
TRIPS_PER_PERSON_DAY = 0.12
MARKET = "新民主路菜市场"
HOTEL = "武昌区集中隔离点（如家酒店）"
HOSPITAL = "武汉市第七医院"


@dataclass
class Step:
    at: datetime
    to: str
    reason: str
    source: str = "manual"
    by: str = "staff1"


@dataclass
class QuarantinePlan:
    kind: str
    reason: str
    starts_on: date
    days: int = 14
    location: str = ""
    released_on: date | None = None
    extension: tuple[int, str] | None = None  # (days, reason)


@dataclass
class History:
    person: int
    steps: list[Step] = field(default_factory=list)
    quarantine: QuarantinePlan | None = None


@dataclass
class Report:
    person: int
    day: date
    temperature: str
    symptoms: tuple[str, ...]
    at: datetime


@dataclass
class Visit:
    person: int
    place: int
    entered: datetime
    left: datetime | None


@dataclass
class Lab:
    person: int
    kind: str
    outcome: str
    day: date
    place: str


@dataclass
class EpidemicPlan:
    reports: list[Report]
    visits: list[Visit]
    histories: list[History]
    labs: list[Lab]
    direct: list[tuple[int, int, datetime, str]]  # (person, other, at, note)
    index_case: int


def _at(day: date, hour: float, tz) -> datetime:
    """The time `hour` hours into `day`, to the minute (check-ins and reports need no more)."""
    return datetime.combine(day, time(0), tzinfo=tz) + timedelta(minutes=round(hour * 60))


def generate_epidemic(plan: Plan, *, seed: int, now: datetime, avoid: set[int]) -> EpidemicPlan:
    """`now` is aware (its zone is the community's); `avoid` are people the story must not
    touch (the demo logins' households), so their pages stay calm."""
    rng = random.Random(f"epidemic-{seed}")
    tz = now.tzinfo
    today = now.date()
    days = [today - timedelta(days=k) for k in range(DAYS - 1, -1, -1)]
    members: dict[int, list[int]] = {}
    for index, person in enumerate(plan.people):
        members.setdefault(person.household, []).append(index)
    calm = {i for h in {plan.people[p].household for p in avoid} for i in members[h]}

    ages = [p.age(today) for p in plan.people]

    def adults(min_age=18, max_age=75):
        return [i for i, age in enumerate(ages) if min_age <= age <= max_age and i not in calm]

    places = {p.name: i for i, p in enumerate(plan.places)}
    market = places.get(MARKET) or next(i for i, p in enumerate(plan.places) if p.kind == "shop")
    visits = _everyday_visits(rng, plan, days, now, tz)

    # The outbreak. The index case shopped at the market every morning before falling ill;
    # eight neighbours shopped alongside, so tracing the index case finds them.
    used: set[int] = set()

    def pick(pool):
        choice = rng.choice([i for i in pool if i not in used])
        used.update(members[plan.people[choice].household])
        return choice

    index = pick(adults(35, 60))
    onset = today - timedelta(days=9)
    for k in range(4):
        day = onset - timedelta(days=3 - k)
        visits.append(Visit(index, market, _at(day, 8.0, tz), _at(day, 8.6, tz)))
    neighbours = [pick(adults()) for _ in range(8)]
    for n, person in enumerate(neighbours):
        day = onset - timedelta(days=3 - n % 4)
        start = 7.8 + rng.random() * 0.5  # between 7:48 and 8:18, overlapping 8:00-8:36
        visits.append(Visit(person, market, _at(day, start, tz), _at(day, start + 0.4, tz)))

    histories, labs = [], []
    fevers: dict[tuple[int, date], tuple] = {}  # (temperature, symptoms, at or None)
    confirmed_on = onset + timedelta(days=2)
    fevers[(index, onset)] = ("38.6", ("fever", "cough", "fatigue"), _at(onset, 8.9, tz))
    fevers[(index, onset + timedelta(days=1))] = ("38.9", ("fever", "cough"), None)
    labs.append(Lab(index, "pcr", "positive", onset + timedelta(days=1), "粮道街社区卫生服务站"))
    histories.append(
        History(
            index,
            [
                Step(
                    _at(onset, 9, tz),
                    "symptomatic",
                    "每日健康上报：38.6 °C，干咳，乏力",
                    "report",
                    "",
                ),
                Step(
                    _at(onset, 15, tz), "suspected", "核酸检测阳性（粮道街社区卫生服务站）", "test"
                ),
                Step(_at(confirmed_on, 10, tz), "confirmed", "区疾控中心确诊", "manual", "doctor1"),
                Step(_at(confirmed_on, 14, tz), "hospitalised", f"转运至{HOSPITAL}"),
            ],
        )
    )
    family = [p for p in members[plan.people[index].household] if p != index]
    for person in family:
        histories.append(
            History(
                person,
                [
                    Step(
                        _at(confirmed_on, 11, tz), "close_contact", "确诊病例的同住家属", "tracing"
                    ),
                    Step(_at(confirmed_on, 12, tz), "home_quarantine", "同住家属居家隔离"),
                ],
                QuarantinePlan("home", "同住家属居家隔离", confirmed_on),
            )
        )
    for n, person in enumerate(neighbours):
        steps = [
            Step(_at(confirmed_on, 16, tz), "close_contact", "菜市场同时段购物（流调）", "tracing"),
            Step(_at(confirmed_on, 18, tz), "central_quarantine", "密切接触者集中隔离"),
        ]
        quarantine = QuarantinePlan("central", "密切接触者集中隔离", confirmed_on, location=HOTEL)
        if n == 0:  # one of them fell ill in the hotel
            day = confirmed_on + timedelta(days=3)
            labs.append(Lab(person, "pcr", "positive", day, HOTEL))
            steps += [
                Step(
                    _at(day, 10, tz), "confirmed", "隔离期间核酸阳性，区疾控确诊", "test", "doctor1"
                ),
                Step(_at(day, 15, tz), "hospitalised", f"转运至{HOSPITAL}"),
            ]
            quarantine.released_on = day
        else:
            labs.append(Lab(person, "pcr", "negative", confirmed_on + timedelta(days=1), HOTEL))
        if n == 1:
            quarantine.extension = (7, "同室隔离人员转为确诊，延长观察")
        histories.append(History(person, steps, quarantine))

    # An old person confirmed before the story began, who died in hospital; the family they
    # lived with is left bereaved (the care module looks after them).
    old = pick([i for i in adults(75, 95) if len(members[plan.people[i].household]) > 1])
    start = today - timedelta(days=13)
    histories.append(
        History(
            old,
            [
                Step(_at(start, 10, tz), "confirmed", "发热门诊确诊", "manual", "doctor1"),
                Step(_at(start, 13, tz), "hospitalised", f"转运至{HOSPITAL}"),
                Step(_at(today - timedelta(days=4), 6, tz), "deceased", "医院通知：病故"),
            ],
        )
    )
    # A patient discharged two days ago, observed at home for fourteen days.
    patient = pick(adults(30, 70))
    out = today - timedelta(days=2)
    histories.append(
        History(
            patient,
            [
                Step(_at(start, 11, tz), "confirmed", "发热门诊确诊", "manual", "doctor1"),
                Step(_at(start, 14, tz), "hospitalised", f"转运至{HOSPITAL}"),
                Step(_at(out, 10, tz), "recovered", "治愈出院（出院记录）"),
                Step(_at(out, 11, tz), "home_quarantine", "出院后居家健康观察"),
            ],
            QuarantinePlan("home", "出院后居家健康观察", out),
        )
    )
    # A traveller whose quarantine ends today, and one released yesterday.
    for ends, released in ((today, None), (today - timedelta(days=1), today - timedelta(days=1))):
        person = pick(adults())
        began = ends - timedelta(days=14)
        steps = [Step(_at(began, 9, tz), "home_quarantine", "外地返汉人员居家隔离")]
        if released:
            steps.append(Step(_at(released, 10, tz), "healthy", "隔离期满解除"))
        histories.append(
            History(
                person,
                steps,
                QuarantinePlan("home", "外地返汉人员居家隔离", began, released_on=released),
            )
        )
        labs.append(
            Lab(person, "pcr", "negative", ends - timedelta(days=1), "粮道街社区卫生服务站")
        )
    # Two people who reported a fever this morning (just before `now`).
    for minutes in (40, 25):
        person = pick(adults())
        at = max(now - timedelta(minutes=minutes), _at(today, 0.1, tz))
        fevers[(person, today)] = (rng.choice(["37.6", "37.9", "38.1"]), ("fever",), at)
        histories.append(
            History(person, [Step(at, "symptomatic", "每日健康上报：发热", "report", "")])
        )

    direct = [
        (index, neighbours[0], _at(onset - timedelta(days=2), 18, tz), "邻居串门（流调访谈）"),
        (neighbours[1], neighbours[2], _at(onset - timedelta(days=1), 19, tz), "同乘一辆车"),
    ]
    reports = _reports(rng, plan, days, now, fevers, histories, tz)
    return EpidemicPlan(reports, visits, histories, labs, direct, index)


def _everyday_visits(rng, plan: Plan, days: list[date], now: datetime, tz) -> list[Visit]:
    weights = [VISIT_KINDS.get(p.kind, 0) for p in plan.places]
    # A place's pull varies (the market draws more than a gate): a lognormal factor each.
    weights = [w * rng.lognormvariate(0, 0.6) for w in weights]
    people = len(plan.people)
    visits = []
    for day in days:
        trips = int(people * TRIPS_PER_PERSON_DAY)
        for _ in range(trips):
            entered = _at(day, 7 + rng.random() * 12, tz)
            if entered > now:
                continue
            stay = timedelta(minutes=max(1, round(min(120, rng.lognormvariate(2.9, 0.5)))))
            left = entered + stay if rng.random() < 0.6 and entered + stay <= now else None
            place = rng.choices(range(len(plan.places)), weights=weights)[0]
            visits.append(Visit(rng.randrange(people), place, entered, left))
    return visits


def _reports(rng, plan, days, now, fevers, histories, tz) -> list[Report]:
    """Most people report every day (more as the lockdown settles in); nobody reports once in
    hospital or after death, and today's reports stop at `now`."""
    away: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for history in histories:
        left = None
        for step in history.steps:
            if step.to in {"hospitalised", "deceased"} and left is None:
                left = step.at
            elif step.to == "recovered" and left is not None:
                away.setdefault(history.person, []).append((left, step.at))
                left = None
        if left is not None:
            away.setdefault(history.person, []).append((left, None))

    def is_away(person, at):
        return any(a <= at and (b is None or at < b) for a, b in away.get(person, ()))

    reports = []
    for k, day in enumerate(days):
        rate = 0.8 + 0.15 * k / (len(days) - 1)
        for person in range(len(plan.people)):
            fever = fevers.get((person, day))
            if fever is None and rng.random() > rate:
                continue
            at = _at(day, 7 + rng.random() * 3, tz)
            if fever:
                temperature, symptoms, fever_at = fever
                at = fever_at or at
            else:
                temperature = f"{36.0 + rng.randint(0, 9) / 10:.1f}"
                symptoms = ()
            if at > now or is_away(person, at):
                continue
            reports.append(Report(person, day, temperature, symptoms, at))
    return reports

"""The demo community's psychological support (issue 7): pure computation, no database.

`generate_care(plan, epi, seed=..., now=..., avoid=...)` draws, for a community drawn by
`linli.demo.engine` and the outbreak of `linli.demo.epidemic`:
- about sixty PHQ-9 and GAD-7 screenings over the last two weeks, most of them from the groups
  problem P5 names (the bereaved, the families of cases, people in quarantine, old people living
  alone) and the rest from the wider community, across every band;
- a support case for everyone who screened moderate or worse (as linli.care.services opens
  them), with counsellor1 on it, one to four sessions with notes in Chinese, a follow-up plan by
  risk, a referral, and two cases already closed with their outcome;
- two screenings with thoughts of self-harm (PHQ-9 item 9 above 0): one on a counsellor's call
  four days ago, its urgent call made within the hour and followed up daily since; one the
  loader submits through the care services as the demo is loaded (`live`), so that its urgent
  task and the counsellor's alert are the real thing;
- three people staff asked to be offered support, with their reasons;
- a group session for the bereaved with who came.

Times are aware datetimes in `now`'s zone (the community's), as in linli.demo.epidemic. It
draws from its own random stream, so adding it left the rest of a seed's demo unchanged.
People are indices into `plan.people`; the screenings' bands come from linli.care.scoring
(pure), so they are scored exactly as a resident's own would be.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from linli.care import scoring
from linli.demo.engine import Plan
from linli.demo.epidemic import EpidemicPlan

TOTAL_SCREENINGS = 60
OPEN_CASES = 15  # one of them the live screening's
CLOSED_CASES = 2
COUNSELLOR = "counsellor1"
# Follow-up interval by risk, as linli.care.choices.FOLLOW_UP_DAYS (a test keeps them in step).
FOLLOW_UP_DAYS = {"high": 1, "moderate": 7, "low": 14}
# Totals drawn for a band: PHQ-9 up to 24 without item 9 (which only self-harm answers use).
TOTALS = {
    "phq9": {
        "minimal": (0, 4),
        "mild": (5, 9),
        "moderate": (10, 14),
        "moderately_severe": (15, 19),
        "severe": (20, 24),
    },
    "gad7": {"minimal": (0, 4), "mild": (5, 9), "moderate": (10, 14), "severe": (15, 21)},
}
PSYCHIATRY = "武汉市精神卫生中心"
# What the counsellor wrote on the urgent task when it was done (the notes are in the session).
URGENT_RESULT = "已在15分钟内通话，制定安全计划，家人陪同；明日上午再联系"
URGENT_CALL = {"assigned": 5, "started": 15, "done": 55}  # minutes after the screening


@dataclass
class ScreeningPlan:
    person: int
    instrument: str  # "phq9" or "gad7"
    answers: list[int]
    source: str  # "self" or "counsellor"
    by: str | None  # the counsellor's username when asked on a call
    at: datetime
    case: int | None = None  # index into CarePlan.cases
    live: bool = False  # submitted through linli.care.services when loaded

    @property
    def score(self) -> scoring.Score:
        return scoring.score(self.instrument, self.answers)


@dataclass
class SessionPlan:
    at: datetime
    mode: str  # "phone", "video" or "visit"
    minutes: int
    notes: str


@dataclass
class CasePlan:
    person: int
    risk: str
    reason: str
    opened: datetime
    counsellor: str | None = COUNSELLOR
    sessions: list[SessionPlan] = field(default_factory=list)
    referral: str = ""  # "psychiatry", "hotline" or "other"
    referral_note: str = ""
    closed: datetime | None = None
    outcome: str = ""
    live: bool = False  # opened by the live screening, through the services

    def next_due(self):
        """As linli.care.services leaves it: a day's follow-up period after the last session,
        or the opening day (first contact) before any; none once closed."""
        if self.closed is not None:
            return None
        if not self.sessions:
            return self.opened.date()
        return self.sessions[-1].at.date() + timedelta(days=FOLLOW_UP_DAYS[self.risk])


@dataclass
class FlagPlan:
    person: int
    reason: str
    by: str
    at: datetime


@dataclass
class GroupPlan:
    title: str
    audience: str
    at: datetime
    mode: str
    counsellor: str
    invited: list[int]
    attended: list[int]


@dataclass
class CarePlan:
    screenings: list[ScreeningPlan]
    cases: list[CasePlan]
    flags: list[FlagPlan]
    groups: list[GroupPlan]
    # The self-harm screening on a call, whose urgent task was done within the hour.
    urgent_done: int  # index into screenings


# Words --------------------------------------------------------------------------------------

FIRST_NOTES = {
    "bereaved": [
        "初次电话访谈。{kin}在医院病故，因封控未能见最后一面，也没能送别，反复说“要是早点送医院就好了”，"
        "自责明显。入睡困难，每晚只睡三四个小时，食欲差。否认自伤计划。解释哀伤反应是正常的，"
        "约定定期通话，告知心理援助热线12356。",
        "初次访谈（视频）。谈到{kin}时多次哽咽，说家里东西都不敢碰。白天还能照顾家人，晚上一个人时"
        "情绪低落。有亲友每天电话联系，支持系统尚可。建议保持规律作息，允许自己难过，下次继续谈"
        "告别的遗憾。",
    ],
    "family": [
        "初次电话访谈。家人确诊住院后，本人与其余家人居家隔离，担心家人病情，也担心自己被感染，"
        "每天量好几次体温，反复看新闻到深夜。心慌、坐立不安。进行呼吸放松练习，建议固定时间看消息，"
        "其余时间做些家务分散注意力。",
        "首次访谈。住院的家人几天联系不上，只能等医院电话，非常焦虑，说“一听到电话响就发抖”。"
        "帮助梳理可以做的事：记下医院联系方式、请网格员协助询问病情。情绪稍平稳，同意下次继续。",
    ],
    "quarantine": [
        "初次电话访谈。集中隔离第{day}天，房间小、独处时间长，担心检测结果，也挂念家里老人无人照顾。"
        "入睡困难。教授放松呼吸和简单的室内活动，已请网格员上门看望其家中老人，本人表示安心一些。",
        "首次访谈。居家隔离中，与家人分房住，感到孤单和被邻居议论的羞耻感，不敢在楼栋群里说话。"
        "讨论如何应对议论，肯定其配合隔离是在保护大家。约定一周后再联系。",
    ],
    "alone": [
        "初次电话访谈。独居老人，子女在外地回不来，每天只和社区打一次电话。说晚上睡不着，"
        "“一个人闷得慌”，对疫情新闻很害怕。耳背，说话需放慢。已与网格员商量每天电话问候，"
        "并教其用手机和子女视频。",
        "首次访谈（楼栋长陪同上门，做好防护）。老人近来吃饭少，常独自流泪，说老伴去世后从没这么孤单。"
        "否认轻生念头。联系了其女儿，约定每晚视频；社区帮忙送菜。",
    ],
    "general": [
        "初次电话访谈。封控以来在家办公，收入减少，担心房贷，和家人争吵增多，近两周情绪低落、"
        "对什么都提不起兴趣。否认自伤想法。一起列出每天可做的小事，建议规律作息、适当运动。",
        "首次访谈。长期失眠加重，白天注意力差，常担心自己或家人被感染。讨论减少刷手机时间，"
        "练习睡前放松。表示愿意继续联系。",
    ],
}
FOLLOW_NOTES = [
    "随访。睡眠较前好转，能睡五六个小时，每天按约定出门到楼下走走（按社区规定错峰）。"
    "情绪仍有起伏，但能说出让自己好受些的办法。继续原计划。",
    "随访（电话）。这几天情绪反复，说想起来还是难受，但愿意和家人说出来了。完成了我们约定的"
    "每日记录。肯定进步，下次复评PHQ-9。",
    "随访。本周与家人视频多次，胃口有恢复。仍担心解封后的生活和工作，讨论了可以提前准备的事。"
    "风险评估：无自伤想法。",
    "随访（视频）。状态平稳，主动谈起今后的打算。提醒遇到情绪低落时可随时拨打12356。"
    "继续按计划随访。",
]
URGENT_NOTES = [
    "紧急通话（筛查后15分钟内）。本人承认近几天有“不如跟着走了算了”的念头，无具体计划和准备，"
    "未实施。共同制定安全计划：家中药品暂由家人保管；难受时先给家人和咨询师打电话，告知12356热线。"
    "征得本人同意后联系了同住家人，家人表示这几天会一直陪着。明天上午再通话。",
    "每日随访。昨晚睡了四五个小时，说“想开了一点”，仍觉得对不起{kin}。自伤念头较前减少，"
    "无计划。安全计划继续执行，药品仍由家人保管。已征得同意转介精神卫生中心线上门诊评估。",
    "每日随访。已完成精神卫生中心线上问诊，医生开了助眠药，由家属保管。情绪比前两天稳定，"
    "愿意参加丧亲家属小组。继续每日随访。",
    "每日随访（视频）。和家人一起整理了{kin}的照片，哭了一场，说心里松快些。自伤念头：否认。"
    "仍按高风险每日随访，待复评后再调整。",
]
CLOSING_NOTES = {
    "improved": "结案访谈。复评PHQ-9已降至轻微范围，睡眠、食欲基本恢复，每天和子女视频，"
    "参加了楼栋志愿服务。本人同意结案，知道需要时可随时找社区或拨打12356。",
    "referred": "本人情绪低落持续、体重明显下降，PHQ-9复评仍偏高，经督导讨论后转介{place}。"
    "家属已陪同完成线上问诊，由医院继续随访。社区个案移交后结案。",
}
CASE_REASONS = {
    "bereaved": "{kin}病故，{instrument}筛查{total}分",
    "family": "家人确诊住院，{instrument}筛查{total}分",
    "quarantine": "隔离期间焦虑失眠，{instrument}筛查{total}分",
    "alone": "独居老人，{instrument}筛查{total}分",
    "general": "{instrument}筛查{total}分",
}
FLAG_REASONS = {
    "alone": [
        "邻居反映老人几天没下楼，电话里说话有气无力，想请心理咨询师打个电话",
        "独居老人，子女在国外回不来，最近总在电话里念叨“活着拖累人”，请尽快联系",
    ],
    "family": ["家人确诊住院，本人居家隔离，楼栋长说其在群里情绪激动、几次哭着求助"],
    "general": [
        "儿子在方舱医院做护工，两周没回家，本人每天守着手机等消息，吃不下饭",
        "封控后小店停业，欠了房租，网格员上门时说“实在撑不下去了”",
        "刚从外地返汉，被邻居当面指责“带病毒回来”，之后不敢出门、不接电话",
    ],
}
INSTRUMENT_NAMES = {"phq9": "PHQ-9", "gad7": "GAD-7"}


def _mode_of(notes: str, rng: random.Random) -> str:
    """How the session was held, as its notes say (mostly by phone under lockdown)."""
    if "视频" in notes:
        return "video"
    if "上门" in notes:
        return "visit"
    if "电话" in notes:
        return "phone"
    return rng.choices(["phone", "video"], weights=[3, 1])[0]


def _kin(plan: Plan, deceased: int | None, mourner: int) -> str:
    """What the mourner called the person who died, from their places in the household."""
    if deceased is None:
        return "亲人"
    dead, alive = plan.people[deceased], plan.people[mourner]
    couple = {"householder", "spouse"}
    if dead.relation in couple and alive.relation in couple:
        return "老伴"
    if (dead.relation in couple and alive.relation in {"child", "grandchild"}) or (
        dead.relation == "parent" and alive.relation in couple
    ):
        return "父亲" if dead.sex == "M" else "母亲"
    return "亲人"


# The plan -----------------------------------------------------------------------------------


class _Care:
    def __init__(self, plan: Plan, epi: EpidemicPlan, seed: int, now: datetime, avoid):
        self.rng = random.Random(f"care-{seed}")
        self.plan, self.epi, self.now = plan, epi, now
        self.today = now.date()
        self.tz = now.tzinfo
        self.members: dict[int, list[int]] = {}
        for index, person in enumerate(plan.people):
            self.members.setdefault(person.household, []).append(index)
        self.calm = {i for p in avoid for i in self.members[plan.people[p].household]}
        self.context: dict[int, str] = {}
        self.died_in: dict[int, int] = {}  # household -> the person who died there
        self.screenings: list[ScreeningPlan] = []
        self.cases: list[CasePlan] = []

    def at(self, days_ago: int, hour: float) -> datetime:
        day = self.today - timedelta(days=days_ago)
        return datetime.combine(day, time(0), tzinfo=self.tz) + timedelta(minutes=round(hour * 60))

    def groups(self) -> dict[str, list[int]]:
        """Who is in which group of problem P5, each person in the first that fits; people in
        hospital, the dead and the calm households are left out."""
        plan, rng = self.plan, self.rng
        ages = [p.age(self.today) for p in plan.people]
        last = {h.person: h.steps[-1].to for h in self.epi.histories if h.steps}
        away = {p for p, status in last.items() if status in {"hospitalised", "deceased"}}
        for person, status in last.items():
            if status == "deceased":
                self.died_in[plan.people[person].household] = person
        cases = {
            h.person
            for h in self.epi.histories
            if any(s.to in {"confirmed", "hospitalised"} for s in h.steps)
        }

        def household_of(p):
            return self.members[plan.people[p].household]

        bereaved = {
            m for dead in self.died_in.values() for m in household_of(dead) if m != dead
        } | {i for i, p in enumerate(plan.people) if "bereaved" in p.tags}
        family = {m for c in cases for m in household_of(c) if m != c}
        quarantined = {
            h.person
            for h in self.epi.histories
            if h.quarantine is not None and h.quarantine.released_on is None
        }
        alone = {i for i, age in enumerate(ages) if age >= 60 and len(household_of(i)) == 1}
        out: dict[str, list[int]] = {}
        taken = set(self.calm) | away
        for name, members in (
            ("bereaved", bereaved),
            ("family", family),
            ("quarantine", quarantined),
            ("alone", alone),
        ):
            chosen = sorted(p for p in members if p not in taken and ages[p] >= 16)
            rng.shuffle(chosen)
            out[name] = chosen
            taken.update(chosen)
        general = [i for i, age in enumerate(ages) if 18 <= age <= 75 and i not in taken]
        out["general"] = rng.sample(general, min(len(general), 200))
        for name, people in out.items():
            for p in people:
                self.context[p] = name
        return out

    def answers(self, instrument: str, band: str, *, item9: int = 0) -> list[int]:
        """Answers whose total falls in `band` (item 9 as given), spread over the questions."""
        low, high = TOTALS[instrument][band]
        total = self.rng.randint(max(low, item9), high)
        answers = [0] * len(scoring.ITEMS[instrument])
        free = list(range(len(answers)))
        if instrument == "phq9":
            answers[scoring.SELF_HARM_ITEM] = item9
            free.remove(scoring.SELF_HARM_ITEM)
        for _ in range(total - item9):
            item = self.rng.choice([i for i in free if answers[i] < 3])
            answers[item] += 1
        return answers

    def screen(self, person, band, *, days_ago, instrument=None, item9=0, source=None, hour=None):
        rng = self.rng
        # Anxiety first for people in quarantine; depression for the bereaved and the alone.
        if instrument is None:
            anxious = self.context.get(person) in {"quarantine", "family"}
            instrument = "gad7" if rng.random() < (0.7 if anxious else 0.3) else "phq9"
        if instrument == "gad7" and band == "moderately_severe":
            band = "severe"
        if source is None:
            # Old people alone are asked on a call; others mostly fill it in on their phone.
            calls = 0.8 if self.context.get(person) == "alone" else 0.35
            source = "counsellor" if rng.random() < calls else "self"
        at = self.at(days_ago, hour if hour is not None else rng.uniform(8.5, 21.0))
        at = min(at, self.now - timedelta(hours=1))
        screening = ScreeningPlan(
            person=person,
            instrument=instrument,
            answers=self.answers(instrument, band, item9=item9),
            source=source,
            by=COUNSELLOR if source == "counsellor" else None,
            at=at,
        )
        self.screenings.append(screening)
        return screening

    def open_case(self, screening: ScreeningPlan, *, sessions: int) -> CasePlan:
        """The case the screening opened (or raised), with sessions on the follow-up plan."""
        result = screening.score
        person = screening.person
        context = self.context.get(person, "general")
        kin = _kin(self.plan, self.died_in.get(self.plan.people[person].household), person)
        reason = CASE_REASONS[context].format(
            kin=kin, instrument=INSTRUMENT_NAMES[screening.instrument], total=result.total
        )
        case = CasePlan(person=person, risk=result.risk, reason=reason, opened=screening.at)
        screening.case = len(self.cases)
        self.cases.append(case)
        self.add_sessions(case, sessions, kin=kin, context=context)
        return case

    def add_sessions(self, case: CasePlan, count: int, *, kin: str, context: str) -> None:
        rng = self.rng
        step = timedelta(days=FOLLOW_UP_DAYS[case.risk])
        # High risk is called at once; moderate within a day or so.
        at = case.opened + (
            timedelta(minutes=rng.randint(20, 90))
            if case.risk == "high"
            else timedelta(hours=rng.uniform(3, 30))
        )
        firsts = FIRST_NOTES[context]
        for k in range(count):
            latest = case.closed or self.now - timedelta(minutes=30)
            # Now and then a call is missed (no answer, the counsellor busy): a late follow-up.
            if at > latest or (k > 0 and rng.random() < 0.15):
                break
            notes = rng.choice(firsts) if k == 0 else FOLLOW_NOTES[(k - 1) % len(FOLLOW_NOTES)]
            case.sessions.append(
                SessionPlan(
                    at=at,
                    mode=_mode_of(notes, rng),
                    minutes=rng.choice([20, 25, 30, 40, 45, 50, 60]),
                    notes=notes.format(kin=kin, day=rng.randint(4, 10)),
                )
            )
            at = at + step + timedelta(hours=rng.uniform(-3, 5))
        if not case.sessions:  # everyone on the list has been called at least once
            notes = rng.choice(firsts).format(kin=kin, day=5)
            at = case.opened + timedelta(minutes=20)
            case.sessions.append(SessionPlan(at, _mode_of(notes, rng), 30, notes))


def generate_care(
    plan: Plan, epi: EpidemicPlan, *, seed: int, now: datetime, avoid=frozenset()
) -> CarePlan:
    """`now` is aware (its zone is the community's); `avoid` are people whose households the
    story must not touch (the demo logins'), as in linli.demo.epidemic."""
    care = _Care(plan, epi, seed, now, avoid)
    rng = care.rng
    groups = care.groups()

    # Who needs a case: the groups of P5 first (in turn), then old people alone, then anyone.
    wanted = OPEN_CASES + CLOSED_CASES
    needing = _in_turn([groups["bereaved"], groups["family"], groups["quarantine"]], 10)
    needing += groups["alone"][: min(4, wanted - len(needing))]
    needing += [p for p in groups["general"] if p not in needing][: wanted - len(needing)]
    # The two self-harm screenings: a bereaved person on a call four days ago (else anyone of
    # the groups), and someone filling it in on their phone as the demo is loaded.
    urgent, live = needing[0], needing[1]
    closed = needing[-CLOSED_CASES:]

    # A bereaved person asked on a call four days ago: item 9 answered, called back at once, then
    # daily; referred to the psychiatric service's online clinic.
    first = care.screen(
        urgent,
        "moderately_severe",
        days_ago=4,
        instrument="phq9",
        item9=2,
        source="counsellor",
        hour=10.5,
    )
    case = care.open_case(first, sessions=0)
    kin = _kin(plan, care.died_in.get(plan.people[urgent].household), urgent)
    start = first.at + timedelta(minutes=15)
    case.sessions = [
        SessionPlan(start + timedelta(days=k, hours=0 if k == 0 else 5), mode, minutes, text)
        for k, (mode, minutes, text) in enumerate(
            zip(
                ["phone", "phone", "phone", "video"],
                [40, 35, 30, 40],
                [n.format(kin=kin) for n in URGENT_NOTES],
                strict=True,
            )
        )
        if start + timedelta(days=k, hours=5) < now
    ]
    case.referral, case.referral_note = "psychiatry", f"{PSYCHIATRY}线上门诊，已完成首次评估"

    # Someone with thoughts of self-harm fills in the PHQ-9 on their phone now: the loader
    # submits it through the services (urgent task, counsellors told, hotline shown).
    care.screenings.append(
        ScreeningPlan(
            person=live,
            instrument="phq9",
            answers=care.answers("phq9", "moderate", item9=1),
            source="self",
            by=None,
            at=now,
            live=True,
        )
    )

    # The others who need support, screened over the two weeks; a case each.
    for person in needing[2:-CLOSED_CASES]:
        band = rng.choices(
            ["moderate", "moderately_severe", "severe"],
            weights=[6, 3, 1] if care.context[person] != "general" else [8, 2, 0.5],
        )[0]
        # High risk is followed up daily: those cases are recent, called every day since.
        high = band != "moderate"
        days_ago = rng.randint(1, 4) if high else rng.randint(1, 13)
        screening = care.screen(person, band, days_ago=days_ago)
        case = care.open_case(screening, sessions=min(4, days_ago) if high else 4)
        # Some are screened again a week on, better or about the same (the case stays as it is:
        # a screening raises a case's risk, never lowers it).
        if days_ago >= 7 and rng.random() < 0.6:
            again = rng.choice(["minimal", "mild", "moderate"])
            rescreen = care.screen(
                person,
                again,
                days_ago=days_ago - rng.randint(5, 7),
                instrument=screening.instrument,
            )
            if rescreen.score.risk != "low":
                rescreen.case = screening.case

    # Two cases closed: one better (screened again, minimal), one handed to the hospital.
    better, referred = closed
    screening = care.screen(better, "moderate", days_ago=12, instrument="phq9")
    case = care.open_case(screening, sessions=0)
    context = care.context[better]
    first_notes = rng.choice(FIRST_NOTES[context]).format(kin="亲人", day=6)
    case.sessions = [
        SessionPlan(screening.at + timedelta(hours=3), _mode_of(first_notes, rng), 40, first_notes),
        SessionPlan(screening.at + timedelta(days=7, hours=2), "phone", 30, FOLLOW_NOTES[0]),
        SessionPlan(care.at(2, 15.0), "video", 30, CLOSING_NOTES["improved"]),
    ]
    care.screen(better, "minimal", days_ago=3, instrument="phq9", source="self")
    case.closed, case.outcome = care.at(2, 16.0), "improved"

    screening = care.screen(referred, "moderately_severe", days_ago=13, instrument="phq9")
    case = care.open_case(screening, sessions=0)
    context = care.context[referred]
    first_notes = rng.choice(FIRST_NOTES[context]).format(kin="亲人", day=6)
    case.sessions = [
        SessionPlan(
            screening.at + timedelta(minutes=40), _mode_of(first_notes, rng), 45, first_notes
        ),
        SessionPlan(
            screening.at + timedelta(days=2),
            "phone",
            40,
            CLOSING_NOTES["referred"].format(place=PSYCHIATRY),
        ),
    ]
    case.referral, case.referral_note = "psychiatry", f"{PSYCHIATRY}，家属陪同线上问诊"
    case.closed, case.outcome = screening.at + timedelta(days=3), "referred"

    # Everyone else screened once: mostly minimal or mild, the groups of P5 a little worse.
    flags = _flags(care, groups, needing)
    flagged = {f.person for f in flags}
    everyone = [
        p for name in ("bereaved", "family", "quarantine", "alone", "general") for p in groups[name]
    ]
    others = [p for p in everyone if p not in needing and p not in flagged]
    for person in others[: max(0, TOTAL_SCREENINGS - len(care.screenings))]:
        in_group = care.context[person] != "general"
        band = rng.choices(["minimal", "mild"], weights=[4, 3] if in_group else [7, 3])[0]
        care.screen(person, band, days_ago=rng.randint(0, 13))

    group = _bereaved_group(care, groups)
    screenings = sorted(care.screenings, key=lambda s: s.at)
    return CarePlan(
        screenings=screenings,
        cases=care.cases,
        flags=flags,
        groups=[group] if group else [],
        urgent_done=next(i for i, s in enumerate(screenings) if s is first),
    )


def _in_turn(lists: list[list[int]], n: int) -> list[int]:
    """Up to n people, one from each list in turn."""
    queues = [list(people) for people in lists]
    out: list[int] = []
    while len(out) < n and any(queues):
        for queue in queues:
            if queue and len(out) < n:
                out.append(queue.pop(0))
    return out


def _flags(care: _Care, groups: dict, needing: list[int]) -> list[FlagPlan]:
    """Three people staff asked to be offered support, none of them on a case."""
    screened = {s.person for s in care.screenings}
    reasons = {context: list(texts) for context, texts in FLAG_REASONS.items()}
    flags = []
    for days_ago, context in enumerate(("alone", "family", "general"), start=1):
        pool = groups[context] + groups["general"]
        person = next(p for p in pool if p not in needing and p not in screened)
        screened.add(person)
        # The words fit the person (one of the family, or else anyone).
        texts = reasons.get(care.context[person]) or reasons["general"]
        household = care.plan.households[care.plan.people[person].household]
        grid = care.plan.buildings[household.building].grid
        flags.append(
            FlagPlan(
                person=person,
                reason=texts.pop(0),
                by=f"grid{grid}" if grid in (1, 2) else "staff1",
                at=care.at(days_ago, care.rng.uniform(9, 17)),
            )
        )
    return flags


def _bereaved_group(care: _Care, groups: dict) -> GroupPlan | None:
    """The first meeting of a group for the bereaved, online two evenings ago."""
    invited = sorted(groups["bereaved"])[:12]
    if not invited:
        return None
    came = [p for p in invited if care.rng.random() < 0.75] or invited[:1]
    return GroupPlan(
        title="丧亲家属哀伤支持小组（第一次）",
        audience="bereaved",
        at=care.at(2, 19.5),
        mode="video",
        counsellor=COUNSELLOR,
        invited=invited,
        attended=came,
    )

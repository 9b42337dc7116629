"""An external list to cross-check the demo community against: pure computation, no database.

`external_list(people, seed=..., size=...)` takes registry people as dicts (name, sex,
birth_date, id_number, phone) and returns the rows of a city's confirmed-case list as a
district's epidemic-prevention office would send it: most rows are the community's own people,
written with the mistakes such lists carry (a homophone character in the name, two digits of the
ID number swapped, a changed phone, a missing birth date), the rest are people from elsewhere.
"""

import random
from datetime import date, timedelta

from linli.residents.idnumber import make_id_number

# Characters that sound alike (the clerk heard the name over the phone).
HOMOPHONES = [
    "伟玮炜维",
    "丽莉俐利",
    "军君均",
    "华骅桦",
    "明鸣铭",
    "静靖婧",
    "敏民旻",
    "芳方舫",
    "洁捷杰",
    "涛滔韬",
    "峰锋丰枫",
    "燕艳雁彦",
    "红虹鸿宏",
    "霞侠",
    "萍苹屏",
    "玲铃林麟",
]
SOUNDS_LIKE = {c: group.replace(c, "") for group in HOMOPHONES for c in group}
STRANGERS = ["赵四海", "钱小梅", "孙立新", "李秀兰", "周建华", "吴国强", "郑丽娟", "王大勇"]
HEADERS = ["序号", "姓名", "性别", "身份证号", "手机号码", "出生日期", "确诊日期"]


def _homophone(rng: random.Random, name: str) -> str:
    spots = [i for i, c in enumerate(name) if c in SOUNDS_LIKE and i > 0]
    if not spots:
        return name
    i = rng.choice(spots)
    return name[:i] + rng.choice(SOUNDS_LIKE[name[i]]) + name[i + 1 :]


def _swap_digits(rng: random.Random, text: str) -> str:
    i = rng.randrange(6, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def external_list(people: list[dict], *, seed: int, size: int, today: date) -> list[list[str]]:
    """`size` rows (about four in five from `people`), header first."""
    rng = random.Random(f"external-{seed}")
    chosen = rng.sample(people, min(len(people), size - size // 5))
    rows = []
    for person in chosen:
        name, id_number, phone = person["name"], person["id_number"], person["phone"]
        birth, sex = person["birth_date"].isoformat(), "男" if person["sex"] == "M" else "女"
        roll = rng.random()
        if roll < 0.25:
            name = _homophone(rng, name)
        elif roll < 0.45 and id_number:
            id_number = _swap_digits(rng, id_number)
        elif roll < 0.6:
            phone = "13" + f"{rng.randrange(10**9):09d}"
        elif roll < 0.7:
            birth = ""
        rows.append([name, sex, id_number, phone, birth])
    for k in range(size - len(chosen)):
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
        sex = rng.choice("MF")
        number = make_id_number("420102", born, rng.randrange(400) * 2 + (sex == "M"))
        rows.append(
            [
                STRANGERS[k % len(STRANGERS)],
                "男" if sex == "M" else "女",
                number,
                "139" + f"{rng.randrange(10**8):08d}",
                born.isoformat(),
            ]
        )
    rng.shuffle(rows)
    confirmed = [(today - timedelta(days=rng.randrange(1, 10))).isoformat() for _ in rows]
    return [HEADERS] + [
        [str(i), *row, day] for i, (row, day) in enumerate(zip(rows, confirmed, strict=True), 1)
    ]

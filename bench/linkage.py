"""Record linkage of an external list against a registry, from a known truth, with the engine
behind the registry cross-check (linli.tracing.linkage).

    .venv/bin/python -m bench.linkage [--size 15000] [--seed 7] [--threshold 0.9]

The registry holds SIZE people in households (name, sex, birth date, an ID number with a valid
check digit, a mobile phone; some old people share a child's phone). The external list, as a
city's case list would arrive, holds SIZE/5 of them and SIZE/10 people from elsewhere, keyed in
by hand: typos and transposed digits in ID numbers, phones and dates, homophone characters in
names (张伟 → 张玮), missing fields, changed phones, sex and dates in other spellings.

Prints the counts, precision, recall, F1 and seconds, then one JSON object on the last line.
"""

import argparse
import json
import random
import sys
import time
from datetime import date, timedelta

from pypinyin import lazy_pinyin

from linli.demo.names import (
    GIVEN_NAMES,
    HUBEI_REGIONS,
    MOBILE_PREFIXES,
    OTHER_REGIONS,
    SURNAMES,
    WUHAN_REGIONS,
)
from linli.residents.idnumber import make_id_number
from linli.tracing.linkage import link

# Characters people write for one another when a name is read out over the phone, on top of
# those of the name pools: each joins the group of its reading.
EXTRA_HOMOPHONES = (
    "玮炜维莉俐利君均骅桦鸣铭靖婧民旻方舫蔷洁捷滔韬锋丰枫艳雁彦虹鸿宏侠苹屏铃林麟庭亭廷"
    "语羽禹昊皓颢萱宣煊晗寒锐瑞琦淇奇棋祺新馨心仪宜依嘉家加孟学小筱骏峻雯闻波紫姿斯丝"
    "雷朋蓬潮朝辰臣琛剑健坚智治致彬滨宾永咏泳钢纲冬栋莹影岚蓝修真贞桢章汪"
)
# What a tired clerk may type instead of a character: any other common one.
OTHER_CHARACTERS = "德明华英文志国建平玉春秀金海小红子永"

TYPES = {
    "name": "name",
    "sex": "sex",
    "birth_date": "date",
    "id_number": "id_number",
    "phone": "phone",
}

# Shares of external records with each error (independently drawn).
ERRORS = {
    "id_missing": 0.10,
    "id_typo": 0.05,
    "id_transposed": 0.03,
    "phone_missing": 0.10,
    "phone_changed": 0.12,
    "phone_typo": 0.04,
    "phone_transposed": 0.02,
    "name_homophone": 0.10,
    "name_typo": 0.02,
    "birth_missing": 0.10,
    "birth_typo": 0.03,
    "sex_missing": 0.10,
}


def homophone_groups() -> dict[str, list[str]]:
    chars = set(EXTRA_HOMOPHONES) | set("".join(SURNAMES))
    for _year, male, female in GIVEN_NAMES:
        chars |= set((male + female).replace(" ", ""))
    by_reading: dict[str, list[str]] = {}
    for char in sorted(chars):
        by_reading.setdefault(lazy_pinyin(char)[0], []).append(char)
    return {c: [o for o in group if o != c] for group in by_reading.values() for c in group}


class People:
    """Random people drawn like the demo community's, with unique ID numbers and phones."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.regions = {**WUHAN_REGIONS, **HUBEI_REGIONS, **OTHER_REGIONS}
        self.ids: set[str] = set()
        self.phones: set[str] = set()

    def person(self, *, surname: str | None = None, region: str | None = None) -> dict:
        rng = self.rng
        birth = date(1935, 1, 1) + timedelta(days=rng.randrange(365 * 85))
        sex = rng.choice("MF")
        male, female = next((m, f) for year, m, f in GIVEN_NAMES if birth.year <= year)
        given = rng.choice((male if sex == "M" else female).split())
        surname = surname or rng.choices(list(SURNAMES), weights=list(SURNAMES.values()))[0]
        region = region or rng.choices(list(self.regions), weights=list(self.regions.values()))[0]
        while True:
            sequence = rng.randrange(500) * 2 + (1 if sex == "M" else 0)
            number = make_id_number(region, birth, sequence)
            if number not in self.ids:
                break
        self.ids.add(number)
        return {
            "name": surname + given,
            "sex": sex,
            "birth_date": birth.isoformat(),
            "id_number": number,
            "phone": self.phone(),
        }

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**7):07d}"
            if number not in self.phones:
                self.phones.add(number)
                return number


def build_registry(size: int, people: People) -> list[dict]:
    """Households of one to four: children take the father's surname and region, and a third
    of those born before 1950 give a child's phone instead of their own."""
    rng = people.rng
    registry: list[dict] = []
    while len(registry) < size:
        head = people.person()
        household = [head]
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            household.append(people.person(surname=head["name"][0], region=head["id_number"][:6]))
        young = [p for p in household if p["birth_date"] >= "1950"]
        for member in household:
            if member["birth_date"] < "1950" and young and rng.random() < 0.33:
                member["phone"] = rng.choice(young)["phone"]
        registry.extend(household)
    registry = registry[:size]
    for number, person in enumerate(registry, start=1):
        person["id"] = number
    return registry


def _typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text))
    digit = rng.choice([d for d in "0123456789" if d != text[i]])
    return text[:i] + digit + text[i + 1 :]


def _transpose(text: str, rng: random.Random) -> str:
    candidates = [i for i in range(len(text) - 1) if text[i] != text[i + 1]]
    if not candidates:
        return text
    i = rng.choice(candidates)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def keyed_in(person: dict, row_id: str, people: People, homophones: dict) -> dict:
    """The person as a clerk elsewhere typed them in, with the errors of ERRORS."""
    rng = people.rng

    def hit(error: str) -> bool:
        return rng.random() < ERRORS[error]

    name = person["name"]
    if hit("name_homophone"):
        positions = [i for i, c in enumerate(name) if homophones.get(c)]
        if positions:
            i = rng.choice(positions)
            name = name[:i] + rng.choice(homophones[name[i]]) + name[i + 1 :]
    if hit("name_typo"):
        i = rng.randrange(1, len(name))
        name = name[:i] + rng.choice(OTHER_CHARACTERS) + name[i + 1 :]
    number = person["id_number"]
    if hit("id_typo"):
        number = _typo(number[:17], rng) + number[17]
    if hit("id_transposed"):
        number = _transpose(number, rng)
    phone = person["phone"]
    if hit("phone_changed"):
        phone = people.phone()
    if hit("phone_typo"):
        phone = _typo(phone, rng)
    if hit("phone_transposed"):
        phone = _transpose(phone, rng)
    birth = person["birth_date"]
    if hit("birth_typo"):
        digits = _typo(birth.replace("-", ""), rng)
        birth = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"  # may be no date at all
    # Other clerks' spellings: 男/女, 1980年1月2日, +86 in front of the phone.
    sex = {"M": "男", "F": "女"}[person["sex"]] if rng.random() < 0.7 else person["sex"]
    if rng.random() < 0.2:
        y, m, d = birth.split("-")
        birth = f"{y}年{int(m)}月{int(d)}日"
    if rng.random() < 0.1:
        phone = "+86 " + phone
    return {
        "row": row_id,
        "name": name,
        "sex": None if hit("sex_missing") else sex,
        "birth_date": None if hit("birth_missing") else birth,
        "id_number": None if hit("id_missing") else number,
        "phone": None if hit("phone_missing") else phone,
    }


def build_list(registry: list[dict], people: People) -> tuple[list[dict], dict[str, int]]:
    """The external list and its truth: row id -> registry id for the members."""
    rng = people.rng
    homophones = homophone_groups()
    members = rng.sample(registry, len(registry) // 5)
    strangers = [people.person() for _ in range(len(registry) // 10)]
    rows = [(p, p["id"]) for p in members] + [(p, None) for p in strangers]
    rng.shuffle(rows)
    external, truth = [], {}
    for number, (person, registry_id) in enumerate(rows, start=1):
        row_id = f"X{number:06d}"
        external.append(keyed_in(person, row_id, people, homophones))
        if registry_id is not None:
            truth[row_id] = registry_id
    return external, truth


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=15000, help="people in the registry")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args(argv)

    people = People(random.Random(args.seed))
    registry = build_registry(args.size, people)
    external, truth = build_list(registry, people)
    print(
        f"registry {len(registry)} people, external list {len(external)} rows "
        f"({len(truth)} in the registry, {len(external) - len(truth)} not)",
        flush=True,
    )

    started = time.perf_counter()
    result = link(
        registry,
        external,
        types=TYPES,
        left_id="id",
        right_id="row",
        threshold=args.threshold,
    )
    seconds = time.perf_counter() - started

    found = {m.right_id: m.left_id for m in result.matches}
    correct = sum(1 for row, rid in found.items() if truth.get(row) == rid)
    wrong_person = sum(1 for row, rid in found.items() if row in truth and truth[row] != rid)
    stranger_matched = sum(1 for row in found if row not in truth)
    precision = correct / len(found) if found else 0.0
    recall = correct / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        f"matches {len(found)}: {correct} right, {wrong_person} to the wrong resident, "
        f"{stranger_matched} strangers matched; {len(truth) - correct} members missed",
        flush=True,
    )
    print(f"training: {result.training}; {'; '.join(result.notes) or 'no notes'}")
    print(
        f"precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}  in {seconds:.1f} s",
        flush=True,
    )
    summary = {
        "benchmark": "linkage",
        "registry": len(registry),
        "external": len(external),
        "members": len(truth),
        "matches": len(found),
        "correct": correct,
        "wrong_person": wrong_person,
        "strangers_matched": stranger_matched,
        "missed": len(truth) - correct,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "seconds": round(seconds, 2),
        "training": result.training,
        "threshold": args.threshold,
        "seed": args.seed,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

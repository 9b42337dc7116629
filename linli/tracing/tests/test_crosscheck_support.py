"""Shared data for the cross-check tests (no tests here): a registry a little larger than the
`world`'s, and an external list with a homophone name, an ID number with a typo and a person
who does not live here."""

from datetime import date

import pytest

from linli.places.services import household_get_or_create
from linli.residents.idnumber import make_id_number
from linli.residents.services import resident_create
from linli.tracing import crosscheck_services as services
from linli.tracing.choices import CrossCheckStatus, ListKind
from linli.tracing.models import CrossCheckMatch

HEADER = "序号,姓名,身份证号,手机号,出生日期,性别"
MAPPING = {
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "手机号",
    "birth_date": "出生日期",
    "sex": "性别",
}
OUTSIDER_ID = make_id_number("110101", date(1990, 7, 7), 77)


def id_of(birth: date, seq: int) -> str:
    return make_id_number("420106", birth, seq)


def with_typo(number: str) -> str:
    """One digit of the sequence changed: the check digit no longer fits, as in a real slip."""
    digit = "5" if number[15] != "5" else "6"
    return number[:15] + digit + number[16:]


ZHANG_ID = id_of(date(1950, 3, 8), 11)
CHEN_ID = id_of(date(1985, 11, 2), 31)
CHEN_ID_TYPO = with_typo(CHEN_ID)


def list_csv(encoding: str = "gbk") -> bytes:
    """张玮 is 张伟 (zhang) by a homophone; 陈明 (chen) has an ID number with a typo; 赵四
    does not live here."""
    lines = [
        HEADER,
        f"1,张玮,{ZHANG_ID},13800000011,1950-03-08,男",
        f"2,陈明,{CHEN_ID_TYPO},13800000031,1985/11/2,男",
        f"3,赵四,{OUTSIDER_ID},13512345678,1990-07-07,男",
    ]
    return ("\n".join(lines) + "\n").encode(encoding)


@pytest.fixture
def registry(world):
    """The world's five residents and a few more, so the list is not linked to a handful."""
    people = [
        ("曾小明", date(1990, 1, 1), 51, "402"),
        ("刘洋", date(1975, 4, 12), 53, "402"),
        ("张薇", date(1950, 3, 8), 62, "501"),  # same birth date as 张伟, another name
        ("赵敏", date(1990, 7, 7), 64, "502"),  # same birth date as 赵四
    ]
    made = {}
    for name, birth, seq, room in people:
        household = household_get_or_create(building=world.building_a2, entrance=1, room=room)
        made[name] = resident_create(
            actor=None,
            household=household,
            values={"name": name, "id_number": id_of(birth, seq), "phone": f"1390000{seq:04d}"},
        )
    return world.residents | made


def upload(world, *, list_kind=ListKind.CONFIRMED_CASES, content=None, encoding="gbk"):
    return services.crosscheck_upload(
        actor=world.user("staff"),
        community=world.community,
        list_kind=list_kind,
        filename="确诊名单.csv",
        content=content if content is not None else list_csv(encoding),
    )


def run(crosscheck, world, capture, mapping=None):
    with capture(execute=True):
        services.crosscheck_run_request(
            actor=world.user("staff"), crosscheck=crosscheck, mapping=mapping or MAPPING
        )
    crosscheck.refresh_from_db()
    assert crosscheck.status == CrossCheckStatus.DONE, crosscheck.error
    return crosscheck


def given_match(world, crosscheck, *, row_number: int, resident, probability=0.97):
    """A match as the job stores it, for the review tests that need no linking run."""
    crosscheck.mapping = MAPPING
    crosscheck.status = CrossCheckStatus.DONE
    crosscheck.save(update_fields=["mapping", "status"])
    row = crosscheck.rows.get(number=row_number)
    row.matched = True
    row.save(update_fields=["matched"])
    return CrossCheckMatch.objects.create(
        crosscheck=crosscheck,
        row=row,
        resident=resident,
        probability=probability,
        evidence={"name": "exact", "id_number": "exact", "phone": "exact"},
    )

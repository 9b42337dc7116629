"""`manage.py link_lists`: two lists in, one row per matched pair out, no registry and no
database involved."""

import csv
import io
import random
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linli.residents.idnumber import make_id_number

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "德明华英文志国建平玉春秀金海红军丽芳敏静"


def people(count, seed):
    rng = random.Random(seed)
    out = []
    for i in range(count):
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 70))
        out.append(
            {
                "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2)),
                "id": make_id_number("420106", birth, rng.randrange(1000)),
                "birth": birth,
                "phone": f"138{seed:02d}{i:06d}",
            }
        )
    return out


def write_csv(path, header, rows, encoding):
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    """A city's case list in UTF-8 with a BOM, a railway's passenger list in GBK: ten
    passengers are on the case list (typed with errors), five are not."""
    folder = tmp_path_factory.mktemp("lists")
    cases = people(40, seed=1)
    left = write_csv(
        folder / "cases.csv",
        ["编号", "姓名", "身份证号", "出生日期", "手机号", "住址"],
        [
            [f"C{i:03d}", p["name"], p["id"], p["birth"].isoformat(), p["phone"], "武昌区某路1号"]
            for i, p in enumerate(cases, start=1)
        ],
        "utf-8-sig",
    )
    passengers = []
    for i, p in enumerate(cases[:10], start=1):
        number, birth = p["id"], f"{p['birth']:%Y年%-m月%-d日}"
        if i == 1:
            number = number[:8] + number[9] + number[8] + number[10:]  # swapped digits
        if i == 2:
            number = ""  # left out
        if i == 3:
            birth = ""
        passengers.append([f"P{i}", p["name"], number, birth, "G1234"])
    for j, p in enumerate(people(5, seed=2), start=11):
        passengers.append([f"P{j}", p["name"], p["id"], p["birth"].isoformat(), "G1234"])
    right = write_csv(
        folder / "passengers.csv",
        ["编号", "姓名", "身份证号", "出生日期", "车次"],
        passengers,
        "gbk",
    )
    return folder, left, right


def read_out(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def linked(lists):
    folder, left, right = lists
    out = folder / "matches.csv"
    call_command("link_lists", left, right, "--id-column", "编号", "--out", str(out))
    return read_out(out)


def test_it_writes_one_row_per_matched_pair(linked):
    pairs = {(row["left_id"], row["right_id"]) for row in linked}
    assert pairs == {(f"C{i:03d}", f"P{i}") for i in range(1, 11)}
    assert all(0.9 <= float(row["probability"]) <= 1 for row in linked)


def test_the_evidence_names_the_columns_and_levels(linked):
    evidence = {row["right_id"]: row["evidence"] for row in linked}
    assert "身份证号: 1 typo" in evidence["P1"]
    assert "身份证号: missing" in evidence["P2"]
    assert "出生日期: missing" in evidence["P3"]
    assert "姓名: exact" in evidence["P4"]
    # Only the shared columns are compared; the id column is not.
    assert "车次" not in evidence["P4"] and "编号" not in evidence["P4"]


def test_column_types_can_be_given_and_id_columns_named_per_file(lists, tmp_path):
    folder, left, _right = lists
    right = write_csv(
        tmp_path / "plain.csv",
        ["ID", "姓名", "出生日期", "住址"],
        [["x1", "王小明", "1980-01-01", "武昌区某路1号"]],
        "utf-8",
    )
    out, said = tmp_path / "m.csv", io.StringIO()
    call_command(
        "link_lists",
        left,
        right,
        "--left-id",
        "编号",
        "--right-id",
        "ID",
        "--column-type",
        "住址=ignore",
        "--column-type",
        "出生日期=text",
        "--out",
        str(out),
        stdout=said,
    )
    assert "Comparing 姓名 (name), 出生日期 (text)\n" in said.getvalue()
    assert read_out(out) == []  # 王小明 is not on the case list


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--id-column", "序号"], "has no column 序号"),
        (["--left-id", "编号"], "Name the id column"),
        (["--id-column", "编号", "--column-type", "姓名"], "write NAME=TYPE"),
        (["--id-column", "编号", "--column-type", "车次=text"], "not a column of both files"),
        (["--id-column", "编号", "--threshold", "2"], "--threshold"),
    ],
)
def test_it_says_what_is_wrong(lists, tmp_path, options, message):
    _folder, left, right = lists
    with pytest.raises(CommandError, match=message):
        call_command("link_lists", left, right, *options, "--out", str(tmp_path / "m.csv"))


def test_it_refuses_files_that_share_nothing_but_the_id(lists, tmp_path):
    _folder, left, _right = lists
    other = write_csv(tmp_path / "o.csv", ["编号", "车次", "座位"], [["1", "G1", "3A"]], "gbk")
    with pytest.raises(CommandError, match="share no column"):
        call_command(
            "link_lists", left, other, "--id-column", "编号", "--out", str(tmp_path / "m.csv")
        )

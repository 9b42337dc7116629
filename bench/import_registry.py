"""Import a 15,000-row registry sheet (Xinmin Road's size) through the real check and import
jobs, on a fresh SQLite database in a temporary directory, and time each step.

    python -m bench.import_registry [--rows 15000]

Prints progress lines, then one JSON object on the last line: rows, seconds for the check, the
import and an identical re-import (which must create nobody), and rows per second.
"""

import argparse
import io
import json
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta


def build_sheet(rows: int, buildings: list[str], seed: int = 7) -> bytes:
    from openpyxl import Workbook

    from linli.residents.idnumber import make_id_number

    rng = random.Random(seed)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂英"
    tags = ["", "", "", "", "chronic", "disabled", "low_income", "dialysis", "without_family"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民登记")
    sheet.append(
        [
            "楼栋",
            "单元",
            "房号",
            "姓名",
            "身份证号",
            "性别",
            "出生日期",
            "手机号",
            "与户主关系",
            "特殊群体",
        ]
    )
    households = []
    for building in buildings:
        for entrance in (1, 2, 3):
            for floor in range(1, 7):
                for flat in (1, 2):
                    households.append((building, entrance, f"{floor}0{flat}"))
    used = set()
    person = 0
    while person < rows:
        building, entrance, room = households[person * len(households) // rows]
        birth = date(1935, 1, 1) + timedelta(days=rng.randrange(365 * 88))
        seq = rng.randrange(1000)
        if (birth, seq) in used:
            continue
        used.add((birth, seq))
        name = rng.choice(surnames) + "".join(rng.choices(given, k=rng.choice((1, 2))))
        number = make_id_number("420106", birth, seq)
        if rng.random() < 0.003:  # a few typos, so the preview has errors to list
            number = number[:17] + ("0" if number[17] != "0" else "1")
        with_id = rng.random() < 0.97  # some old records have no ID number
        sex = "男" if seq % 2 else "女"
        sheet.append(
            [
                building,
                entrance,
                room,
                name,
                number if with_id else None,
                None if with_id else sex,
                None if with_id else birth,
                f"13{rng.randrange(10**9):09d}",
                "本人" if person % 2 == 0 else "妻子",
                rng.choice(tags),
            ]
        )
        person += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"import_registry: {message}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=15_000)
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="linli-bench-")
    # A throwaway SQLite database and keys; background jobs run in-process.
    os.environ.pop("DATABASE_URL", None)
    os.environ["LINLI_DATA_DIR"] = workdir
    os.environ["LINLI_TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from linli.accounts.choices import Role
    from linli.accounts.services import grant_role
    from linli.places.models import Building, Community, Grid
    from linli.residents import import_services
    from linli.residents.models import ImportBatch, ImportStatus, Resident
    from linli.testing import make_user

    community = Community.objects.create(name="新民主路社区", code="xinmin")
    grids = [
        Grid.objects.create(community=community, number=n, name=f"第{n}网格") for n in range(1, 6)
    ]
    numbers = [str(n) for n in range(1, 201)]
    for i, number in enumerate(numbers):
        Building.objects.create(community=community, grid=grids[i % 5], number=number)
    staff = make_user("bench-staff")
    grant_role(user=staff, role=Role.STAFF, community=community)

    started = time.perf_counter()
    content = build_sheet(args.rows, numbers)
    print(
        f"sheet: {args.rows} rows, {len(content) / 1e6:.1f} MB, "
        f"{time.perf_counter() - started:.1f} s to build",
        file=sys.stderr,
    )

    def run_once():
        t0 = time.perf_counter()
        batch = import_services.import_batch_create(
            actor=staff, community=community, filename="bench.xlsx", content=content
        )
        batch.refresh_from_db()
        t1 = time.perf_counter()
        check(batch.status == ImportStatus.VALIDATED, f"check: {batch.status} {batch.file_error}")
        import_services.import_batch_confirm(actor=staff, batch=batch)
        batch = ImportBatch.objects.get(pk=batch.pk)
        t2 = time.perf_counter()
        check(batch.status == ImportStatus.IMPORTED, f"import: {batch.status} {batch.file_error}")
        print(
            f"check {t1 - t0:.1f} s, import {t2 - t1:.1f} s: {batch.valid_rows} valid, "
            f"{batch.error_rows} with errors, {batch.created_count} created, "
            f"{batch.updated_count} updated",
            file=sys.stderr,
        )
        return batch, t1 - t0, t2 - t1

    first, check_s, import_s = run_once()
    residents = Resident.objects.count()
    second, recheck_s, reimport_s = run_once()
    check(Resident.objects.count() == residents, "a re-import must not add anybody")
    check(second.created_count == 0, "a re-import must create nobody")
    result = {
        "bench": "import_registry",
        "rows": args.rows,
        "valid_rows": first.valid_rows,
        "error_rows": first.error_rows,
        "created": first.created_count,
        "check_seconds": round(check_s, 2),
        "import_seconds": round(import_s, 2),
        "recheck_seconds": round(recheck_s, 2),
        "reimport_seconds": round(reimport_s, 2),
        "reimport_created": second.created_count,
        "reimport_updated": second.updated_count,
        "check_rows_per_second": round(args.rows / check_s),
        "import_rows_per_second": round(args.rows / import_s),
        "rows_per_second": round(args.rows / (check_s + import_s)),
        "database": "sqlite",
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

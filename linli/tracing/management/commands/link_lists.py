"""Link two lists with no registry involved: the same engine as the registry cross-check.

    manage.py link_lists LEFT.csv RIGHT.csv --id-column 编号 --out matches.csv
    manage.py link_lists a.xlsx b.csv --left-id 序号 --right-id ID --column-type 车次=text

The columns both files share are compared, each as the type its name or values suggest
(`linli.tracing.linkage.infer_types`) unless `--column-type NAME=TYPE` says otherwise (TYPE
`ignore` leaves a column out). The id columns identify rows and are never compared. The output
(UTF-8 with a BOM, which Excel opens correctly) has one row per matched pair: left id, right id,
probability, and the evidence per column.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from linli.tracing import linkage, listfile

IGNORE = "ignore"
# A command-line run on one machine: the limits are the machine's, not the upload form's.
MAX_ROWS = 5_000_000
MAX_BYTES = 2 * 1024**3
# Rows of each file that type inference looks at.
SAMPLE_ROWS = 500


class Command(BaseCommand):
    help = (
        "Link two lists (CSV in UTF-8 or GBK, or .xlsx) by probabilistic record linkage on the "
        "columns they share; write one row per matched pair: left id, right id, probability."
    )

    def add_arguments(self, parser):
        parser.add_argument("left", help="the first list")
        parser.add_argument("right", help="the second list")
        parser.add_argument("--id-column", help="the id column, same name in both files")
        parser.add_argument("--left-id", help="the id column of the first list")
        parser.add_argument("--right-id", help="the id column of the second list")
        parser.add_argument("--out", required=True, help="the CSV file to write the matches to")
        parser.add_argument(
            "--column-type",
            action="append",
            default=[],
            metavar="NAME=TYPE",
            help=f"compare column NAME as TYPE: {', '.join(linkage.COLUMN_TYPES)} or {IGNORE}",
        )
        parser.add_argument(
            "--threshold", type=float, default=0.9, help="lowest match probability kept"
        )

    def handle(self, *args, **options):
        left_id = options["left_id"] or options["id_column"]
        right_id = options["right_id"] or options["id_column"]
        if not left_id or not right_id:
            raise CommandError(_("Name the id column: --id-column, or --left-id and --right-id."))
        if not 0 < options["threshold"] <= 1:
            raise CommandError(_("--threshold must be a probability above 0 and at most 1."))
        left = read(options["left"], left_id)
        right = read(options["right"], right_id)
        types = column_types(left, right, ids=(left_id, right_id), given=options["column_type"])
        self.stdout.write(
            _("Comparing %(columns)s")
            % {"columns": ", ".join(f"{column} ({kind})" for column, kind in types.items())}
        )

        def progress(done, total, step):
            if options["verbosity"] >= 2:
                self.stdout.write(f"  {done}/{total} {step}")

        try:
            result = linkage.link(
                [row for _n, row in left.rows],
                [row for _n, row in right.rows],
                types=types,
                left_id=left_id,
                right_id=right_id,
                threshold=options["threshold"],
                progress=progress,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        write_matches(options["out"], result)
        self.stdout.write(
            _(
                "%(matches)d matched pairs written to %(out)s; %(unmatched)d of %(rows)d rows "
                "of %(right)s matched nothing."
            )
            % {
                "matches": len(result.matches),
                "out": options["out"],
                "unmatched": len(result.unmatched_right),
                "rows": len(right.rows),
                "right": options["right"],
            }
        )


def read(path: str, id_column: str) -> listfile.ListFile:
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
        ) from exc
    try:
        table = listfile.read_list(content, max_rows=MAX_ROWS, max_bytes=MAX_BYTES)
    except listfile.ListFileError as exc:
        raise CommandError(f"{path}: {exc.message}") from exc
    if id_column not in table.headers:
        raise CommandError(
            _("%(path)s has no column %(column)s; its columns are: %(headers)s")
            % {"path": path, "column": id_column, "headers": ", ".join(table.headers)}
        )
    return table


def column_types(left, right, *, ids, given) -> dict[str, str]:
    """The type of every column both files have, the id columns left out."""
    shared = [h for h in left.headers if h in right.headers and h not in ids]
    if not shared:
        raise CommandError(
            _("The two files share no column to compare besides the ids (%(left)s | %(right)s).")
            % {"left": ", ".join(left.headers), "right": ", ".join(right.headers)}
        )
    sample = [row for _n, row in left.rows[:SAMPLE_ROWS] + right.rows[:SAMPLE_ROWS]]
    types = linkage.infer_types(shared, sample)
    for item in given:
        name, sep, kind = item.partition("=")
        name, kind = name.strip(), kind.strip().lower()
        if not sep or kind not in (*linkage.COLUMN_TYPES, IGNORE):
            raise CommandError(
                _("--column-type %(item)s: write NAME=TYPE, TYPE one of %(types)s")
                % {"item": item, "types": ", ".join((*linkage.COLUMN_TYPES, IGNORE))}
            )
        if name not in shared:
            raise CommandError(
                _("--column-type %(item)s: %(name)s is not a column of both files")
                % {"item": item, "name": name}
            )
        types[name] = kind
    types = {column: kind for column, kind in types.items() if kind != IGNORE}
    if not types:
        raise CommandError(_("Every shared column is ignored: nothing is left to compare."))
    return types


def write_matches(path: str, result: linkage.LinkResult) -> None:
    try:
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["left_id", "right_id", "probability", "evidence"])
            for match in result.matches:
                evidence = "; ".join(f"{c}: {label}" for c, label in match.evidence.items())
                writer.writerow(
                    [match.left_id, match.right_id, f"{match.probability:.4f}", evidence]
                )
    except OSError as exc:
        raise CommandError(
            _("Cannot write %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
        ) from exc

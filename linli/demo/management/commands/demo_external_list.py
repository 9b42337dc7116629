"""manage.py demo_external_list OUT.csv: a confirmed-case list to cross-check the demo with."""

import csv
import io

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.crypto import decrypt
from linli.demo.external import external_list
from linli.demo.services import COMMUNITY_CODE
from linli.residents.models import Resident


class Command(BaseCommand):
    help = (
        "Write a city's confirmed-case list (GBK CSV, as such lists arrive) with some of the demo "
        "community's residents, misspelt as such lists are, and some strangers, to try the "
        "cross-check with."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="the CSV file to write")
        parser.add_argument("--size", type=int, default=40)
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--encoding", default="gbk", choices=["gbk", "utf-8-sig"])

    def handle(self, *args, out, size, seed, encoding, **options):
        if not 5 <= size <= 5000:
            raise CommandError(_("--size must be 5 to 5000."))
        residents = Resident.objects.active().filter(
            household__building__community__code=COMMUNITY_CODE
        )
        # Grown-ups of the demo, in a stable order, so the same seed gives the same list.
        sample = residents.order_by("id")[: size * 50]
        people = [
            {
                "name": r.name,
                "sex": r.sex,
                "birth_date": r.birth_date,
                "id_number": decrypt(r.id_number_encrypted) if r.id_number_encrypted else "",
                "phone": r.phone,
            }
            for r in sample
        ]
        if not people:
            raise CommandError(_("No demo community: load it with `manage.py seed_demo`."))
        rows = external_list(people, seed=seed, size=size, today=timezone.localdate())
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        with open(out, "w", encoding=encoding, newline="") as handle:
            handle.write(buffer.getvalue())
        self.stdout.write(_("Wrote %(n)d rows to %(out)s.") % {"n": len(rows) - 1, "out": out})

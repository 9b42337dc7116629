"""manage.py seed_demo: load the demo community (Xinmin Road, 6,514 households)."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from linli.core.errors import ApplicationError
from linli.demo import engine
from linli.demo.services import demo_reset, demo_seed
from linli.places.models import Community
from linli.taskpool.choices import Status
from linli.workforce.choices import Force


class Command(BaseCommand):
    help = (
        "Load the demo community, Xinmin Road (新民主路社区): 6,514 households, 14,411 "
        "residents, 13 demo logins, the roster of every force, a few hundred tasks in every "
        "state, suppliers, a pickup-point plan, a round being collected with door-delivery "
        "routes and a round open for orders. Refuses if it is already loaded, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if any community exists (for `make run`).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo community and the demo logins first, then load it afresh.",
        )
        size = parser.add_mutually_exclusive_group()
        size.add_argument(
            "--households",
            type=int,
            help=f"Number of households (default {engine.FULL_HOUSEHOLDS}), for small test runs.",
        )
        size.add_argument(
            "--scale",
            type=float,
            help="Fraction of the full community, e.g. 0.05 for about 330 households.",
        )
        parser.add_argument("--seed", type=int, default=2020, help="Random seed (default 2020).")
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            help="The date ages are counted to (YYYY-MM-DD; default today).",
        )

    def handle(self, *args, **options):
        if options["if_empty"] and Community.objects.exists():
            self.stdout.write(_("A community already exists: demo data not loaded."))
            return
        households = options["households"]
        if options["scale"] is not None:
            if not 0 < options["scale"] <= 10:
                raise CommandError(_("--scale must be above 0 and at most 10."))
            households = round(engine.FULL_HOUSEHOLDS * options["scale"])
        households = households or engine.FULL_HOUSEHOLDS
        if households < 10:
            raise CommandError(_("The demo community needs at least 10 households."))

        started = time.monotonic()
        if options["reset"] and demo_reset():
            self.stdout.write(_("Deleted the previous demo community and demo logins."))
        try:
            summary = demo_seed(seed=options["seed"], households=households, today=options["as_of"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Loaded %(name)s: %(grids)d grids, %(buildings)d buildings, "
                    "%(households)d households, %(residents)d residents, %(users)d demo logins "
                    "in %(seconds).1f s."
                )
                % {
                    "name": engine.COMMUNITY["name"],
                    **summary,
                    "seconds": time.monotonic() - started,
                }
            )
        )
        self.stdout.write(
            _("Roster: %(workers)d workers (%(forces)s); task pool: %(tasks)d tasks (%(states)s).")
            % {
                "workers": summary["workers"],
                "forces": ", ".join(f"{Force(k).label} {n}" for k, n in summary["forces"].items()),
                "tasks": summary["tasks"],
                "states": ", ".join(f"{Status(k).label} {n}" for k, n in summary["states"].items()),
            }
        )
        self.stdout.write(
            _(
                "Supplies: %(suppliers)d suppliers, %(packages)d packages; %(pickup_points)d "
                "pickup points; open round: %(open_round_orders)d orders; round being "
                "collected: %(closed_round_orders)d orders, %(collected)d collected, "
                "%(door_deliveries)d door deliveries in %(routes)d routes."
            )
            % summary
        )
        self.stdout.write(
            _(
                "Health: %(health_reports)d daily reports and %(checkins)d check-ins over two "
                "weeks; %(quarantines_in_force)d quarantines in force. Psychological support: "
                "%(care_screenings)d screenings, %(care_cases_open)d open cases."
            )
            % summary
        )

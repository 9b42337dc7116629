from django.core.management.base import BaseCommand

from linli.supplies.pickup import pickups_mark_all_no_shows


class Command(BaseCommand):
    help = (
        "Orders not collected by the end of their pickup slot (plus the grace period) become "
        "no-shows, each with a check-on visit in the task pool. Run it every few minutes from "
        "cron or a systemd timer during pickup days."
    )

    def handle(self, *args, **options):
        count = pickups_mark_all_no_shows()
        self.stdout.write(f"marked {count} no-show(s)")

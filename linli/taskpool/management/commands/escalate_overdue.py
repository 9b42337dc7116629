from django.core.management.base import BaseCommand

from linli.taskpool.services import tasks_escalate_overdue


class Command(BaseCommand):
    help = (
        "Flag live tasks past their due time for the grid's staff (once each). "
        "Run it every few minutes from cron or a systemd timer."
    )

    def handle(self, *args, **options):
        count = tasks_escalate_overdue()
        self.stdout.write(f"escalated {count} overdue task(s)")

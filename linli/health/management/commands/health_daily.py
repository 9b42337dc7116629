"""The daily health round (cron, once a day after LINLI_HEALTH_REPORT_HOUR): a follow-up task
per quarantine in force (and a release-or-extend task for those past their planned end), then,
per community, a check-on task per household with no health report today."""

from django.core.management.base import BaseCommand

from linli.health.services import missing_report_tasks, quarantines_daily
from linli.places.models import Community


class Command(BaseCommand):
    help = "Create today's quarantine follow-up tasks and check-on tasks for missing reports."

    def handle(self, *args, **options):
        # Quarantines of every community in one round (the service walks them all).
        done = quarantines_daily()
        self.stdout.write(
            f"quarantines: {done['followups']} follow-up tasks, "
            f"{done['ending']} past their planned end"
        )
        for community in Community.objects.order_by("pk"):
            made = missing_report_tasks(community=community)
            self.stdout.write(f"{community.name}: {made} new check-on tasks for missing reports")

"""The daily psychological-support round (cron, once a day): every open case whose follow-up
is due puts a counselling task in the pool for its counsellor (high risk daily, moderate
weekly); a live task for the person absorbs the repeat."""

from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from linli.care.choices import CaseStatus
from linli.care.models import CareCase
from linli.care.services import followups_due


class Command(BaseCommand):
    help = "Create today's counselling follow-up tasks for the open cases that are due."

    def handle(self, *args, **options):
        today = timezone.localdate()
        # Counted before the round: what was due in each community today.
        due = (
            CareCase.objects.filter(status=CaseStatus.OPEN, next_due__lte=today)
            .values("resident__household__building__community__name")
            .annotate(n=Count("id"))
            .order_by("resident__household__building__community__name")
        )
        for row in due:
            name = row["resident__household__building__community__name"]
            self.stdout.write(f"{name}: {row['n']} follow-ups due")
        made = followups_due(today=today)
        self.stdout.write(f"care: {made} new counselling tasks")

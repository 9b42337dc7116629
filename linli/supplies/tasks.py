"""Background jobs of the supplies app."""

from django_tasks import task


@task()
def notify_round_closed(round_id: int) -> int:
    from linli.supplies.pickup import round_notify_households

    return round_notify_households(round_id=round_id)

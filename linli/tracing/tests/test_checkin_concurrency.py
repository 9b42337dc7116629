"""A double tap on "I am entering" sends the scan twice at once: one visit, not two. Real
threads with their own connections, on SQLite (as production runs it) and on PostgreSQL."""

import threading

import pytest
from django.db import connection

from linli.places.models import PublicPlace
from linli.tracing.models import CheckIn

pytestmark = pytest.mark.django_db(transaction=True)

TAPS = 8
ROUNDS = 6


def test_simultaneous_scans_make_one_visit(world, shared_database):
    from linli.tracing import services

    places = [
        PublicPlace.objects.create(
            community=world.community, grid=world.grid_a, kind="shop", name=f"店{n}", x=n, y=n
        )
        for n in range(ROUNDS)
    ]
    resident = world.residents["zhang"]
    user = world.user("resident")
    shared_database()
    errors = []

    def tap(barrier, place):
        try:
            # Each thread opens its connection before the barrier, so the scans really meet.
            connection.ensure_connection()
            barrier.wait(timeout=30)
            services.checkin_scan(actor=user, place=place, residents=[resident])
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    for place in places:
        barrier = threading.Barrier(TAPS)
        threads = [threading.Thread(target=tap, args=(barrier, place)) for _ in range(TAPS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    for place in places:
        assert CheckIn.objects.filter(resident=resident, place=place).count() == 1
    # Each new place closed the visit before it: exactly one visit is still open.
    assert CheckIn.objects.filter(resident=resident, left_at__isnull=True).count() == 1

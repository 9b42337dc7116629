"""Idempotency-Key: the same key twice (a double tap, a retry after a timeout) gives one order
and the same answer, status code included."""

import pytest

from linli.supplies import services
from linli.supplies.models import IdempotentResponse, Order, RoundItem
from linli.supplies.testing import make_round
from linli.supplies.tests.test_api import api, items, place, stock


@pytest.fixture
def round_(world):
    return make_round(world)


def test_the_same_key_twice_gives_one_order_and_the_same_answer(world, round_):
    veg, eggs = items(round_)
    client = api(world.user("resident"))
    household = world.residents["zhang"].household
    first = place(client, round_, household, {veg.pk: 2, eggs.pk: 1}, key="tap-1")
    second = place(client, round_, household, {veg.pk: 2, eggs.pk: 1}, key="tap-1")
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert "Idempotent-Replayed" not in first and second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1 and stock(round_) == [48, 19]
    stored = IdempotentResponse.objects.get()
    assert (stored.scope, stored.key, stored.status_code) == (f"round:{round_.pk}", "tap-1", 201)
    assert stored.body["id"] == Order.objects.get().pk


def test_the_replay_is_the_first_answer_even_when_the_order_changed_since(world, round_):
    veg, _eggs = items(round_)
    client = api(world.user("resident"))
    household = world.residents["zhang"].household
    first = place(client, round_, household, {veg.pk: 2}, key="k")
    services.order_cancel(actor=None, order=Order.objects.get())
    again = place(client, round_, household, {veg.pk: 2}, key="k")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.json()["status"] == "placed"  # verbatim: the answer given then
    assert Order.objects.count() == 1 and stock(round_) == [50, 20]


def test_a_refusal_is_replayed_too_and_reserves_nothing(world, round_):
    veg, eggs = items(round_)
    RoundItem.objects.filter(pk=eggs.pk).update(stock=0)
    client = api(world.user("resident"))
    household = world.residents["zhang"].household
    first = place(client, round_, household, {veg.pk: 1, eggs.pk: 1}, key="retry")
    assert first.status_code == 409 and first.json()["error"]["code"] == "out_of_stock"
    RoundItem.objects.filter(pk=eggs.pk).update(stock=5)  # restocked meanwhile
    again = place(client, round_, household, {veg.pk: 1, eggs.pk: 1}, key="retry")
    assert again.status_code == 409 and again.content == first.content
    assert not Order.objects.exists() and stock(round_) == [50, 5]
    # A new key is a new attempt.
    assert place(client, round_, household, {veg.pk: 1, eggs.pk: 1}, key="new").status_code == 201


def test_a_404_for_a_household_one_may_not_order_for_is_replayed(world, round_):
    veg, _ = items(round_)
    client = api(world.user("grid_b"))
    zhang = world.residents["zhang"].household
    first = place(client, round_, zhang, {veg.pk: 1}, key="k")
    again = place(client, round_, zhang, {veg.pk: 1}, key="k")
    assert first.status_code == again.status_code == 404
    assert first.content == again.content and not Order.objects.exists()


def test_keys_are_per_user_and_per_round(world, round_):
    veg, _ = items(round_)
    zhang = world.residents["zhang"].household
    wang = world.residents["wang"].household
    resident = api(world.user("resident"))
    assert place(resident, round_, zhang, {veg.pk: 1}, key="k").status_code == 201
    # Another user reusing the key for another household is told so, not given the order.
    response = place(api(world.user("grid_a")), round_, wang, {veg.pk: 1}, key="k")
    assert response.status_code == 409 and response.json()["error"]["code"] == "key_reused"
    other = make_round(world, title="第二批")
    other_veg, _ = items(other)
    response = place(api(world.user("resident")), other, zhang, {other_veg.pk: 1}, key="k")
    assert response.status_code == 201
    assert Order.objects.count() == 2


def test_without_a_key_each_submission_is_a_new_attempt(world, round_):
    veg, _ = items(round_)
    client = api(world.user("resident"))
    zhang = world.residents["zhang"].household
    assert place(client, round_, zhang, {veg.pk: 1}).status_code == 201
    again = place(client, round_, zhang, {veg.pk: 1})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_ordered"
    assert not IdempotentResponse.objects.exists()


def test_a_key_longer_than_80_characters_is_refused(world, round_):
    veg, _ = items(round_)
    client = api(world.user("resident"))
    response = place(client, round_, world.residents["zhang"].household, {veg.pk: 1}, key="x" * 81)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["error"]["fields"]
    assert not Order.objects.exists()


def test_the_service_returns_the_earlier_order_for_a_repeated_key(world, round_):
    veg, _ = items(round_)
    zhang = world.residents["zhang"].household
    first, created = services.order_place(
        actor=None, round_=round_, household=zhang, lines={veg.pk: 1}, idempotency_key="s"
    )
    again, created_again = services.order_place(
        actor=None, round_=round_, household=zhang, lines={veg.pk: 2}, idempotency_key="s"
    )
    assert (created, created_again) == (True, False) and again.pk == first.pk
    assert stock(round_) == [49, 20]

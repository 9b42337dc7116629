"""The contact-tracing engine on small handmade cases, and DuckDB against SQLite and against a
brute-force reading of the rules on random small cities. Times are epoch seconds."""

import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linli.tracing.engine import (
    LONG_STAY_SECONDS,
    DuckDBStore,
    SQLiteStore,
    TraceParams,
    trace,
    trace_sqlite,
    write_checkins_parquet,
)

MIN = 60
HOUR = 3600
DAY = 86_400
T0 = 1_648_742_400  # 2022-04-01 00:00 +08:00
WEEK = (T0, T0 + 7 * DAY)


def at(hour: float) -> int:
    return T0 + int(hour * HOUR)


def run(tmp_path, rows, cases, links=(), **params):
    """Trace with DuckDB and with SQLite; both must agree."""
    path = tmp_path / "checkins.parquet"
    write_checkins_parquet(rows, path, sort=False)  # the engine needs no order; sorting is slower
    params = TraceParams(**params)
    duck = trace(path, cases, links, params)
    lite = SQLiteStore.from_rows(rows, default_stay_seconds=params.default_stay_seconds)
    assert duck.contacts == lite.trace(cases, links, params).contacts
    return duck


def people(result, hop=1, kind=None):
    return {c.person_id for c in result.contacts if c.hop == hop and kind in (None, c.kind)}


def test_a_10_minute_gap_is_a_contact_with_the_15_minute_buffer(tmp_path):
    rows = [(1, 7, at(10), at(11)), (2, 7, at(11) + 10 * MIN, at(12))]
    result = run(tmp_path, rows, [(1, *WEEK)])
    [contact] = result.contacts
    assert (contact.person_id, contact.source_id, contact.place_id) == (2, 1, 7)
    # Only the buffer joins them: no time together, exposed when the contact arrived.
    assert contact.overlap_seconds == 0
    assert contact.exposure_at == at(11) + 10 * MIN


def test_a_20_minute_gap_is_not(tmp_path):
    rows = [(1, 7, at(10), at(11)), (2, 7, at(11) + 20 * MIN, at(12))]
    assert run(tmp_path, rows, [(1, *WEEK)]).contacts == []


def test_a_gap_of_exactly_the_buffer_is_not(tmp_path):
    rows = [(1, 7, at(10), at(11)), (2, 7, at(11) + 15 * MIN, at(12))]
    rows += [(3, 7, at(9), at(10) - 15 * MIN)]
    assert run(tmp_path, rows, [(1, *WEEK)]).contacts == []


def test_the_buffer_works_both_ways_and_is_a_parameter(tmp_path):
    # The contact left 10 minutes before the index case came.
    rows = [(1, 7, at(10), at(11)), (2, 7, at(9), at(10) - 10 * MIN)]
    assert people(run(tmp_path, rows, [(1, *WEEK)])) == {2}
    assert run(tmp_path, rows, [(1, *WEEK)], buffer_seconds=5 * MIN).contacts == []


def test_overlapping_stays_give_where_when_and_how_long(tmp_path):
    rows = [(1, 7, at(10), at(11)), (2, 7, at(10.5), at(12)), (3, 8, at(10.5), at(12))]
    [contact] = run(tmp_path, rows, [(1, *WEEK)]).contacts
    assert contact.kind == "place" and contact.place_id == 7 and contact.hop == 1
    assert (contact.start, contact.end, contact.overlap_seconds) == (at(10.5), at(11), 30 * MIN)


def test_outside_the_index_window_is_not_a_contact(tmp_path):
    rows = [
        (1, 7, at(10), at(11)),  # before the window: the case was not yet infectious
        (2, 7, at(10), at(11)),
        (1, 8, at(30), at(31)),  # inside
        (3, 8, at(30), at(31)),
        (1, 9, at(50), at(51)),  # after
        (4, 9, at(50), at(51)),
    ]
    assert people(run(tmp_path, rows, [(1, at(24), at(48))])) == {3}


def test_a_stay_across_the_window_start_counts_only_inside_it(tmp_path):
    rows = [
        (1, 7, at(23), at(25)),
        (2, 7, at(23), at(23.5)),  # left before the window opened: not a contact
        (3, 7, at(23.5), at(24.5)),  # half an hour together inside the window
    ]
    [contact] = run(tmp_path, rows, [(1, at(24), at(48))]).contacts
    assert contact.person_id == 3
    assert (contact.start, contact.overlap_seconds) == (at(24), 30 * MIN)


def test_windows_can_differ_per_case(tmp_path):
    rows = [(1, 7, at(10), at(11)), (2, 7, at(10), at(11)), (3, 7, at(10), at(11))]
    rows += [(5, 8, at(30), at(31)), (6, 8, at(30), at(31))]
    result = run(tmp_path, rows, [(1, at(0), at(20)), (5, at(40), at(60))])
    assert people(result) == {2, 3}


def test_household_and_direct_links(tmp_path):
    rows = [(9, 7, at(100), at(101))]  # somebody's check-in: the file is never empty
    links = [
        (1, 2, "household", None),
        (3, 1, "household", None),  # symmetric: the index case may be either side
        (1, 4, "direct", at(30)),
        (1, 5, "direct", at(60)),  # after the window
        (6, 1, "direct", None),
    ]
    result = run(tmp_path, rows, [(1, at(24), at(48))], links)
    assert people(result, kind="household") == {2, 3}
    assert people(result, kind="direct") == {4, 6}
    by_person = {c.person_id: c for c in result.contacts}
    home = by_person[2]
    assert home.place_id is None
    assert (home.exposure_at, home.end, home.overlap_seconds) == (at(24), at(48), DAY)
    assert (by_person[4].exposure_at, by_person[4].overlap_seconds) == (at(30), 0)
    assert by_person[6].exposure_at == at(24)


def test_one_row_per_person_source_kind_and_place(tmp_path):
    rows = [
        (1, 7, at(10), at(11)),
        (2, 7, at(10), at(11)),
        (1, 7, at(34), at(35)),  # the next day, same place
        (2, 7, at(34.5), at(35)),
        (1, 8, at(12), at(13)),  # another place
        (2, 8, at(12), at(12.5)),
    ]
    result = run(tmp_path, rows, [(1, *WEEK)], [(1, 2, "household", None)])
    assert sorted((c.kind, c.place_id) for c in result.contacts) == [
        ("household", None),
        ("place", 7),
        ("place", 8),
    ]
    seven = next(c for c in result.contacts if c.place_id == 7)
    assert (seven.start, seven.end, seven.overlap_seconds) == (at(10), at(35), 90 * MIN)


def test_a_stay_scanned_twice_is_not_counted_twice(tmp_path):
    rows = [
        (1, 7, at(10), at(11)),
        (2, 7, at(10), at(11)),
        (2, 7, at(10) + 5 * MIN, at(11)),  # scanned again five minutes later
    ]
    # The same household listed twice, once each way round.
    links = [(1, 3, "household", None), (3, 1, "household", None)]
    place, home = run(tmp_path, rows, [(1, *WEEK)], links).contacts
    assert (place.person_id, place.overlap_seconds) == (2, HOUR)
    assert (home.person_id, home.overlap_seconds) == (3, 7 * DAY)


def test_no_exit_recorded_gets_the_default_stay(tmp_path):
    rows = [(1, 7, at(10), None), (2, 7, at(10) + 40 * MIN, at(12))]
    assert run(tmp_path, rows, [(1, *WEEK)]).contacts[0].overlap_seconds == 0  # buffer only
    [contact] = run(tmp_path, rows, [(1, *WEEK)], default_stay_seconds=HOUR).contacts
    assert contact.overlap_seconds == 20 * MIN


def test_min_overlap_drops_brief_place_contacts_only(tmp_path):
    rows = [(1, 7, at(10), at(11)), (2, 7, at(10.9), at(12)), (3, 7, at(10), at(11))]
    result = run(tmp_path, rows, [(1, *WEEK)], [(1, 4, "direct", at(30))], min_overlap_seconds=900)
    assert people(result) == {3, 4}


def test_long_stays_are_found_too(tmp_path):
    # A night shift: longer than the stays the bucketed join handles.
    long = LONG_STAY_SECONDS + 2 * HOUR
    rows = [(1, 7, at(20), at(20) + long), (2, 7, at(22), at(23)), (3, 7, at(9), at(9) + long)]
    rows.append((4, 7, at(14), at(14.5)))  # meets the long stay of index case 3
    result = run(tmp_path, rows, [(3, *WEEK), (2, *WEEK)])
    assert people(result) == {1, 4}


def test_index_cases_are_not_their_own_contacts(tmp_path):
    rows = [(1, 7, at(10), at(11)), (2, 7, at(10), at(11)), (3, 7, at(10), at(11))]
    links = [(1, 2, "household", None), (1, 1, "direct", at(10))]
    result = run(tmp_path, rows, [(1, *WEEK), (2, *WEEK)], links, second_hop=True)
    assert people(result) == {3}
    assert all(c.person_id not in (1, 2) for c in result.contacts)
    assert {c.source_id for c in result.contacts} == {1, 2}


def test_second_hop_respects_time_order(tmp_path):
    # A (2) shares a home with the index case (1), infectious from 10:00.
    rows = [
        (2, 8, at(8), at(9)),  # A met B (3) before: B cannot have caught it from A
        (3, 8, at(8), at(9)),
        (2, 9, at(12), at(13)),  # A meets C (4) afterwards
        (4, 9, at(12), at(13)),
        (2, 7, at(9), at(11)),  # A is at a shop from 9:00 to 11:00; D (5) left 6 minutes
        (5, 7, at(9), at(9.9)),  # before A's exposure (within the buffer): not counted;
        (6, 7, at(10.5), at(10.75)),  # E (6) came after it: counted
    ]
    links = [
        (1, 2, "household", None),
        (2, 7, "direct", at(9)),
        (2, 8, "direct", at(14)),
        (2, 9, "household", None),
    ]
    result = run(tmp_path, rows, [(1, at(10), WEEK[1])], links, second_hop=True)
    assert people(result, hop=1) == {2}
    assert people(result, hop=2) == {4, 6, 8, 9}
    onward = {c.person_id: c for c in result.second_hop}
    assert onward[4].source_id == 2 and onward[4].exposure_at == at(12)
    assert onward[9].exposure_at == at(10)  # at home from A's exposure on
    assert all(c.exposure_at >= at(10) for c in result.second_hop)


def test_second_hop_stops_at_the_cap_keeping_the_closest(tmp_path):
    rows = [(1, 7, at(10), at(11)), (2, 7, at(10), at(11))]
    # A (2) later meets ten people at a shop, the longest stay first, and has a household.
    rows += [(2, 8, at(12), at(14))]
    rows += [(10 + i, 8, at(12), at(14) - i * 5 * MIN) for i in range(10)]
    links = [(2, 30, "household", None)]
    result = run(tmp_path, rows, [(1, *WEEK)], links, second_hop=True, second_hop_cap=3)
    assert people(result, hop=2) == {30, 10, 11}
    assert result.second_hop_capped
    uncapped = run(tmp_path, rows, [(1, *WEEK)], links, second_hop=True, second_hop_cap=None)
    assert len(people(uncapped, hop=2)) == 11
    assert not uncapped.second_hop_capped


def test_no_second_hop_unless_asked(tmp_path):
    rows = [(1, 7, at(10), at(11)), (2, 7, at(10), at(11)), (2, 8, at(12), at(13))]
    rows.append((3, 8, at(12), at(13)))
    result = run(tmp_path, rows, [(1, *WEEK)])
    assert result.second_hop == [] and "second_hop" not in result.timings


def test_links_and_check_ins_from_parquet(tmp_path):
    rows = [(1, 7, at(10), at(11)), (2, 7, at(10.5), None)]
    checkins = tmp_path / "checkins.parquet"
    assert write_checkins_parquet(iter(rows), checkins, chunk_rows=1) == 2
    stored = pq.read_table(checkins).to_pylist()
    assert [r["left_at"] for r in stored] == [at(11), None]
    links = tmp_path / "links.parquet"
    pq.write_table(
        pa.table(
            {
                "person_a": [1, 5],
                "person_b": [3, 1],
                "kind": ["household", "direct"],
                "at": pa.array([None, at(30)], type=pa.int64()),
            }
        ),
        links,
    )
    result = trace(checkins, [(1, *WEEK)], links)
    assert people(result) == {2, 3, 5}
    assert trace_sqlite(SQLiteStore.from_rows(rows).connection, [(1, *WEEK)], links).contacts == (
        result.contacts
    )


def test_bad_input_is_refused(tmp_path):
    store = SQLiteStore.from_rows([(1, 7, at(10), at(11))])
    with pytest.raises(ValueError, match="since < until"):
        store.trace([(1, at(5), at(5))])
    with pytest.raises(ValueError, match="household"):
        store.trace([(1, *WEEK)], [(1, 2, "neighbour", None)])
    with pytest.raises(ValueError, match="default_stay"):
        store.trace([(1, *WEEK)], params=TraceParams(default_stay_seconds=60))
    with pytest.raises(ValueError, match="buffer"):
        TraceParams(buffer_seconds=-1)


def test_progress_is_reported(tmp_path):
    calls = []
    rows = [(1, 7, at(10), at(11)), (2, 7, at(10), at(11))]
    SQLiteStore.from_rows(rows).trace(
        [(1, *WEEK)],
        params=TraceParams(second_hop=True),
        progress=lambda done, total, message: calls.append((done, total, message)),
    )
    assert calls[0][:2] == (0, 3) and calls[-1][:2] == (3, 3)
    assert [done for done, _total, _message in calls] == sorted(done for done, _t, _m in calls)


# --- random cities ----------------------------------------------------------------------------


def random_city(seed: int, n: int = 3000, origin: int = T0):
    rng = random.Random(seed)

    def t(hours: float) -> int:
        return origin + int(hours * HOUR)

    rows = []
    for _ in range(n):
        entered = t(rng.uniform(0, 24 * 6))
        # Mostly short stays, some without an exit, a few longer than the bucketed ones.
        stay = rng.choice([rng.randint(0, 3 * HOUR)] * 8 + [LONG_STAY_SECONDS + HOUR, None])
        rows.append(
            (
                rng.randint(1, 300),
                rng.randint(1, 25),
                entered,
                None if stay is None else entered + stay,
            )
        )
    links = [
        (rng.randint(1, 300), rng.randint(1, 300), rng.choice(["household", "direct"]), None)
        for _ in range(60)
    ]
    links = [(a, b, k, t(rng.uniform(0, 150)) if k == "direct" else None) for a, b, k, _ in links]
    cases = [
        (p, t(rng.uniform(0, 48)), t(rng.uniform(72, 150))) for p in rng.sample(range(1, 301), 8)
    ]
    return rows, links, cases


def brute_force_place_contacts(rows, cases, buffer: int, default_stay: int):
    """The place rule read literally, pair by pair: {(person, source, place): (first, overlap)}."""
    stays = [
        (p, pl, e, e + default_stay if left is None else max(left, e)) for p, pl, e, left in rows
    ]
    index_people = {p for p, _s, _u in cases}
    meetings: dict[tuple, list] = {}
    for source, since, until in cases:
        for p, place, a1, a2 in stays:
            if p != source or not (a1 < until and a2 > since):
                continue
            a1, a2 = max(a1, since), min(a2, until)
            for q, place_b, b1, b2 in stays:
                if q in index_people or place_b != place:
                    continue
                if b1 < a2 + buffer and a1 < b2 + buffer and b2 > since:
                    start = max(a1, b1)
                    meetings.setdefault((q, source, place), []).append(
                        (start, max(start, min(a2, b2)))
                    )
    out = {}
    for key, spans in meetings.items():
        total, reach = 0, None
        for s, e in sorted(spans):
            if reach is None or s > reach:
                total, reach = total + e - s, e
            elif e > reach:
                total, reach = total + e - reach, e
        out[key] = (min(s for s, _e in spans), total)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_duckdb_and_sqlite_agree_on_a_random_city(tmp_path, seed):
    rows, links, cases = random_city(seed)
    path = tmp_path / "city.parquet"
    write_checkins_parquet(rows, path)
    params = TraceParams(second_hop=True, second_hop_cap=40)
    duck = DuckDBStore(path).trace(cases, links, params)
    lite = SQLiteStore.from_rows(rows).trace(cases, links, params)
    assert duck.first_hop and duck.second_hop
    assert duck.contacts == lite.contacts


# Times around 0 too: negative hours must fall into the right buckets.
@pytest.mark.parametrize(("seed", "origin"), [(4, T0), (5, -3 * DAY)])
def test_place_contacts_follow_the_rule_read_literally(tmp_path, seed, origin):
    rows, _links, cases = random_city(seed, n=1500, origin=origin)
    params = TraceParams(buffer_seconds=20 * MIN, default_stay_seconds=45 * MIN)
    expected = brute_force_place_contacts(rows, cases, 20 * MIN, 45 * MIN)
    assert expected
    path = tmp_path / "city.parquet"
    write_checkins_parquet(rows, path, sort=False)
    stores = [
        SQLiteStore.from_rows(rows, default_stay_seconds=params.default_stay_seconds),
        DuckDBStore(path, default_stay_seconds=params.default_stay_seconds),
    ]
    for store in stores:
        found = {
            (c.person_id, c.source_id, c.place_id): (c.exposure_at, c.overlap_seconds)
            for c in store.trace(cases, params=params).contacts
        }
        assert found == expected

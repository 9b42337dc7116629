"""Contact tracing: who met the index cases, where, when and for how long. Pure computation, no
Django: fed check-ins exported to Parquet (or a SQLite table) and plain lists, run in DuckDB
(DESIGN.md: tracing analytics) or, with the same SQL, in SQLite (the benchmark's baseline and
the tests' cross-check).

Time is epoch seconds (int) everywhere in this module; the Django side converts its aware
datetimes at the boundary.

Three ways to be a contact of a source (an index case with its infectious window, or for the
second hop a first-hop contact from their earliest exposure to the end of the period):

- place: both at the same place, the stays overlapping once widened by the buffer
  (a1 < b2 + buffer and b1 < a2 + buffer), the source's stay [a1, a2] clipped to its window,
  and the contact still there after the window opened (b2 > since: without it the buffer
  would let a second hop reach back before the first-hop person was exposed);
- household: a household link, exposed for the whole window (its length is the time
  together);
- direct: a recorded direct contact, exposed at its time (the window's start when it has
  none; a time outside the window does not count), of no known length.

Index cases are never contacts; a second-hop contact is neither an index case nor a first-hop
contact. The result has ONE row per (person, source, kind, place): the earliest exposure, the
span from the first meeting to the end of the last, and the real time together (the union of
the overlaps, so a stay scanned twice counts once; 0 when only the buffer joins two stays, the
meeting then being at the later arrival).

Speed: a join on place_id with the interval as a filter would compare every stay of an index
case with every check-in at that place over the whole period. Instead every short check-in
carries a key for its place and the hour it started in, each source stay is expanded into the
few keys a matching stay could have (the hours from a1 - buffer - longest stay to
a2 + buffer), and the join is one equality on that key: one hash join that builds the small
side, and, the key being a single column, lets DuckDB drop the check-ins with no matching key
while scanning them. Stays longer than LONG_STAY_SECONDS (rare) would widen every expansion, so
they go through a plain join on place_id. What is left in Python is what SQL does slowly: the
union of overlapping meetings, for the few groups with more than one, and the second-hop cap.
"""

from __future__ import annotations

import gc
import os
import re
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from heapq import heapify, heappop, nsmallest
from itertools import compress, repeat
from pathlib import Path
from typing import NamedTuple

BUCKET_SECONDS = 3600
# Longer stays than this are joined on place_id alone: few, and a wider bucket expansion for
# every source stay would cost more than they do.
LONG_STAY_SECONDS = 4 * 3600
# Second-hop sources are expanded in batches, closest first, so that reaching the cap stops the
# work instead of tracing everyone first and cutting afterwards; without a cap, large batches
# (each batch scans the check-ins once) that still keep the hash table small.
SECOND_HOP_BATCH = 2000
SECOND_HOP_BATCH_UNCAPPED = 20000

# In SQL a kind is its position here, which is also the order of closeness.
KINDS = ("household", "direct", "place")
PLACE = KINDS.index("place")
CHECKIN_COLUMNS = ("person_id", "place_id", "entered_at", "left_at")
LINK_COLUMNS = ("person_a", "person_b", "kind", "at")

Progress = Callable[[int, int, str], None]
Links = Iterable[tuple] | str | Path


@dataclass(frozen=True)
class TraceParams:
    buffer_seconds: int = 900
    # Used when a check-in has no exit (left_at NULL).
    default_stay_seconds: int = 1800
    second_hop: bool = False
    # Most second-hop people kept in total; None: no cap.
    second_hop_cap: int | None = 5000
    # A place contact needs at least this much real time together (summed over the period).
    min_overlap_seconds: int = 0

    def __post_init__(self):
        for name in ("buffer_seconds", "default_stay_seconds", "min_overlap_seconds"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.second_hop_cap is not None and self.second_hop_cap < 0:
            raise ValueError("second_hop_cap must be >= 0 or None")


class Contact(NamedTuple):
    """One row per (person, source, kind, place). A named tuple: hundreds of thousands are made
    per trace, and a tuple is several times cheaper to build than a frozen dataclass."""

    person_id: int
    source_id: int  # the index case, or for hop 2 the first-hop contact they met
    hop: int  # 1 or 2
    kind: str  # 'place', 'household' or 'direct'
    place_id: int | None  # None for a household or direct link
    start: int  # first meeting (epoch seconds)
    end: int  # end of the last meeting
    overlap_seconds: int  # real time together (union of the meetings); a household: the window
    exposure_at: int  # earliest exposure (= start); a second hop must come after it


# Contact._make without its Python frame, for map().
_new_contact = partial(tuple.__new__, Contact)


@dataclass
class TraceResult:
    # First hop, then second hop, each ordered by source, person, kind (household, direct,
    # place) and place.
    contacts: list[Contact]
    # Seconds: 'load' (check-ins and links into the store; 0 once the store has been traced),
    # 'links' (links given to trace() itself), 'first_hop', 'second_hop'.
    timings: dict[str, float] = field(default_factory=dict)
    # True when the second hop stopped at the cap (more people could have been found).
    second_hop_capped: bool = False

    @property
    def first_hop(self) -> list[Contact]:
        return [c for c in self.contacts if c.hop == 1]

    @property
    def second_hop(self) -> list[Contact]:
        return [c for c in self.contacts if c.hop == 2]

    def people(self, hop: int | None = None) -> set[int]:
        return {c.person_id for c in self.contacts if hop is None or c.hop == hop}


# --- SQL -------------------------------------------------------------------------------------
# One text for both engines. Only {div} (integer division: DuckDB `//`, SQLite `/`, both
# truncating, which is all the buckets need: the same monotonic rule on both sides) and
# {source} (where raw rows come from) are filled in, never data: values go in as $parameters.

# The range of the hours the check-ins start in: [base, base + span).
HOURS_SQL = """
SELECT low {div} $bucket, high {div} $bucket - low {div} $bucket + 1
FROM (
    SELECT CAST(min(entered_at) AS BIGINT) AS low, CAST(max(entered_at) AS BIGINT) AS high
    FROM {source}
) AS hours
"""

# key: the place and the hour a short stay started in, as one number (one join key lets
# DuckDB filter the check-ins against the keys it needs while scanning them); NULL for a long
# stay.
LOAD_SQL = """
CREATE TEMP TABLE tr_checkins AS
SELECT person_id, place_id, entered_at, left_at,
       CASE WHEN left_at - entered_at <= $long_stay
            THEN place_id * $span + entered_at {div} $bucket - $base END AS key
FROM (
    SELECT CAST(person_id AS BIGINT) AS person_id, CAST(place_id AS BIGINT) AS place_id,
           CAST(entered_at AS BIGINT) AS entered_at,
           -- no exit recorded: the default stay; an exit before the entry: a zero stay
           CAST(CASE WHEN left_at IS NULL THEN entered_at + $default_stay
                     WHEN left_at < entered_at THEN entered_at
                     ELSE left_at END AS BIGINT) AS left_at
    FROM {source}
) AS raw
"""

LONG_SQL = """
CREATE TEMP TABLE tr_long AS
SELECT person_id, place_id, entered_at, left_at FROM tr_checkins WHERE key IS NULL
"""

# Kept one way round; the meetings query reads them both ways. "at" is a keyword in DuckDB.
LINKS_SQL = """
CREATE TEMP TABLE tr_links AS
SELECT CAST(person_a AS BIGINT) AS person_a, CAST(person_b AS BIGINT) AS person_b,
       CASE kind WHEN 'household' THEN 0 WHEN 'direct' THEN 1 END AS kind,
       CAST("at" AS BIGINT) AS met_at
FROM {source}
WHERE person_a <> person_b
"""

# A source's stays, clipped to its window.
SOURCE_STAYS_SQL = """
CREATE TEMP TABLE tr_src_stays AS
SELECT s.source_id, s.since, c.place_id,
       CASE WHEN c.entered_at > s.since THEN c.entered_at ELSE s.since END AS a1,
       CASE WHEN c.left_at < s.until THEN c.left_at ELSE s.until END AS a2
FROM tr_sources AS s JOIN tr_checkins AS c ON c.person_id = s.source_id
WHERE c.entered_at < s.until AND c.left_at > s.since
"""

# A short stay that can meet [a1, a2] starts after a1 - buffer - (the longest short stay), the
# reach, and before a2 + buffer: these buckets.
SPAN_SQL = """
SELECT max((a2 + $buffer) {div} $bucket - (a1 - $reach) {div} $bucket) FROM tr_src_stays
"""

SOURCE_BUCKETS_SQL = """
CREATE TEMP TABLE tr_src_buckets AS
SELECT source_id, since, place_id, a1, a2, place_id * $span + bucket - $base AS key
FROM (
    SELECT i.source_id, i.since, i.place_id, i.a1, i.a2,
           (i.a1 - $reach) {div} $bucket + o.k AS bucket
    FROM tr_src_stays AS i
    JOIN tr_offsets AS o
      ON o.k <= (i.a2 + $buffer) {div} $bucket - (i.a1 - $reach) {div} $bucket
) AS expanded
-- outside the hours of the check-ins a key would name another place's hour
WHERE bucket >= $base AND bucket < $base + $span
"""

# Every meeting of a source with a person, of each kind.
MEETINGS_SQL = """
CREATE TEMP TABLE tr_meetings AS
WITH encounters AS (
    SELECT b.person_id, i.source_id, 2 AS kind, i.place_id,
           CASE WHEN b.entered_at > i.a1 THEN b.entered_at ELSE i.a1 END AS start_at,
           CASE WHEN b.left_at < i.a2 THEN b.left_at ELSE i.a2 END AS end_at
    FROM tr_src_buckets AS i
    JOIN tr_checkins AS b ON b.key = i.key
    WHERE b.entered_at < i.a2 + $buffer AND b.left_at > i.a1 - $buffer AND b.left_at > i.since
    UNION ALL
    SELECT b.person_id, i.source_id, 2, i.place_id,
           CASE WHEN b.entered_at > i.a1 THEN b.entered_at ELSE i.a1 END,
           CASE WHEN b.left_at < i.a2 THEN b.left_at ELSE i.a2 END
    FROM tr_src_stays AS i
    JOIN tr_long AS b ON b.place_id = i.place_id
    WHERE b.entered_at < i.a2 + $buffer AND b.left_at > i.a1 - $buffer AND b.left_at > i.since
    UNION ALL
    -- household (0): the whole window; direct (1): at its time, or the window's start
    SELECT l.person_b, s.source_id, l.kind, NULL,
           CASE WHEN l.kind = 1 AND l.met_at IS NOT NULL THEN l.met_at ELSE s.since END,
           CASE WHEN l.kind = 0 THEN s.until
                WHEN l.met_at IS NOT NULL THEN l.met_at ELSE s.since END
    FROM tr_sources AS s JOIN tr_links AS l ON l.person_a = s.source_id
    WHERE l.kind = 0 OR l.met_at IS NULL OR (l.met_at >= s.since AND l.met_at < s.until)
    UNION ALL
    SELECT l.person_a, s.source_id, l.kind, NULL,
           CASE WHEN l.kind = 1 AND l.met_at IS NOT NULL THEN l.met_at ELSE s.since END,
           CASE WHEN l.kind = 0 THEN s.until
                WHEN l.met_at IS NOT NULL THEN l.met_at ELSE s.since END
    FROM tr_sources AS s JOIN tr_links AS l ON l.person_b = s.source_id
    WHERE l.kind = 0 OR l.met_at IS NULL OR (l.met_at >= s.since AND l.met_at < s.until)
)
-- Only the buffer joins them: a meeting of no length at the later arrival.
SELECT person_id, source_id, kind, place_id, start_at,
       CASE WHEN end_at > start_at THEN end_at ELSE start_at END AS end_at
FROM encounters
WHERE person_id NOT IN (SELECT person_id FROM tr_excluded)
"""

# One row per (person, source, kind, place). The sum of the meetings' lengths is their union
# when there is one meeting, nearly always; the others (a stay scanned twice, several stays at
# one place) are merged in Python from their meetings, far cheaper than windowing every row
# to find the few that need it. Place ids are NULL only for links, whose kinds come first, so
# the order is the same in both engines whatever they do with NULLs.
GROUPS_SQL = """
SELECT person_id, source_id, kind, place_id, min(start_at), max(end_at),
       CAST(sum(end_at - start_at) AS BIGINT), count(*)
FROM tr_meetings
GROUP BY person_id, source_id, kind, place_id
ORDER BY source_id, person_id, kind, place_id
"""

SEVERAL_SQL = """
SELECT m.person_id, m.source_id, m.kind, m.place_id, m.start_at, m.end_at
FROM tr_meetings AS m
JOIN tr_several AS k ON k.person_id = m.person_id AND k.source_id = m.source_id
"""

# name: columns of the tables filled from Python.
TABLES = {
    "tr_sources": (("source_id", "BIGINT"), ("since", "BIGINT"), ("until", "BIGINT")),
    "tr_excluded": (("person_id", "BIGINT"),),
    "tr_links_raw": (
        ("person_a", "BIGINT"),
        ("person_b", "BIGINT"),
        ("kind", "VARCHAR"),
        ("at", "BIGINT"),
    ),
    "tr_offsets": (("k", "BIGINT"),),
    "tr_several": (("person_id", "BIGINT"), ("source_id", "BIGINT")),
}
# SQLite finds rows through indexes (DuckDB hashes and needs none).
SQLITE_INDEXES = {
    "tr_checkins": ("person_id", "key"),
    "tr_long": ("place_id",),
    "tr_links": ("person_a", "person_b"),
    "tr_excluded": ("person_id",),
}


def _bind(sql: str, values: dict) -> dict:
    """The parameters the statement names (DuckDB refuses unused ones)."""
    names = set(re.findall(r"\$([a-z_]+)", sql))
    return {k: v for k, v in values.items() if k in names}


# --- the engines ------------------------------------------------------------------------------


class _Store(ABC):
    """Loaded check-ins and links, and the tracing steps; subclasses say how to talk to their
    database. One store per connection: its tables are temp tables named tr_*."""

    div = "//"

    def __init__(self, *, default_stay_seconds: int):
        self.default_stay_seconds = int(default_stay_seconds)
        # Set by the load: the longest stay in the bucketed table, the hours of the check-ins.
        self.max_short_stay = 0
        self.hours = (0, 1)
        self.load_seconds = 0.0

    # Each engine (DuckDB, SQLite) says how to talk to its database.

    @abstractmethod
    def _execute(self, sql: str, values: dict | None = None) -> list[tuple]:
        """Run one statement to the end and return its rows."""

    @abstractmethod
    def _columns(self, sql: str, values: dict | None = None) -> list[list]:
        """A large result column by column, as fast as the engine can hand it over."""

    @abstractmethod
    def _put(self, name: str, rows: Sequence[tuple]) -> None:
        """Replace table `name` (see TABLES) with these rows."""

    def _index(self, table: str) -> None:  # noqa: B027 (a hook: only SQLite indexes)
        """Called after a table is made; SQLite indexes it."""

    def _load_links_parquet(self, path: str | Path) -> None:
        self._put("tr_links_raw", _read_links_parquet(path))
        self._create_links("tr_links_raw")

    # Shared.

    def _run(self, template: str, values: dict | None = None, **parts) -> list[tuple]:
        sql = template.format(div=self.div, **parts)
        return self._execute(sql, _bind(sql, values or {}))

    def _create(self, table: str, template: str, values: dict | None = None, **parts) -> None:
        self._execute(f"DROP TABLE IF EXISTS {table}")
        self._run(template, values, **parts)
        self._index(table)

    def _load(self, source: str, values: dict, links: Links) -> None:
        started = time.perf_counter()
        values = {**values, "bucket": BUCKET_SECONDS}
        base, span = self._run(HOURS_SQL, values, source=source)[0]
        self.hours = (int(base or 0), int(span or 1))
        values.update(
            default_stay=self.default_stay_seconds,
            long_stay=LONG_STAY_SECONDS,
            base=self.hours[0],
            span=self.hours[1],
        )
        self._create("tr_checkins", LOAD_SQL, values, source=source)
        self._create("tr_long", LONG_SQL)
        row = self._execute(
            "SELECT max(left_at - entered_at) FROM tr_checkins WHERE key IS NOT NULL"
        )
        self.max_short_stay = int(row[0][0] or 0)
        self.set_links(links)
        self.load_seconds = time.perf_counter() - started

    def set_links(self, links: Links) -> None:
        """Replace the links: (person_a, person_b, kind, at) rows, kind 'household' or 'direct',
        `at` epoch seconds or None, either way round; or a Parquet file of those columns."""
        if isinstance(links, str | Path):
            self._load_links_parquet(links)
        else:
            self._put("tr_links_raw", [tuple(link) for link in links])
            self._create_links("tr_links_raw")

    def _create_links(self, source: str, values: dict | None = None) -> None:
        self._create("tr_links", LINKS_SQL, values, source=source)
        self._execute("DROP TABLE IF EXISTS tr_links_raw")
        if self._execute("SELECT count(*) FROM tr_links WHERE kind IS NULL")[0][0]:
            raise ValueError("a link's kind must be 'household' or 'direct'")

    def count(self) -> int:
        """How many check-ins are loaded."""
        return int(self._execute("SELECT count(*) FROM tr_checkins")[0][0])

    # -- tracing --

    def trace(
        self,
        index_cases: Iterable[tuple[int, int, int]],
        links: Links | None = None,
        params: TraceParams | None = None,
        progress: Progress | None = None,
    ) -> TraceResult:
        """Contacts of the index cases (person_id, since, until): the first hop, and with
        params.second_hop the second. `links`, if given, replace the store's (see set_links)."""
        params = params or TraceParams()
        if params.default_stay_seconds != self.default_stay_seconds:
            raise ValueError(
                "default_stay_seconds differs from the one the check-ins were loaded with"
            )
        # Hundreds of thousands of result tuples would set off the cyclic garbage collector
        # again and again (doubling the time to build them); none of them can form a cycle.
        with _gc_paused():
            return self._trace(index_cases, links, params, progress)

    def _trace(self, index_cases, links, params: TraceParams, progress) -> TraceResult:
        cases = _check_cases(index_cases)
        steps = 3 if params.second_hop else 2
        timings = {"load": round(self.load_seconds, 4)}
        self.load_seconds = 0.0  # traced again, the store has nothing left to load
        if links is not None:
            started = time.perf_counter()
            self.set_links(links)
            timings["links"] = round(time.perf_counter() - started, 4)
        _report(progress, 0, steps, "first hop")

        started = time.perf_counter()
        index_people = sorted({p for p, _s, _u in cases})
        self._put("tr_excluded", [(p,) for p in index_people])
        first = self._hop(cases, params, hop=1)
        timings["first_hop"] = round(time.perf_counter() - started, 4)
        _report(progress, 1, steps, f"first hop: {len(first)} contacts")

        second: list[Contact] = []
        capped = False
        if params.second_hop:
            started = time.perf_counter()
            period_end = max((u for _p, _s, u in cases), default=0)
            second, capped = self._second_hop(first, index_people, period_end, params)
            timings["second_hop"] = round(time.perf_counter() - started, 4)
            _report(progress, 2, steps, f"second hop: {len(second)} contacts")
        _report(progress, steps, steps, "done")
        return TraceResult(
            contacts=first + sorted(second, key=_order),
            timings=timings,
            second_hop_capped=capped,
        )

    def _hop(self, sources: Sequence[tuple[int, int, int]], params: TraceParams, hop: int):
        """Contacts of `sources` (source_id, since, until), leaving out the people in
        tr_excluded."""
        self._put("tr_sources", sources)
        self._create("tr_src_stays", SOURCE_STAYS_SQL)
        values = {
            "buffer": int(params.buffer_seconds),
            "reach": int(params.buffer_seconds) + self.max_short_stay,
            "bucket": BUCKET_SECONDS,
            "base": self.hours[0],
            "span": self.hours[1],
        }
        span = self._run(SPAN_SQL, values)[0][0]
        self._put("tr_offsets", [(k,) for k in range(int(span or 0) + 1)])
        self._create("tr_src_buckets", SOURCE_BUCKETS_SQL, values)
        self._create("tr_meetings", MEETINGS_SQL, values)
        person, source, kind, place, start, end, overlap, count = self._columns(GROUPS_SQL)
        several = {
            i: (person[i], source[i], kind[i], place[i])
            for i in compress(range(len(count)), map((1).__lt__, count))
        }
        union = self._unions(set(several.values()))
        for i, key in several.items():
            overlap[i] = union[key]
        kinds = map(KINDS.__getitem__, kind)
        # Built column by column in C: a Python call per contact would double the time.
        rows = zip(person, source, repeat(hop), kinds, place, start, end, overlap, start)
        contacts = list(map(_new_contact, rows))
        least = int(params.min_overlap_seconds)
        if least:
            contacts = [c for c in contacts if c.kind != "place" or c.overlap_seconds >= least]
        return contacts

    def _unions(self, several: set[tuple]) -> dict[tuple, int]:
        """The real time together of the groups with several meetings."""
        if not several:
            return {}
        self._put("tr_several", sorted({(p, s) for p, s, _k, _pl in several}))
        meetings: dict[tuple, list[tuple[int, int]]] = {}
        for p, s, kind, place, start, end in self._execute(SEVERAL_SQL):
            if (p, s, kind, place) in several:
                meetings.setdefault((p, s, kind, place), []).append((start, end))
        return {key: _union_length(spans) for key, spans in meetings.items()}

    def _second_hop(
        self,
        first: list[Contact],
        index_people: list[int],
        period_end: int,
        params: TraceParams,
    ) -> tuple[list[Contact], bool]:
        """Onward contacts of the first-hop people, each from their earliest exposure to the
        end of the period (time order: what happened before they were exposed cannot spread
        what they caught). With a cap, the closest first-hop contacts are expanded first, the
        people found closest kept first, and the work stops once the cap is reached."""
        closest = _closest(first)
        self._put("tr_excluded", [(p,) for p in sorted({*index_people, *closest})])
        cap = params.second_hop_cap
        size = SECOND_HOP_BATCH if cap is not None else SECOND_HOP_BATCH_UNCAPPED
        kept: set[int] = set()
        found: list[Contact] = []
        for batch, more in _batches(list(closest.values()), size):
            # Each from their earliest exposure (key[3]) on.
            sources = [(key[-1], key[3], period_end) for key in batch if key[3] < period_end]
            rows = self._hop(sources, params, hop=2) if sources else []
            new = [key for p, key in _closest(rows).items() if p not in kept]
            room = len(new) if cap is None else cap - len(kept)
            kept.update(key[-1] for key in (new if room >= len(new) else nsmallest(room, new)))
            found.extend(rows)
            if cap is not None and len(kept) >= cap and (len(new) > room or more):
                # More people were found, or could be, than the cap keeps.
                return [c for c in found if c.person_id in kept], True
        return [c for c in found if c.person_id in kept], False


class DuckDBStore(_Store):
    """Check-ins (and links) read once from Parquet into DuckDB's memory, ready for many
    traces."""

    div = "//"

    def __init__(
        self,
        checkins_path: str | Path,
        *,
        links: Links = (),
        default_stay_seconds: int = 1800,
        connection=None,
        threads: int | None = None,
        memory_limit: str | None = "1536MB",
    ):
        import duckdb

        super().__init__(default_stay_seconds=default_stay_seconds)
        self.connection = connection if connection is not None else duckdb.connect()
        self._execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
        if memory_limit:
            if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", str(memory_limit)):
                raise ValueError(f"memory_limit like '1536MB', not {memory_limit!r}")
            self._execute(f"SET memory_limit = '{memory_limit}'")
        # The hash joins do not need the file's order; dropping it lets the load run in parallel.
        self._execute("SET preserve_insertion_order = false")
        self._load("read_parquet($path)", {"path": str(checkins_path)}, links)

    def _execute(self, sql: str, values: dict | None = None) -> list[tuple]:
        return self.connection.execute(sql, values or {}).fetchall()

    def _columns(self, sql: str, values: dict | None = None) -> list[list]:
        # Through NumPy: several times faster than fetchall() row by row.
        columns = self.connection.execute(sql, values or {}).fetchnumpy()
        return [column.tolist() for column in columns.values()]

    def _put(self, name: str, rows: Sequence[tuple]) -> None:
        import pyarrow as pa

        columns = TABLES[name]
        arrays = [
            pa.array([r[i] for r in rows], type=pa.string() if kind == "VARCHAR" else pa.int64())
            for i, (_col, kind) in enumerate(columns)
        ]
        view = f"{name}_arrow"
        self.connection.register(view, pa.table(arrays, names=[c for c, _k in columns]))
        try:
            self._execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")  # noqa: S608 (constant names)
        finally:
            self.connection.unregister(view)

    def _load_links_parquet(self, path: str | Path) -> None:
        # Read by DuckDB itself: a city's household links never pass through Python.
        self._create_links("read_parquet($path)", {"path": str(path)})


class SQLiteStore(_Store):
    """The same engine on SQLite: check-ins from a table (person_id, place_id, entered_at,
    left_at) copied into indexed temp tables. The baseline the benchmark compares DuckDB with,
    and the tests' second opinion."""

    div = "/"

    def __init__(
        self,
        connection: sqlite3.Connection | str | Path,
        *,
        table: str = "checkins",
        links: Links = (),
        default_stay_seconds: int = 1800,
    ):
        super().__init__(default_stay_seconds=default_stay_seconds)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
            raise ValueError(f"not a table name: {table!r}")
        if not isinstance(connection, sqlite3.Connection):
            connection = sqlite3.connect(str(connection))
        self.connection = connection
        self._load(table, {}, links)

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple], *, links: Links = (), default_stay_seconds: int = 1800
    ) -> SQLiteStore:
        """A store in a private in-memory SQLite database, from (person_id, place_id,
        entered_at, left_at) rows."""
        conn = sqlite3.connect(":memory:")
        conn.execute(
            "CREATE TABLE checkins (person_id INTEGER, place_id INTEGER,"
            " entered_at INTEGER, left_at INTEGER)"
        )
        conn.executemany("INSERT INTO checkins VALUES (?, ?, ?, ?)", rows)
        return cls(conn, links=links, default_stay_seconds=default_stay_seconds)

    def _execute(self, sql: str, values: dict | None = None) -> list[tuple]:
        return self.connection.execute(sql, values or {}).fetchall()

    def _columns(self, sql: str, values: dict | None = None) -> list[list]:
        cursor = self.connection.execute(sql, values or {})
        rows = cursor.fetchall()
        if not rows:
            return [[] for _ in cursor.description]
        return [list(column) for column in zip(*rows, strict=True)]

    def _put(self, name: str, rows: Sequence[tuple]) -> None:
        columns = TABLES[name]
        self.connection.execute(f"DROP TABLE IF EXISTS {name}")
        self.connection.execute(
            f"CREATE TEMP TABLE {name} ({', '.join(f'{_quoted(c)} {t}' for c, t in columns)})"
        )
        marks = ", ".join("?" for _ in columns)
        self.connection.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)  # noqa: S608 (constant names)
        self._index(name)

    def _index(self, table: str) -> None:
        for i, cols in enumerate(SQLITE_INDEXES.get(table, ())):
            self.connection.execute(f"CREATE INDEX temp.{table}_{i} ON {table} ({cols})")


# --- entry points -----------------------------------------------------------------------------


def trace(
    checkins_path: str | Path,
    index_cases: Iterable[tuple[int, int, int]],
    links: Links = (),
    params: TraceParams | None = None,
    progress: Progress | None = None,
    connection=None,
) -> TraceResult:
    """Load the check-ins Parquet (and the links) into DuckDB and trace once. To trace several
    times over the same check-ins, open a DuckDBStore and call its trace()."""
    params = params or TraceParams()
    _report(progress, 0, 3 if params.second_hop else 2, "loading check-ins")
    store = DuckDBStore(
        checkins_path,
        links=links,
        default_stay_seconds=params.default_stay_seconds,
        connection=connection,
    )
    return store.trace(index_cases, None, params, progress)


def trace_sqlite(
    connection: sqlite3.Connection | str | Path,
    index_cases: Iterable[tuple[int, int, int]],
    links: Links = (),
    params: TraceParams | None = None,
    progress: Progress | None = None,
    table: str = "checkins",
) -> TraceResult:
    """The same trace over a SQLite table of check-ins."""
    params = params or TraceParams()
    store = SQLiteStore(
        connection, table=table, links=links, default_stay_seconds=params.default_stay_seconds
    )
    return store.trace(index_cases, None, params, progress)


def write_checkins_parquet(
    rows: Iterable[tuple],
    path: str | Path,
    *,
    chunk_rows: int = 500_000,
    sort: bool = True,
) -> int:
    """Write (person_id, place_id, entered_at, left_at) rows to Parquet in chunks (no pandas;
    left_at may be None) and return how many. With sort, the file is ordered by place_id,
    entered_at so that row-group statistics can skip what a query does not need."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    schema = pa.schema([(c, pa.int64()) for c in CHECKIN_COLUMNS])
    target = path.with_name(path.name + ".unsorted") if sort else path
    count = 0
    with pq.ParquetWriter(str(target), schema) as writer:
        chunk: list[tuple] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= chunk_rows:
                writer.write_table(_chunk_table(chunk, schema))
                count += len(chunk)
                chunk = []
        if chunk or count == 0:
            writer.write_table(_chunk_table(chunk, schema))
            count += len(chunk)
    if sort:
        sort_checkins_parquet(target, path)
        target.unlink()
    return count


def sort_checkins_parquet(source: str | Path, target: str | Path) -> None:
    """Copy a check-ins Parquet file ordered by place_id, entered_at."""
    import duckdb

    con = duckdb.connect()
    try:
        # COPY takes no parameter for its target; the path is quoted.
        con.execute(
            "COPY (SELECT person_id, place_id, entered_at, left_at FROM read_parquet($src)"  # noqa: S608
            f" ORDER BY place_id, entered_at) TO '{_quote(target)}' (FORMAT parquet)",
            {"src": str(source)},
        )
    finally:
        con.close()


# --- helpers ----------------------------------------------------------------------------------


def _chunk_table(chunk: list[tuple], schema):
    import pyarrow as pa

    columns = list(zip(*chunk, strict=True)) if chunk else [[] for _ in CHECKIN_COLUMNS]
    return pa.table(
        [pa.array(col, type=pa.int64()) for col in columns], names=list(CHECKIN_COLUMNS)
    ).cast(schema)


def _read_links_parquet(path: str | Path) -> list[tuple]:
    import pyarrow.parquet as pq

    table = pq.read_table(str(path), columns=list(LINK_COLUMNS))
    return list(zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True))


def _check_cases(index_cases: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    cases = []
    for person, since, until in index_cases:
        if since is None or until is None or int(since) >= int(until):
            raise ValueError(f"index case {person}: the window must have since < until")
        cases.append((int(person), int(since), int(until)))
    return cases


@contextmanager
def _gc_paused():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _union_length(spans: list[tuple[int, int]]) -> int:
    """How long the union of these [start, end] spans lasts."""
    total, reach = 0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total, reach = total + end - start, end
        elif end > reach:
            total, reach = total + end - reach, end
    return total


def _closest(contacts: Iterable[Contact]) -> dict[int, tuple]:
    """{person: (kind rank, -overlap, exposure, earliest exposure, person)} from each person's
    closest contact. The keys sort closer first: a household, then a direct contact, then the
    longest time together. Item 3 is the person's earliest exposure over all their contacts.
    Flat tuples of ints: they sort several times faster than nested ones."""
    rank = {kind: i for i, kind in enumerate(KINDS)}
    best: dict[int, tuple] = {}
    earliest: dict[int, int] = {}
    for p, _source, _hop, kind, _place, _start, _end, overlap, exposure in contacts:
        key = (rank[kind], -overlap, exposure)
        old = best.get(p)
        if old is None or key < old:
            best[p] = key
        first = earliest.get(p)
        if first is None or exposure < first:
            earliest[p] = exposure
    return {p: (*key, earliest[p], p) for p, key in best.items()}


def _batches(keys: list[tuple], size: int) -> Iterator[tuple[list[tuple], bool]]:
    """The keys in order, `size` at a time, each batch with whether more follow. A heap: when
    the cap is reached after a batch or two, the rest is never sorted."""
    heapify(keys)
    while keys:
        batch = [heappop(keys) for _ in range(min(size, len(keys)))]
        yield batch, bool(keys)


def _order(c: Contact) -> tuple:
    """The order GROUPS_SQL gives each hop in."""
    return (c.source_id, c.person_id, KINDS.index(c.kind), c.place_id or 0)


def _quoted(name: str) -> str:
    """An SQL identifier (a link's time is a column named "at", a keyword in DuckDB)."""
    return '"' + name + '"'


def _quote(path: str | Path) -> str:
    return str(path).replace("'", "''")


def _report(progress: Progress | None, done: int, total: int, message: str) -> None:
    if progress is not None:
        progress(done, total, message)

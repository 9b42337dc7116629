"""Probabilistic record linkage (Fellegi-Sunter, Splink 5 on DuckDB) of two lists of people.

The same engine serves the registry cross-check (an uploaded case or passenger list against
the residents, whose ID numbers the caller decrypts in memory) and `manage.py link_lists`
(two files, no registry). It is pure: plain dicts in, plain dataclasses out, no Django.

    prepared columns   each input column gets a type (`COLUMN_TYPES`); `prepare` normalises it
                       and adds derived keys: a name's pinyin and initials (张伟 and 张玮 share
                       "zhangwei"; 曾 reads zeng through the surname table), an ID number's
                       region, birth digits and tail.
    blocking           only pairs sharing something are scored: ID region + birth digits (and
                       the two other pairs of the ID's three parts, so one typo anywhere still
                       blocks), phone, pinyin name, date + name initials, each identifier.
    comparisons        per shared column, levels from exact through "1 typo" / "same pinyin"
                       to "different", and a "missing" level that weighs nothing.
    training           the prior match rate from deterministic rules (same ID number; same
                       pinyin and birth date or phone); u from a seeded random sample of all
                       pairs, less the true pairs the sample holds; m by expectation
                       maximisation on blocked pairs when both lists have at least
                       `EM_MIN_ROWS` rows, a session undone if its "match" class does not
                       look like one. Below that size, and for any level the data never
                       showed, the fixed priors in `_LEVELS` stand: EM on a few dozen pairs
                       gives noise, not estimates. No m goes below `M_FLOOR`.
    output             for each right row its best left row at or above the threshold, with
                       the probability and one evidence label per compared column.

Records enter DuckDB as pyarrow tables (pandas is not a dependency). Dates are calendar dates
("YYYY-MM-DD" strings); nothing here deals with times of day. Splink and pyarrow are imported
when a link runs, not with this module: the web processes import it and never link.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from stdnum.cn import ric

from linli.residents.pinyin import name_syllables

COLUMN_TYPES = (
    "name",
    "id_number",
    "date",
    "phone",
    "identifier",
    "address",
    "postcode",
    "sex",
    "text",
)

# EM needs enough blocked pairs, matches and non-matches both, to say anything about rare
# levels; on smaller lists the priors below are the better guess.
EM_MIN_ROWS = 1000
# Pairs drawn to estimate u. Small lists are compared in full (their cartesian product is
# smaller); above that, the sample keeps the estimate within a second or two.
U_MAX_PAIRS = 2_000_000
SEED = 20200123
# Any field of a true pair may be wrong once in a thousand, whatever training saw: this
# bounds what one disagreeing field weighs against all the others (about -10 bits).
M_FLOOR = 0.001

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Match:
    left_id: Any
    right_id: Any
    probability: float
    # column (as given by the caller) -> comparison level label, e.g. "exact", "same pinyin"
    evidence: dict[str, str]


@dataclass
class LinkResult:
    matches: list[Match]
    unmatched_right: list[Any]
    # "em" when m was estimated from the data, "fixed" when the priors were used.
    training: str = "fixed"
    compared: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# Preparation ------------------------------------------------------------------------------------

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u9fff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    # NFKC turns full-width digits and letters of Chinese input methods into ASCII.
    return unicodedata.normalize("NFKC", str(value)).strip()


def normalise_name(value: Any) -> str:
    text = _text(value)
    if _HAN.search(text):
        # Chinese names: the characters alone ("张 伟", "阿卜杜·热合曼" keep their letters).
        return _PUNCT.sub("", text)
    return _PUNCT.sub("", text.lower())


def normalise_id_number(value: Any) -> str:
    return re.sub(r"[^0-9A-Z]", "", _text(value).upper())


def normalise_phone(value: Any) -> str:
    digits = re.sub(r"\D", "", _text(value))
    # +86 / 0086 in front of an 11-digit mobile number is the country code, not a typo.
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


_DATE_PATTERNS = [
    # year first: 2020-01-23, 2020/1/23, 2020.01.23, 2020年1月23日, 2020-01-23 08:00:00
    (re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),
    # day first (European lists): 23.01.2020, 23/01/2020. Month-first US dates are not read.
    (re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$"), "dmy"),
]


def normalise_date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = _text(value)
    for pattern, order in _DATE_PATTERNS:
        found = pattern.match(text)
        if not found:
            continue
        a, b, c = (int(g) for g in found.groups())
        year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return ""
    return ""


_SEXES = {
    "男": "M", "m": "M", "male": "M", "man": "M", "男性": "M",
    "女": "F", "f": "F", "female": "F", "woman": "F", "女性": "F",
}  # fmt: skip


def normalise_sex(value: Any) -> str:
    return _SEXES.get(_text(value).lower(), "")


def _upper_alnum(value: Any) -> str:
    return re.sub(r"[\W_]+", "", _text(value).upper())


def _address(value: Any) -> str:
    return _PUNCT.sub("", _text(value).lower())


def _check_digit_ok(number: str) -> bool:
    """GB 11643 check digit (ISO 7064 MOD 11-2): it catches every single wrong digit and
    every swap of neighbours, so two numbers that both pass and differ are two people."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return ric.calc_check_digit(number) == number[17]


@lru_cache(maxsize=65536)
def _name_columns(text: str) -> dict[str, str]:
    # Cached: pypinyin is the slowest step of preparing, and names repeat (王伟, 张敏).
    name = normalise_name(text)
    # Syllables of a Chinese name come from its characters; a Latin name keeps its words
    # ("ZENG Zhiming" -> zeng, zhiming), so its initials are those of the words.
    words = name if _HAN.search(name) else _PUNCT.sub(" ", _text(text).lower()).strip()
    syllables = name_syllables(words) if name else []
    if name and not syllables:
        syllables = [name]  # scripts pypinyin cannot read: compare as written
    return {
        "": name,
        "py": "".join(syllables),
        "ini": "".join(s[0] for s in syllables),
        "sorted": "".join(sorted(syllables)),
    }


def _prepare_value(kind: str, value: Any) -> dict[str, str]:
    """The normalised value under "" and the derived keys under their suffixes."""
    if kind == "name":
        return _name_columns(_text(value))
    if kind == "id_number":
        number = normalise_id_number(value)
        whole = len(number) == 18
        return {
            "": number,
            "region": number[:6] if whole else "",
            "birth": number[6:14] if whole else "",
            "tail": number[14:] if whole else "",
            "valid": ("1" if _check_digit_ok(number) else "0") if number else "",
        }
    if kind == "date":
        return {"": normalise_date(value)}
    if kind == "phone":
        return {"": normalise_phone(value)}
    if kind in ("identifier", "postcode"):
        return {"": _upper_alnum(value)}
    if kind == "address":
        return {"": _address(value)}
    if kind == "sex":
        return {"": normalise_sex(value)}
    if kind == "text":
        return {"": _text(value).lower()}
    raise ValueError(f"unknown column type {kind!r}; known: {', '.join(COLUMN_TYPES)}")


def prepare(records: Iterable[Mapping[str, Any]], types: Mapping[str, str]) -> list[dict]:
    """Copies of the records with each typed column normalised (empty becomes None) and the
    derived keys added as `<column>__py`, `__ini`, `__sorted` (names) and `__region`,
    `__birth`, `__tail`, `__valid` ("1" when the check digit is right; ID numbers).
    Columns without a type are left as they are."""
    out = []
    for record in records:
        row = dict(record)
        for column, kind in types.items():
            for suffix, value in _prepare_value(kind, record.get(column)).items():
                row[f"{column}__{suffix}" if suffix else column] = value or None
        out.append(row)
    return out


# Type inference (for link_lists) ---------------------------------------------------------------

# Header words by type, most specific first: "出生日期" is a date before "日期" could be anything,
# "身份证号" an ID number before "号" makes it an identifier.
_HEADER_WORDS = [
    ("id_number", ["身份证", "公民身份号码", "idcard", "idnumber", "idno", "citizenid"]),
    ("sex", ["性别", "sex", "gender"]),
    ("phone", ["电话", "手机", "联系方式", "phone", "mobile", "tel", "cell"]),
    ("date", ["出生", "生日", "日期", "birth", "dob", "date"]),
    ("postcode", ["邮编", "邮政编码", "postcode", "postalcode", "zipcode", "zip"]),
    ("address", ["地址", "住址", "居住地", "address", "addr"]),
    ("name", ["姓名", "名字", "name"]),
    ("identifier", ["编号", "证件", "护照", "passport", "code", "number"]),
]
# English words that must stand alone in the header: a hotel is not a telephone.
_WHOLE_WORDS = frozenset({"tel", "dob", "zip", "sex", "cell", "addr", "code"})

_VALUE_PATTERNS = [
    ("id_number", re.compile(r"^\d{17}[\dX]$")),
    ("phone", re.compile(r"^(?:\+?86|0086)?1\d{10}$")),
    ("sex", re.compile(r"^(?:男|女|男性|女性|M|F|male|female)$", re.IGNORECASE)),
    ("name", re.compile(r"^[\u3400-\u9fff]{2,4}$|^[\u3400-\u9fff]+·[\u3400-\u9fff]+$")),
    ("address", re.compile(r"[\u3400-\u9fff].*(?:路|街|巷|号|栋|楼|村|区|室|单元)")),
]


def _header_matches(header: str, word: str) -> bool:
    """Chinese words anywhere in the header; English ones anywhere in the header squashed to
    lower-case letters ("Phone_Number", "birthDate"), or as a whole word (`_WHOLE_WORDS`)."""
    text = _text(header).lower()
    if _HAN.search(word):
        return word in text
    if word in _WHOLE_WORDS:
        return word in re.findall(r"[a-z]+", text)
    return word in re.sub(r"[^a-z]", "", text)


def infer_types(headers: Sequence[str], sample_rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """A column type for each header: from words in the header (Chinese or English), else from
    what most of the sample's non-empty values look like, else "text"."""
    types = {}
    for header in headers:
        kind = next(
            (
                k
                for k, words in _HEADER_WORDS
                if any(_header_matches(header, word) for word in words)
            ),
            None,
        )
        values = [row.get(header) for row in sample_rows]
        if kind is None:
            kind = _type_from_values(values)
        elif kind == "identifier" and _type_from_values(values) == "id_number":
            kind = "id_number"  # 证件号码 on a passenger list is mostly an ID card number
        types[header] = kind
    return types


def _type_from_values(values: Sequence[Any]) -> str:
    texts = [t for t in (_text(v) for v in values) if t]
    if not texts:
        return "text"
    for kind, pattern in _VALUE_PATTERNS:
        if _most(texts, lambda t, p=pattern: p.search(t.replace(" ", "")) is not None):
            return kind
    if _most(texts, lambda t: normalise_date(t) != ""):
        return "date"
    # Latin names as on a manifest: "Zhang Wei", "ZHANG Wei", "Mary O'Brien".
    latin_name = re.compile(r"[A-Z][A-Za-z']*(?:[ .-][A-Z][A-Za-z']*){1,3}")
    if _most(texts, lambda t: latin_name.fullmatch(t) is not None):
        return "name"
    if _most(texts, lambda t: re.fullmatch(r"[A-Za-z0-9\-]{4,}", t) is not None):
        return "identifier"
    return "text"


def _most(texts: Sequence[str], test: Callable[[str], bool]) -> bool:
    return sum(1 for t in texts if test(t)) >= 0.8 * len(texts)


# The model --------------------------------------------------------------------------------------

# Comparison levels per type, most similar first: (label, SQL over {c}_l/{c}_r, m, u).
# m and u are priors: where training estimates them the estimates replace them. m is the share
# of true pairs at the level (typing errors of list-keepers), u the share of unrelated pairs.
#
# Typos in fixed-length keys are found with the Hamming distance (a typo changes one character,
# a transposition two) and only then confirmed with Damerau-Levenshtein, which costs fifty
# times as much: DuckDB does not short-circuit AND, so the guard is a CASE.
_HAMMING = 'CASE WHEN length("{c}_l") = length("{c}_r") THEN hamming("{c}_l", "{c}_r") ELSE 99 END'
_ONE_TYPO = (
    f"CASE WHEN {_HAMMING} = 1 THEN true"
    f' WHEN {_HAMMING} = 2 THEN damerau_levenshtein("{{c}}_l", "{{c}}_r") <= 1'
    # a digit left out or typed twice
    ' WHEN abs(length("{c}_l") - length("{c}_r")) = 1'
    ' THEN levenshtein("{c}_l", "{c}_r") <= 1 ELSE false END'
)
_TWO_TYPOS = (
    f"CASE WHEN {_HAMMING} = 2 THEN true"
    f' WHEN {_HAMMING} IN (3, 4) THEN damerau_levenshtein("{{c}}_l", "{{c}}_r") <= 2'
    " ELSE false END"
)
# Two valid ID numbers that differ are two people, not a typo: most often two born on the same
# day in the same district, whose numbers differ only in the sequence and check digits.
_ID_TWO_TYPOS = (
    "CASE WHEN \"{c}__valid_l\" = '1' AND \"{c}__valid_r\" = '1' THEN false"
    f" ELSE {_TWO_TYPOS} END"
)
_LEVELS: dict[str, list[tuple[str, str, float, float]]] = {
    "name": [
        ("exact", '"{c}_l" = "{c}_r"', 0.85, 0.0005),
        ("same pinyin", '"{c}__py_l" = "{c}__py_r"', 0.07, 0.0003),
        ("other order", '"{c}__sorted_l" = "{c}__sorted_r"', 0.01, 0.0001),
        (
            # names are short: plain Levenshtein is cheap here
            "1-2 typos",
            'levenshtein("{c}_l", "{c}_r") <= 1 OR levenshtein("{c}__py_l", "{c}__py_r") <= 2',
            0.05,
            0.01,
        ),
        ("different", "ELSE", 0.02, 0.9892),
    ],
    "id_number": [
        ("exact", '"{c}_l" = "{c}_r"', 0.9, 0.000001),
        ("1 typo", _ONE_TYPO, 0.06, 0.000001),
        ("2 typos", _ID_TWO_TYPOS, 0.02, 0.00001),
        ("different", "ELSE", 0.02, 0.999988),
    ],
    "phone": [
        ("exact", '"{c}_l" = "{c}_r"', 0.8, 0.00001),
        ("1 typo", _ONE_TYPO, 0.05, 0.00001),
        ("2 typos", _TWO_TYPOS, 0.02, 0.0001),
        ("different", "ELSE", 0.13, 0.99988),
    ],
    "date": [
        ("exact", '"{c}_l" = "{c}_r"', 0.9, 0.0001),
        ("1 typo", _ONE_TYPO, 0.05, 0.002),
        (
            "day and month swapped",
            'substr("{c}_l", 1, 4) = substr("{c}_r", 1, 4)'
            ' AND substr("{c}_l", 6, 2) = substr("{c}_r", 9, 2)'
            ' AND substr("{c}_l", 9, 2) = substr("{c}_r", 6, 2)',
            0.01,
            0.0001,
        ),
        ("different", "ELSE", 0.04, 0.9978),
    ],
    "identifier": [
        ("exact", '"{c}_l" = "{c}_r"', 0.9, 0.00001),
        ("1 typo", _ONE_TYPO, 0.05, 0.0001),
        ("different", "ELSE", 0.05, 0.99989),
    ],
    "postcode": [
        ("exact", '"{c}_l" = "{c}_r"', 0.85, 0.01),
        ("same area", 'substr("{c}_l", 1, 4) = substr("{c}_r", 1, 4)', 0.1, 0.05),
        ("different", "ELSE", 0.05, 0.94),
    ],
    "address": [
        ("exact", '"{c}_l" = "{c}_r"', 0.6, 0.001),
        ("very similar", 'jaro_winkler_similarity("{c}_l", "{c}_r") >= 0.92', 0.25, 0.005),
        ("similar", 'jaro_winkler_similarity("{c}_l", "{c}_r") >= 0.8', 0.1, 0.05),
        ("different", "ELSE", 0.05, 0.944),
    ],
    "sex": [
        ("exact", '"{c}_l" = "{c}_r"', 0.97, 0.5),
        ("different", "ELSE", 0.03, 0.5),
    ],
    "text": [
        ("exact", '"{c}_l" = "{c}_r"', 0.8, 0.05),
        ("different", "ELSE", 0.2, 0.95),
    ],
}
MISSING = "missing"


def _comparison(column: str, kind: str) -> dict:
    levels: list[dict[str, Any]] = [
        {
            "sql_condition": f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
            "label_for_charts": MISSING,
            "is_null_level": True,
        }
    ]
    for label, sql, m, u in _LEVELS[kind]:
        levels.append(
            {
                "sql_condition": sql.format(c=column),
                "label_for_charts": label,
                "m_probability": m,
                "u_probability": u,
            }
        )
    return {"output_column_name": column, "comparison_levels": levels}


def _blocking_rules(columns: Mapping[str, str]) -> list[list[str]]:
    """Blocking keys (each a list of columns that must all be equal), strongest first.
    Several rules are OR'ed by Splink; a pair found by more than one is scored once."""
    by_kind: dict[str, list[str]] = {}
    for column, kind in columns.items():
        by_kind.setdefault(kind, []).append(column)
    rules: list[list[str]] = []
    for c in by_kind.get("id_number", []):
        # An ID number is region (6) + birth date (8) + sequence and check (4). Blocking on
        # each pair of the three parts lets a pair through with one typo in any part; the
        # whole number catches the 15-digit old ones and passports typed into the column.
        rules += [[f"{c}__region", f"{c}__birth"], [f"{c}__region", f"{c}__tail"]]
        rules += [[f"{c}__birth", f"{c}__tail"], [c]]
    for kind in ("phone", "identifier"):
        rules += [[c] for c in by_kind.get(kind, [])]
    names, dates = by_kind.get("name", []), by_kind.get("date", [])
    rules += [[f"{c}__py"] for c in names]
    if names:
        rules += [[d, f"{n}__ini"] for d in dates for n in names]
    else:
        rules += [[d] for d in dates]  # one birthday in some 30,000: narrow enough
    rules += [[c] for c in by_kind.get("address", [])]
    if not rules:
        # Only weak columns: pairs agreeing on all of the text ones and postcodes.
        weak = by_kind.get("text", []) + by_kind.get("postcode", [])
        if weak:
            rules.append(weak)
    return rules


def _deterministic_rules(columns: Mapping[str, str]) -> list[list[str]]:
    """Rules that admit almost no false pairs, for the prior share of matching pairs."""
    by_kind: dict[str, list[str]] = {}
    for column, kind in columns.items():
        by_kind.setdefault(kind, []).append(column)
    names = by_kind.get("name", [])
    rules = [[c] for c in by_kind.get("id_number", []) + by_kind.get("identifier", [])]
    for n in names:
        rules += [[f"{n}__py", d] for d in by_kind.get("date", [])]
        rules += [[f"{n}__py", p] for p in by_kind.get("phone", [])]
    return rules


# Linking ----------------------------------------------------------------------------------------


def link(
    left: Sequence[Mapping[str, Any]],
    right: Sequence[Mapping[str, Any]],
    *,
    types: Mapping[str, str],
    left_id: str,
    right_id: str,
    threshold: float = 0.9,
    progress: Progress | None = None,
    seed: int = SEED,
) -> LinkResult:
    """Link `right` (an uploaded list) to `left` (the registry or another list).

    `types` maps column names to `COLUMN_TYPES`; the columns compared are those typed and
    present (non-empty somewhere) in both lists, the id columns excepted. Each right row gets
    at most one match: the left row with the highest probability, if that is >= `threshold`
    (several right rows may match one left row: lists have duplicates). `progress(done,
    total, step)` is called at each of the steps "prepare", "train", "predict", "done".
    Raises ValueError for an unknown type, a missing or repeated id, or no shared column.
    """
    report = progress or (lambda done, total, step: None)
    report(0, 4, "prepare")
    for kind in types.values():
        if kind not in COLUMN_TYPES:
            raise ValueError(f"unknown column type {kind!r}; known: {', '.join(COLUMN_TYPES)}")
    left_ids = _ids(left, left_id, "left")
    right_ids = _ids(right, right_id, "right")
    if not left or not right:
        report(4, 4, "done")
        return LinkResult(matches=[], unmatched_right=list(right_ids))
    shared = [
        column
        for column in types
        if column not in (left_id, right_id) and _present(left, column) and _present(right, column)
    ]
    if not shared:
        raise ValueError("the two lists share no typed column to compare")
    if not _blocking_rules({c: types[c] for c in shared}):
        # Pairing every row with every row on sex alone would be slow and say nothing.
        raise ValueError(
            f"the shared columns ({', '.join(shared)}) are too weak to link on: "
            "add a name, ID number, phone, date, identifier or address"
        )

    # Splink writes column names into SQL: give them safe internal names (c0, c1, ...) and
    # translate back for the evidence.
    internal = {column: f"c{i}" for i, column in enumerate(shared)}
    kinds = {internal[c]: types[c] for c in shared}
    left_rows = _internal_rows(left, internal, kinds)
    right_rows = _internal_rows(right, internal, kinds)

    report(1, 4, "train")
    model = _Model(kinds, seed=seed)
    with _quiet_splink():
        model.train(left_rows, right_rows)
        report(2, 4, "predict")
        rows = model.score(threshold=threshold)

    best: dict[int, tuple[float, int, dict[str, str]]] = {}
    labels = {name: model.labels(name) for name in kinds}
    for row in rows:
        r, lft, p = int(row["unique_id_r"]), int(row["unique_id_l"]), row["match_probability"]
        if p < threshold:
            continue
        current = best.get(r)
        # Ties go to the earlier left row, so the result does not depend on DuckDB's order.
        if current is None or (p, -lft) > (current[0], -current[1]):
            evidence = {
                column: labels[internal[column]][row[f"gamma_{internal[column]}"]]
                for column in shared
            }
            best[r] = (p, lft, evidence)
    matches = [
        Match(left_id=left_ids[lft], right_id=right_ids[r], probability=float(p), evidence=ev)
        for r, (p, lft, ev) in sorted(best.items())
    ]
    unmatched = [rid for i, rid in enumerate(right_ids) if i not in best]
    report(4, 4, "done")
    return LinkResult(
        matches=matches,
        unmatched_right=unmatched,
        training=model.training,
        compared=shared,
        notes=model.notes,
    )


@contextmanager
def _quiet_splink():
    """Splink logs a warning for every level training could not estimate; the fallbacks
    handle those (and say so in LinkResult.notes), so only errors get through meanwhile."""
    splink_logger = logging.getLogger("splink")
    level = splink_logger.level
    splink_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        splink_logger.setLevel(level)


def _ids(records: Sequence[Mapping[str, Any]], column: str, side: str) -> list[Any]:
    ids = []
    for number, record in enumerate(records, start=1):
        value = record.get(column)
        if value is None or value == "":
            raise ValueError(f"{side} row {number} has no value in the id column {column!r}")
        ids.append(value)
    if len(set(ids)) != len(ids):
        raise ValueError(f"the id column {column!r} of the {side} list has repeated values")
    return ids


def _present(records: Sequence[Mapping[str, Any]], column: str) -> bool:
    return any(record.get(column) not in (None, "") for record in records)


def _internal_rows(
    records: Sequence[Mapping[str, Any]], internal: Mapping[str, str], kinds: Mapping[str, str]
) -> dict[str, list]:
    """Column-wise prepared values under the internal names, with unique_id = row index."""
    renamed = [{internal[c]: record.get(c) for c in internal} for record in records]
    prepared = prepare(renamed, kinds)
    columns: dict[str, list] = {"unique_id": [str(i) for i in range(len(records))]}
    for key in prepared[0]:
        columns[key] = [row[key] for row in prepared]
    return columns


class _Model:
    """One Splink model over two lists: settings from the column types, training, scoring."""

    def __init__(self, kinds: Mapping[str, str], *, seed: int):
        self.kinds = dict(kinds)
        self.seed = seed
        self.training = "fixed"
        self.notes: list[str] = []
        self.comparisons = [_comparison(c, k) for c, k in self.kinds.items()]
        self.blocking = _blocking_rules(self.kinds)
        self.prior = 0.0
        self._tables: list = []

    def labels(self, column: str) -> dict[int, str]:
        """gamma value -> level label: Splink numbers the non-null levels from the last (0)
        up, and gives the null level -1."""
        levels = [label for label, *_ in _LEVELS[self.kinds[column]]]
        return {-1: MISSING} | {len(levels) - 1 - i: label for i, label in enumerate(levels)}

    def _settings(self, comparisons: list[dict]) -> dict:
        from splink import block_on

        return {
            "link_type": "link_only",
            "comparisons": comparisons,
            "blocking_rules_to_generate_predictions": [block_on(*r) for r in self.blocking],
            "probability_two_random_records_match": self.prior,
            # Needed for the gamma (level) columns the evidence is read from.
            "retain_matching_columns": True,
            "retain_intermediate_calculation_columns": False,
        }

    def train(self, left: dict[str, list], right: dict[str, list]) -> None:
        import pyarrow as pa
        from splink import DuckDBAPI

        n_left, n_right = len(left["unique_id"]), len(right["unique_id"])
        db = DuckDBAPI()
        self._tables = [
            db.register(pa.table({k: pa.array(v, type=pa.string()) for k, v in side.items()}))
            for side in (left, right)
        ]
        self.prior = self._estimate_prior(n_left, n_right)
        trainer = self._linker(self._settings(self.comparisons))
        sampled = self._train_u(trainer, n_left * n_right)
        if min(n_left, n_right) >= EM_MIN_ROWS:
            trainer = self._train_m(trainer)
        else:
            self.notes.append(f"fewer than {EM_MIN_ROWS} rows on a side: m from the priors")
        trained = trainer.misc.save_model_to_json()["comparisons"]
        self.comparisons = self._with_fallbacks(trained, sampled)

    def score(self, *, threshold: float) -> list[dict]:
        """Blocked pairs at or above `threshold`: unique_id_l/_r, match_probability, gamma_*."""
        scorer = self._linker(self._settings(self.comparisons))
        result = scorer.inference.predict(
            threshold_match_probability=threshold, warning_mode="never"
        )
        return result.as_record_list()

    def _linker(self, settings: dict):
        from splink import Linker

        return Linker(self._tables, settings, log_level=None)

    def _estimate_prior(self, n_left: int, n_right: int) -> float:
        """The share of all pairs that match, from the pairs deterministic rules find.

        Failing that, a tenth of the shorter list is assumed to be in the other: a list
        without a single pair agreeing on ID number or name and birth date has few matches.
        On a linker of its own: Splink keeps a zero estimate in the linker it made it in,
        and EM cannot start from zero."""
        from splink import block_on

        default = self.prior = 0.1 * min(n_left, n_right) / (n_left * n_right)
        rules = _deterministic_rules(self.kinds)
        if not rules:
            self.notes.append("no deterministic rule: prior match rate assumed")
            return default
        probe = self._linker(self._settings(self.comparisons))
        try:
            # Deterministic rules miss the pairs with typos in those very columns.
            probe.training.estimate_probability_two_random_records_match(
                [block_on(*r) for r in rules], recall=0.9
            )
        except Exception as exc:  # noqa: BLE001 - any Splink failure leaves the default
            self.notes.append(f"prior match rate assumed ({exc.__class__.__name__})")
            return default
        value = probe.misc.save_model_to_json()["probability_two_random_records_match"]
        if not 0 < value < 1:
            self.notes.append("prior match rate assumed (no deterministic match)")
            return default
        return value

    def _train_u(self, linker, total_pairs: int) -> int:
        """Estimate u from a seeded sample; the number of pairs sampled (0 if it failed)."""
        pairs = min(total_pairs, U_MAX_PAIRS)
        try:
            linker.training.estimate_u_using_random_sampling(
                max_pairs=float(pairs) + 1,
                seed=self.seed,
                # One pass over the sample: stopping early per level saves nothing when
                # the rare typo levels never reach a count anyway.
                num_chunks=1,
                min_count_per_level=None,
            )
        except Exception as exc:  # noqa: BLE001
            self.notes.append(f"u from the priors ({exc.__class__.__name__})")
            return 0
        return pairs

    def _train_m(self, linker):
        """EM on blocked pairs, one session per blocking key until every comparison has been
        estimated once (a session cannot estimate the comparisons its own key uses). The
        linker holding the estimates is returned: a failed session can leave its linker's
        model half changed, so training goes on from a copy of the last good state."""
        from splink import block_on

        good = linker.misc.save_model_to_json()
        pending = set(self.kinds)
        for rule in _em_rules(self.kinds):
            used = {column.split("__")[0] for column in rule}
            if not pending - used:
                continue
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(*rule), estimate_without_term_frequencies=True
                )
            except Exception as exc:  # noqa: BLE001
                self.notes.append(f"EM on {', '.join(rule)} failed ({exc.__class__.__name__})")
                linker = self._linker(good)
                continue
            estimated = set(self.kinds) - used
            trained = linker.misc.save_model_to_json()
            if not _looks_like_matches(trained["comparisons"], estimated):
                self.notes.append(f"EM on {', '.join(rule)} found no match class; undone")
                linker = self._linker(good)
                continue
            good = trained
            pending -= estimated
            self.training = "em"
            if not pending:
                break
        return linker

    def _with_fallbacks(self, trained: list[dict], sampled: int) -> list[dict]:
        """The trained comparisons made safe to score with.

        - m or u not estimated (Splink says "level not observed"): the prior; a level the
          u sample never showed is rarer than one in `sampled` pairs, so not above that.
        - m at least `M_FLOOR`: EM finds no true pair with, say, a different sex when the
          training lists had none, and m = 0 would then veto a match on any one field.
        - u from a sample of all pairs includes the true pairs (`_without_matches`).
        """
        rate = self.prior
        by_column = {c["output_column_name"]: c for c in trained}
        out = []
        for prior_comparison, (column, kind) in zip(
            self.comparisons, self.kinds.items(), strict=True
        ):
            comparison = by_column.get(column, prior_comparison)
            # A comparison training lost holds priors, not a sample to correct.
            from_sample = sampled if column in by_column else 0
            levels = []
            priors = iter(_LEVELS[kind])
            for level in comparison["comparison_levels"]:
                level = {k: v for k, v in level.items() if k in _LEVEL_KEYS}
                if not level.get("is_null_level"):
                    _label, _sql, m_prior, u_prior = next(priors)
                    m = level.get("m_probability")
                    m = max(m if _is_probability(m) else m_prior, M_FLOOR)
                    u = level.get("u_probability")
                    if from_sample and _is_probability(u):
                        u = _without_matches(u, m, rate, from_sample, prior=u_prior)
                    elif from_sample:
                        u = min(u_prior, 1 / from_sample)
                    else:
                        u = u_prior
                    level["m_probability"], level["u_probability"] = m, u
                levels.append(level)
            out.append({"output_column_name": column, "comparison_levels": levels})
        return out


# What a level keeps from Splink's saved model: its trained-value history stays behind.
_LEVEL_KEYS = (
    "sql_condition",
    "label_for_charts",
    "is_null_level",
    "m_probability",
    "u_probability",
)


def _looks_like_matches(comparisons: list[dict], columns: set[str]) -> bool:
    """Whether the class EM called "match" is one: for each comparison it estimated, agreeing
    exactly must be likelier among matches than among other pairs, and disagreeing less
    likely. A block with hardly any true pair in it (a list of strangers) lets EM pick
    some other cluster, such as pairs of the same sex, and its m would then mislead."""
    for comparison in comparisons:
        if comparison["output_column_name"] not in columns:
            continue
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        exact, different = levels[0], levels[-1]
        m_exact, u_exact = exact.get("m_probability"), exact.get("u_probability")
        m_diff, u_diff = different.get("m_probability"), different.get("u_probability")
        if not (_is_probability(m_exact) and _is_probability(u_diff)):
            return False
        u_exact = u_exact if _is_probability(u_exact) else 0.0
        m_diff = m_diff if _is_probability(m_diff) else 0.0
        if m_exact <= u_exact or m_diff >= u_diff:
            return False
    return True


def _without_matches(sampled_u: float, m: float, rate: float, pairs: int, *, prior: float):
    """u of a level with the true pairs taken out of the sample of all pairs.

    The sample holds true pairs too: 50 matches among 50 x 50 pairs are 2 % of them, and
    would make an exact ID number look common. A level's share of the sample is
    λm + (1 - λ)u (λ the prior match rate), so u = (share - λm) / (1 - λ). When what is left
    is within three standard deviations of the count the true pairs explain, the data cannot
    tell u from zero: the prior stands, unless that bound says u is smaller still."""
    observed, from_matches = sampled_u * pairs, rate * m * pairs
    excess, noise = observed - from_matches, 3 * math.sqrt(from_matches + 1)
    if excess > noise:
        return min(excess / (pairs * (1 - rate)), 1.0)
    return min(prior, (max(excess, 0) + noise) / pairs)


def _is_probability(value: Any) -> bool:
    return isinstance(value, (int, float)) and 0 < value <= 1 and not math.isnan(value)


def _em_rules(kinds: Mapping[str, str]) -> list[list[str]]:
    """Blocking keys for EM, preferring ones that hold matches and non-matches both."""
    # Not the ID number's parts: Splink would not see that they belong to the ID comparison
    # and would let the blocked pairs' shared digits inflate its m.
    order = ("name", "date", "phone", "identifier", "address")
    rules = []
    for kind in order:
        for column, k in kinds.items():
            if k != kind:
                continue
            if kind == "name":
                rules.append([f"{column}__py"])
            else:
                rules.append([column])
    return rules

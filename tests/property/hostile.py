"""Hostile raw rows and the reason each must get: the fault catalogue, the planting and the writers.

A planted row is a clean row of the small shop (an edit of a leaf-table row, or a copy of a parent
row under a new key, so no clean child depends on it) with one or more faults applied. The oracle
is the fault's reason; a row with several faults must get the first in ``PRECEDENCE`` (the order
the base models check in, agreed for issue 7). ``None`` as a reason means the row is odd but valid
and must stay clean.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq

# The order in which the checks apply (shared vocabulary); referential checks come last.
PRECEDENCE = (
    "null_key", "unparseable_value", "non_finite_value", "non_integer_value", "missing_value",
    "implausible_date", "future_dated", "negative_amount", "implausible_amount", "invalid_value",
    "inconsistent_lifecycle", "duplicate", "unknown_customer", "unknown_order", "unknown_product",
    "unknown_credit_account", "parent_quarantined", "refund_already_on_order",
)

CUT = dt.datetime(2025, 12, 31, 18, 0, 0)  # the small shop's extraction_manifest.extracted_at

KEYS = {
    "customers": ("customer_id",), "products": ("product_id",), "orders": ("order_id",),
    "order_items": ("order_id", "line_number"), "events": ("event_id",), "reviews": ("review_id",),
    "credit_accounts": ("credit_account_id",), "repayments": ("credit_account_id", "installment_number"),
    "refunds": ("refund_id",),
}
# Parents are planted as copies under a new key (an edit would quarantine their clean children);
# leaves are planted as edits of an existing row.
COPY_TABLES = ("customers", "products", "orders", "credit_accounts", "refunds")
# Documented, optional columns no fault touches: a file may lack them (read as typed nulls).
DROPPABLE = {"orders": "payment_method", "products": "brand", "events": "session_id", "customers": "gender"}
TIMESTAMP_COLUMNS = {
    "customers": ("signup_at",), "orders": ("ordered_at", "paid_at", "shipped_at", "delivered_at",
                                             "cancelled_at", "returned_at"),
    "events": ("event_at",), "reviews": ("reviewed_at",), "credit_accounts": ("opened_at",),
    "repayments": ("due_date", "paid_at"), "refunds": ("refunded_at",),
}
ORDER_STATES = ("paid_at", "shipped_at", "delivered_at", "cancelled_at", "returned_at")

# Values per class (hypothesis picks one per planted row).
NON_FINITE = (math.nan, math.inf, -math.inf, "1e400", "-1e400")  # text overflowing a double is infinite
INFINITE_TIMESTAMPS = ("infinity", "-infinity", "Infinity")
GARBLED_TIMESTAMPS = ("not a date", "2024-02-30 10:00:00", "2024-13-01", "yesterday")
GARBLED_NUMBERS = ("abc", "12,50", "$12", "1.2.3")
IMPLAUSIBLE_DATES = (
    dt.datetime(1, 1, 1), dt.datetime(1800, 6, 1), dt.datetime(1900, 1, 1),
    dt.datetime(1970, 1, 1), dt.datetime(1989, 12, 31, 23, 59, 59), "epoch",
)
FUTURE_DATES = (dt.datetime(9999, 12, 31, 23, 59, 59), dt.datetime(2099, 1, 1), CUT + dt.timedelta(seconds=1),
                "2025-12-31 17:30:00-02:00")  # 19:30 UTC: after the cut only once the offset is applied
# Control characters are invalid in an id or a code, fine in free text; other unicode is fine anywhere.
CONTROL_TEXT = ("\x07bell", "tab\tinside", "esc\x1b[31m", "new\nline", "next\x85line")  # NUL: see test_hostile_files
UNICODE_TEXT = ("\u202eright-to-left", "zero\u200bwidth", "  ünïcödé  ", "quote\"and,comma", "emoji 🛒")


@dataclass(frozen=True)
class Fault:
    """Set ``column`` to one of ``values`` (a callable gets the row and returns the value)."""
    table: str
    reason: str | None
    column: str
    values: tuple


def _shifted_zone(column: str) -> Callable[[dict, "Planter"], Any]:
    """The same instant as the row's UTC value, written with a UTC offset (mixed zones in one file)."""
    def value(current: dict, planter: "Planter") -> str:
        instant = current[column]
        offset = random.Random(str(instant)).choice((-8, -3, 2, 5.5, 9, 14))
        local = instant + dt.timedelta(hours=offset)
        sign = "+" if offset >= 0 else "-"
        hours, minutes = int(abs(offset)), int(round(abs(offset) % 1 * 60))
        return f"{local.isoformat(sep=' ')}{sign}{hours:02d}:{minutes:02d}"
    return value


def _before(column: str, days: float) -> Callable[[dict, "Planter"], Any]:
    return lambda row, planter: row[column] - dt.timedelta(days=days)


def _plus(column: str, amount: float) -> Callable[[dict, "Planter"], Any]:
    return lambda row, planter: row[column] + amount


def _new_id(base: int) -> Callable[[dict, "Planter"], Any]:
    """A key no parent table holds (an unknown foreign key, or a new line / instalment key)."""
    return lambda row, planter: planter.fresh(base)


def _faults() -> list[Fault]:
    f = Fault
    return [
        # customers
        f("customers", "null_key", "customer_id", (None,)),
        f("customers", "unparseable_value", "signup_at", GARBLED_TIMESTAMPS),
        f("customers", "unparseable_value", "birth_year", ("nineteen", "19x0")),
        f("customers", "non_finite_value", "signup_at", INFINITE_TIMESTAMPS),
        f("customers", "implausible_date", "signup_at", IMPLAUSIBLE_DATES),
        f("customers", "future_dated", "signup_at", FUTURE_DATES),
        f("customers", "non_integer_value", "city_tier", (1.5,)),
        f("customers", "non_integer_value", "birth_year", (1980.5,)),
        f("customers", "invalid_value", "region", CONTROL_TEXT),
        f("customers", None, "region", UNICODE_TEXT),
        # products
        f("products", "null_key", "product_id", (None,)),
        f("products", "unparseable_value", "list_price", GARBLED_NUMBERS),
        f("products", "non_finite_value", "list_price", NON_FINITE),
        f("products", "negative_amount", "list_price", (-0.01, -250.0)),
        f("products", "invalid_value", "category", CONTROL_TEXT),
        f("products", None, "category", UNICODE_TEXT),
        f("products", None, "brand", CONTROL_TEXT),
        f("products", None, "list_price", (0.0,)),
        # orders
        f("orders", "null_key", "order_id", (None,)),
        f("orders", "null_key", "customer_id", (None,)),
        f("orders", "unparseable_value", "ordered_at", GARBLED_TIMESTAMPS),
        f("orders", "unparseable_value", "order_amount", GARBLED_NUMBERS),
        f("orders", "non_finite_value", "order_amount", NON_FINITE),
        f("orders", "non_finite_value", "discount_amount", NON_FINITE),
        f("orders", "non_finite_value", "refund_amount", NON_FINITE),
        f("orders", "non_finite_value", "ordered_at", INFINITE_TIMESTAMPS),
        f("orders", "missing_value", "ordered_at", (None,)),
        f("orders", "missing_value", "order_amount", (None,)),
        f("orders", "implausible_date", "ordered_at", IMPLAUSIBLE_DATES),
        f("orders", "future_dated", "ordered_at", FUTURE_DATES),
        f("orders", "negative_amount", "order_amount", (-0.01, -99.5)),
        f("orders", "negative_amount", "discount_amount", (-1.0,)),
        f("orders", "implausible_amount", "order_amount", (1e7, 1e15, 1.7e308)),
        f("orders", "invalid_value", "discount_amount", (_plus("order_amount", 1.0),)),
        f("orders", "inconsistent_lifecycle", "paid_at", (_before("ordered_at", 1),)),
        f("orders", "unknown_customer", "customer_id", (_new_id(80_000_000),)),
        f("orders", None, "ordered_at", (_shifted_zone("ordered_at"),)),
        # order_items (edits of existing lines)
        f("order_items", "null_key", "order_id", (None,)),
        f("order_items", "null_key", "line_number", (None,)),
        f("order_items", "unparseable_value", "quantity", ("two", "1e")),
        f("order_items", "unparseable_value", "unit_price", GARBLED_NUMBERS),
        f("order_items", "non_finite_value", "unit_price", NON_FINITE),
        f("order_items", "non_integer_value", "quantity", (0.5, 1.5, 2.5)),
        f("order_items", "non_integer_value", "line_number", (1.5,)),
        f("order_items", None, "unit_price", (0.0,)),
        f("order_items", "missing_value", "product_id", (None,)),
        f("order_items", "missing_value", "quantity", (None,)),
        f("order_items", "negative_amount", "unit_price", (-3.0,)),
        f("order_items", "invalid_value", "quantity", (0, -1)),
        f("order_items", "unknown_order", "order_id", (_new_id(75_000_000),)),
        f("order_items", "unknown_product", "product_id", (_new_id(65_000_000),)),
        # events (edits)
        f("events", "null_key", "event_id", (None,)),
        f("events", "null_key", "customer_id", (None,)),
        f("events", "unparseable_value", "event_at", GARBLED_TIMESTAMPS),
        f("events", "non_finite_value", "event_at", INFINITE_TIMESTAMPS),
        f("events", "missing_value", "event_at", (None,)),
        f("events", "missing_value", "event_type", (None,)),
        f("events", "implausible_date", "event_at", IMPLAUSIBLE_DATES),
        f("events", "future_dated", "event_at", FUTURE_DATES),
        f("events", "invalid_value", "event_type", ("teleport", "purchase", "view\x07")),
        f("events", "unknown_customer", "customer_id", (_new_id(81_000_000),)),
        f("events", "unknown_product", "product_id", (_new_id(66_000_000),)),
        f("events", None, "event_at", (_shifted_zone("event_at"),)),
        # reviews (edits)
        f("reviews", "null_key", "review_id", (None,)),
        f("reviews", "unparseable_value", "rating", ("five", "4 stars")),
        f("reviews", "unparseable_value", "reviewed_at", GARBLED_TIMESTAMPS),
        f("reviews", "non_finite_value", "rating", NON_FINITE),
        f("reviews", "non_integer_value", "rating", (0.6, 3.5, 4.5, 2.5)),
        f("reviews", "missing_value", "rating", (None,)),
        f("reviews", "implausible_date", "reviewed_at", IMPLAUSIBLE_DATES),
        f("reviews", "future_dated", "reviewed_at", FUTURE_DATES),
        f("reviews", "invalid_value", "rating", (0, 6, -1)),
        f("reviews", "unknown_customer", "customer_id", (_new_id(82_000_000),)),
        f("reviews", "unknown_order", "order_id", (_new_id(76_000_000),)),
        # credit_accounts (copies under a new key)
        f("credit_accounts", "null_key", "credit_account_id", (None,)),
        f("credit_accounts", "unparseable_value", "principal", GARBLED_NUMBERS),
        f("credit_accounts", "non_finite_value", "principal", NON_FINITE),
        f("credit_accounts", "non_integer_value", "term_months", (6.5, 0.5)),
        f("credit_accounts", "missing_value", "opened_at", (None,)),
        f("credit_accounts", "implausible_date", "opened_at", IMPLAUSIBLE_DATES),
        f("credit_accounts", "future_dated", "opened_at", FUTURE_DATES),
        f("credit_accounts", "negative_amount", "principal", (-100.0,)),
        f("credit_accounts", "implausible_amount", "principal", (1e9,)),
        f("credit_accounts", "invalid_value", "principal", (0.0,)),
        f("credit_accounts", "invalid_value", "term_months", (0,)),
        f("credit_accounts", "unknown_customer", "customer_id", (_new_id(83_000_000),)),
        f("credit_accounts", "unknown_order", "order_id", (_new_id(77_000_000),)),
        # repayments (edits)
        f("repayments", "null_key", "credit_account_id", (None,)),
        f("repayments", "unparseable_value", "amount_due", GARBLED_NUMBERS),
        f("repayments", "unparseable_value", "due_date", GARBLED_TIMESTAMPS),
        f("repayments", "non_finite_value", "amount_due", NON_FINITE),
        f("repayments", "non_finite_value", "amount_paid", NON_FINITE),
        f("repayments", "non_finite_value", "paid_at", INFINITE_TIMESTAMPS),
        f("repayments", "non_integer_value", "installment_number", (2.5,)),
        f("repayments", "missing_value", "amount_due", (None,)),
        f("repayments", "missing_value", "due_date", (None,)),
        f("repayments", "implausible_date", "due_date", (dt.date(1800, 1, 1), dt.date(1969, 12, 31))),
        f("repayments", "implausible_date", "paid_at", IMPLAUSIBLE_DATES),
        f("repayments", "future_dated", "paid_at", FUTURE_DATES),
        f("repayments", "negative_amount", "amount_due", (-5.0,)),
        f("repayments", "negative_amount", "amount_paid", (-5.0,)),
        f("repayments", "unknown_credit_account", "credit_account_id", (_new_id(9_900_000_000),)),
        # refunds (copies; the small shop gets a clean refunds file, see clean_refunds)
        f("refunds", "null_key", "refund_id", (None,)),
        f("refunds", "unparseable_value", "refund_amount", GARBLED_NUMBERS),
        f("refunds", "non_finite_value", "refund_amount", NON_FINITE),
        f("refunds", "non_finite_value", "refunded_at", INFINITE_TIMESTAMPS),
        f("refunds", "missing_value", "refunded_at", (None,)),
        f("refunds", "implausible_date", "refunded_at", IMPLAUSIBLE_DATES),
        f("refunds", "future_dated", "refunded_at", FUTURE_DATES),
        f("refunds", "invalid_value", "refund_amount", (0.0,)),
        f("refunds", "implausible_amount", "refund_amount", (1e9,)),
        f("refunds", "unknown_customer", "customer_id", (_new_id(84_000_000),)),
        f("refunds", "unknown_order", "order_id", (_new_id(78_000_000),)),
    ]


FAULTS = _faults()
# Faults that may share one row (distinct columns, no fault reading another's column): the
# multi-fault class checks the precedence order on them.
COMBINABLE = {
    "orders": ("customer_id", "ordered_at", "order_amount", "refund_amount"),
    "reviews": ("review_id", "rating", "reviewed_at", "customer_id", "order_id"),
    "events": ("event_id", "event_at", "event_type", "customer_id", "product_id"),
}


def expected_reason(reasons: list[str | None]) -> str | None:
    found = [reason for reason in reasons if reason is not None]
    return min(found, key=PRECEDENCE.index) if found else None


# ----------------------------------------------------------------------------- the shop
@dataclass
class Shop:
    """Raw tables as lists of row dicts (python values: int, float, str, datetime, date, None)."""
    tables: dict[str, list[dict]]
    columns: dict[str, list[str]]
    arrow_types: dict[str, dict[str, pa.DataType]]
    planted: list[tuple[str, str, str | None]] = field(default_factory=list)  # (table, row_key, reason)
    zone_checks: list[tuple[str, str, str, dt.datetime]] = field(default_factory=list)

    def __repr__(self) -> str:  # hypothesis prints the fixtures of a failing example
        return f"Shop({ {t: len(r) for t, r in self.tables.items()} })"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    @classmethod
    def read(cls, raw: Path, tables) -> "Shop":
        rows, columns, types = {}, {}, {}
        for table in tables:
            data = pq.read_table(raw / f"{table}.parquet")
            rows[table] = data.to_pylist()
            columns[table] = list(data.column_names)
            types[table] = {f.name: f.type for f in data.schema}
        return cls(rows, columns, types)

    def copy(self) -> "Shop":
        return Shop({t: [dict(r) for r in rows] for t, rows in self.tables.items()},
                    {t: list(c) for t, c in self.columns.items()}, self.arrow_types)


def row_key(table: str, row: dict) -> str:
    """The quarantine's row key: key values as text joined with '|', 'null' for a null."""
    return "|".join("null" if row[c] is None else str(row[c]) for c in KEYS[table])


def clean_refunds(shop: Shop, n: int = 40) -> list[dict]:
    """Refund documents for delivered, never returned or cancelled orders (valid: no reason)."""
    orders = [o for o in shop.tables["orders"]
              if o["delivered_at"] is not None and o["returned_at"] is None and o["cancelled_at"] is None
              and o["delivered_at"] + dt.timedelta(days=3) < CUT]
    picked = random.Random(5).sample(orders, min(n, len(orders)))
    return [{"refund_id": 3_000_000 + i, "customer_id": o["customer_id"], "order_id": o["order_id"],
             "refunded_at": o["delivered_at"] + dt.timedelta(days=2),
             "refund_amount": round(o["order_amount"] * 0.25, 2) or 0.01}
            for i, o in enumerate(picked)]


class Planter:
    """Applies faults to rows of a shop and logs the expected reason of each planted row."""

    def __init__(self, shop: Shop, rnd: random.Random):
        self.shop, self.rnd = shop, rnd
        self.original = {t: len(rows) for t, rows in shop.tables.items()}
        self.used: dict[str, set[int]] = {t: set() for t in shop.tables}
        self.counters: dict[int, int] = {}

    def fresh(self, base: int) -> int:
        self.counters[base] = self.counters.get(base, 0) + 1
        return base + self.counters[base]

    def _pick(self, table: str) -> int:
        """A clean row of the shop no other plant has used (planted rows are never templates)."""
        index = self.rnd.choice([i for i in range(self.original[table]) if i not in self.used[table]])
        self.used[table].add(index)
        return index

    def _template(self, table: str) -> tuple[dict, bool]:
        """A clean row to plant on: an edit in place (leaf tables) or a copy under a new key."""
        row = self.shop.tables[table][self._pick(table)]
        if table not in COPY_TABLES:
            return row, False
        row = dict(row)
        row[KEYS[table][0]] = self.fresh(2_000_000_000)
        if table == "orders":  # no lifecycle: a fault on ordered_at cannot make it inconsistent
            row.update({state: None for state in ORDER_STATES}, refund_amount=None)
        if table in ("credit_accounts", "refunds"):
            row["order_id"] = None  # not a second account / document for an order
        return row, True

    def plant(self, faults: list[Fault], choices: list[int]) -> None:
        table = faults[0].table
        row, is_new = self._template(table)
        kept_instants = []  # valid values rewritten in another zone: staging must give them back in UTC
        for fault, choice in zip(faults, choices):
            value = fault.values[choice % len(fault.values)]
            if fault.reason is None and fault.column in TIMESTAMP_COLUMNS.get(table, ()):
                kept_instants.append((fault.column, row[fault.column]))
            row[fault.column] = value(row, self) if callable(value) else value
        if is_new:
            self.shop.tables[table].append(row)
        key, reason = row_key(table, row), expected_reason([f.reason for f in faults])
        self.shop.planted.append((table, key, reason))
        if reason is None:
            self.shop.zone_checks.extend((table, column, key, instant) for column, instant in kept_instants)

    def duplicate(self, table: str) -> None:
        """A second version of a clean row, same key, one conflicting value."""
        copy = dict(self.shop.tables[table][self._pick(table)])
        conflicting = {"customers": ("region", "west"), "products": ("brand", "other brand"),
                       "orders": ("order_amount", (copy.get("order_amount") or 0) + 1.5),
                       "order_items": ("unit_price", (copy.get("unit_price") or 0) + 0.5),
                       "events": ("event_type", "view" if copy.get("event_type") != "view" else "search"),
                       "reviews": ("rating", 1 + (copy.get("rating") or 1) % 5),
                       "credit_accounts": ("principal", (copy.get("principal") or 0) + 10.0),
                       "repayments": ("amount_paid", None),
                       "refunds": ("refund_amount", (copy.get("refund_amount") or 0) + 0.5)}[table]
        copy[conflicting[0]] = conflicting[1]
        self.shop.tables[table].append(copy)
        self.shop.planted.append((table, row_key(table, copy), "duplicate"))

    def shuffle(self) -> None:
        """Planted rows anywhere in the file: no check may depend on the row order."""
        for rows in self.shop.tables.values():
            self.rnd.shuffle(rows)


# ----------------------------------------------------------------------------- writers
def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else "Infinity" if value == math.inf else "-Infinity" if value == -math.inf else repr(value)
    return str(value)


def _arrow_column(values: list, clean_type: pa.DataType, as_text: bool, as_float: bool) -> pa.Array:
    present = [v for v in values if v is not None]
    if as_text or any(isinstance(v, str) for v in present) and not pa.types.is_string(clean_type):
        return pa.array([_text(v) for v in values], pa.string())
    if pa.types.is_integer(clean_type) and (as_float or any(isinstance(v, float) for v in present)):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array(values, clean_type)


@dataclass(frozen=True)
class Storage:
    """How one table's file is written: which columns go as text or float, extra/dropped columns."""
    timestamps_as_text: bool = False
    ids_as_float: bool = False
    extra_column: bool = False
    drop_optional: bool = False


def write_table(shop: Shop, table: str, path: Path, file_format: str, storage: Storage) -> int:
    rows = shop.tables[table]
    columns = [c for c in shop.columns[table] if not (storage.drop_optional and DROPPABLE.get(table) == c)]
    if storage.extra_column:
        columns.append("hostile_extra")
    types = shop.arrow_types[table]
    if file_format == "csv":
        _write_csv(path, columns, rows)
        return len(rows)
    arrays = []
    for c in columns:
        values = [r.get(c, "junk \x01") if c == "hostile_extra" else r.get(c) for r in rows]
        clean_type = types.get(c, pa.string())
        arrays.append(_arrow_column(
            values, clean_type,
            as_text=storage.timestamps_as_text and c in TIMESTAMP_COLUMNS.get(table, ()),
            as_float=storage.ids_as_float and c.endswith("_id")))
    pq.write_table(pa.Table.from_arrays(arrays, names=columns), path)
    return len(rows)


def _csv_field(value) -> bytes:
    text = _text(value)
    if text is None:
        return b""
    if any(ch in text for ch in ',"\n\r'):
        text = '"' + text.replace('"', '""') + '"'
    return text.encode("utf-8")


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    lines = [b",".join(c.encode() for c in columns)]
    for r in rows:
        lines.append(b",".join(_csv_field(r.get(c, "junk \x01") if c == "hostile_extra" else r.get(c))
                               for c in columns))
    path.write_bytes(b"\n".join(lines) + b"\n")

"""File-level hostile input: a file the project cannot use stops the build with a message that names
the table or file, the column or line and the problem, never a Python traceback; a file that is odd
but usable (an empty optional file, a quote in the path) builds, and every row is accounted for.

One class per test case (a class that stops the build cannot share it with another); hypothesis
draws the variant of the class. Where the issue leaves two honest outcomes open (stop with a
message, or read and account for every row), either passes, and docs/reliability.md says which the
project gives.
"""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given, note, settings, strategies as st

from ..conftest import dbt_output, stopped_cleanly
from .conftest import query, run_build, write_manifest
from .hostile import CUT, Storage, write_table

pytestmark = pytest.mark.dbt

# A class gets half the examples of a row-level test (each is one dbt build), at least one.
FILE_EXAMPLES = max(1, settings.default.max_examples // 2)
STAGING_ONLY = ["build", "--exclude", "models/ml+"]
REQUIRED = {"orders": ("order_id", "customer_id", "ordered_at", "order_amount"),
            "order_items": ("order_id", "product_id", "quantity", "unit_price"),
            "reviews": ("review_id", "customer_id", "rating", "reviewed_at"),
            "repayments": ("credit_account_id", "installment_number", "due_date", "amount_due"),
            "customers": ("customer_id",)}
def _write_shop(shop, raw, file_format, skip=()):
    written = {}
    for table in shop.tables:
        if table not in skip:
            written[table] = write_table(shop, table, raw / f"{table}.{file_format}", file_format, Storage())
    write_manifest(raw, file_format)
    return written


def assert_stops_with(result, *needles: str, problem: str) -> None:
    """rc != 0, every needle (table / file, column / line) and the problem pattern in dbt's output,
    and no Python traceback."""
    note(dbt_output(result)[-3000:])
    output = stopped_cleanly(result)
    missing = [n for n in needles if n.lower() not in output.lower()]
    assert not missing, f"the message does not name {missing}:\n{output[-3000:]}"
    assert re.search(problem, output, re.IGNORECASE), f"the message does not say /{problem}/:\n{output[-3000:]}"


def assert_accounted(work_dir, written: dict) -> None:
    accounting = query(work_dir, "select * from main.raw_row_accounting").set_index("source_table")
    for table, n in written.items():
        row = accounting.loc[table]
        assert row["raw_rows"] == n == row["clean_rows"] + row["quarantined_rows"], (table, n, dict(row))


# ----------------------------------------------------------------------------- orders unusable
EMPTY = r"empty|no rows|0 rows|zero rows|no (clean )?orders?|0 orders|header only|orders: read 0"


@settings(max_examples=FILE_EXAMPLES)
@given(variant=st.sampled_from(["zero_bytes.csv", "header_only.csv", "zero_rows.parquet", "zero_bytes.parquet"]))
def test_empty_orders_file_stops_with_a_message(clean_shop, workspace, variant):
    kind, file_format = variant.split(".")
    work_dir, raw = workspace(file_format)
    _write_shop(clean_shop, raw, file_format, skip=("orders",))
    path = raw / f"orders.{file_format}"
    if kind == "zero_bytes":
        path.write_bytes(b"")
    elif kind == "header_only":
        path.write_text(",".join(clean_shop.columns["orders"]) + "\n")
    else:
        schema = pa.schema([(c, clean_shop.arrow_types["orders"][c]) for c in clean_shop.columns["orders"]])
        pq.write_table(schema.empty_table(), path)
    result = run_build(["build"], raw=raw, work_dir=work_dir, file_format=file_format)
    # A header-only CSV or a 0-row Parquet file is a valid empty table (README, Raw data): the stop
    # may name the table rather than the file; a 0-byte file is a file problem and must be named.
    assert_stops_with(result, f"orders.{file_format}" if kind == "zero_bytes" else "orders", problem=EMPTY)


@settings(max_examples=FILE_EXAMPLES)
@given(variant=st.sampled_from(["amounts_missing", "epoch_integers", "customers_empty", "customer_ids_1e16"]),
       file_format=st.sampled_from(["parquet", "csv"]))
def test_no_clean_order_stops_with_counts_and_reasons(clean_shop, workspace, variant, file_format):
    """Every order rejected: the build stops early and says how many were read and why. (Every order
    after the manifest is not such a case: a manifest before all the data is itself unusable, and
    the cut falls back to the end of the order history.)"""
    shop = clean_shop.copy()
    orders = shop.tables["orders"]
    reason = {"amounts_missing": "missing_value", "epoch_integers": "unparseable_value",
              "customers_empty": "unknown_customer", "customer_ids_1e16": "unknown_customer"}[variant]
    if variant == "amounts_missing":  # e.g. an export that lost the amount column's values
        for o in orders:
            o["order_amount"] = None
    elif variant == "epoch_integers":  # wrong type per file: ordered_at as int64 epoch seconds
        for o in orders:
            o["ordered_at"] = int(o["ordered_at"].replace(tzinfo=dt.timezone.utc).timestamp())
        shop.arrow_types = {**shop.arrow_types, "orders": {**shop.arrow_types["orders"], "ordered_at": pa.int64()}}
    elif variant == "customers_empty":
        shop.tables["customers"] = []
    else:  # ids exported through a float beyond 2**53: they no longer match the orders' ids
        for c in shop.tables["customers"]:
            c["customer_id"] = float(c["customer_id"] + 10**16)
        shop.arrow_types = {**shop.arrow_types, "customers": {**shop.arrow_types["customers"], "customer_id": pa.float64()}}
    work_dir, raw = workspace(file_format)
    _write_shop(shop, raw, file_format)
    result = run_build(["build"], raw=raw, work_dir=work_dir, file_format=file_format)
    typed_file = {"epoch_integers": ("orders", "ordered_at"), "customer_ids_1e16": ("customers", "customer_id")}
    if file_format == "parquet" and variant in typed_file:
        # A Parquet column of the wrong type may be refused before any row is read: then the
        # message names that file and column instead.
        table, column = typed_file[variant]
        try:
            assert_stops_with(result, f"{table}.parquet", column, problem=r"type")
            return
        except AssertionError:
            pass
    assert_stops_with(result, "orders", str(len(orders)), reason, problem=r"no clean order|no order|0 clean")


@settings(max_examples=FILE_EXAMPLES)
@given(table=st.sampled_from(sorted(REQUIRED)), data=st.data(), file_format=st.sampled_from(["parquet", "csv"]))
def test_missing_required_column_stops_naming_file_and_column(clean_shop, workspace, table, data, file_format):
    column = data.draw(st.sampled_from(REQUIRED[table]))
    shop = clean_shop.copy()
    shop.columns = {**shop.columns, table: [c for c in shop.columns[table] if c != column]}
    work_dir, raw = workspace(file_format)
    _write_shop(shop, raw, file_format)
    result = run_build(["build"], raw=raw, work_dir=work_dir, file_format=file_format)
    assert_stops_with(result, f"{table}.{file_format}", column, problem=r"lacks|missing|required")


# ----------------------------------------------------------------------------- malformed CSV
BAD_LINES = {
    "too_many_fields": lambda line: line + b",surplus,fields",
    "too_few_fields": lambda line: line.rsplit(b",", 2)[0],
    "bare_cr": lambda line: line.replace(b",", b"\r,", 1),
    "unterminated_quote": lambda line: line.replace(b",", b',"', 1),
    "invalid_utf8": lambda line: line + b"\xff\xfe caf\xe9",
    "nul_byte": lambda line: line.replace(b",", b"\x00,", 1),
}


@settings(max_examples=FILE_EXAMPLES)
@given(kind=st.sampled_from(sorted(BAD_LINES)), table=st.sampled_from(["orders", "events", "customers", "reviews"]),
       data=st.data())
def test_malformed_csv_line_is_named_or_accounted_for(clean_shop, workspace, kind, table, data):
    """A broken line stops the build naming the file and the line, or is read and accounted for
    (raw rows = the file's data lines, at least one of them quarantined)."""
    work_dir, raw = workspace("csv")
    written = _write_shop(clean_shop, raw, "csv")
    path = raw / f"{table}.csv"
    lines = path.read_bytes().split(b"\n")[:-1]
    number = data.draw(st.integers(2, len(lines)), label="line number (1 = header)")
    lines[number - 1] = BAD_LINES[kind](lines[number - 1])
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = run_build(STAGING_ONLY, raw=raw, work_dir=work_dir, file_format="csv")
    if result.returncode != 0:
        assert_stops_with(result, f"{table}.csv", problem=rf"line\D{{0,12}}({number}|{number - 1})\b")
        return
    assert_accounted(work_dir, written)
    quarantined = query(work_dir, f"select count(*) as n from main.quarantined_rows where source_table = '{table}'")
    assert quarantined["n"][0] >= 1 or kind in ("invalid_utf8", "nul_byte"), "the broken line passed as clean"


# ----------------------------------------------------------------------------- usable oddities
@settings(max_examples=FILE_EXAMPLES)
@example(table="reviews", variant="header_only.csv")  # CI's one drawn example is a 0-byte Parquet file
@given(table=st.sampled_from(["events", "reviews", "products", "refunds", "repayments"]),
       variant=st.sampled_from(["zero_bytes.parquet", "zero_bytes.csv", "header_only.csv", "zero_rows.parquet"]))
def test_empty_optional_file_builds_or_is_named(clean_shop, workspace, table, variant):
    kind, file_format = variant.split(".")
    work_dir, raw = workspace(file_format)
    written = _write_shop(clean_shop, raw, file_format, skip=(table,))
    path = raw / f"{table}.{file_format}"
    if kind == "zero_bytes":
        path.write_bytes(b"")
    elif kind == "header_only":
        path.write_text(",".join(clean_shop.columns[table]) + "\n")
    else:
        schema = pa.schema([(c, clean_shop.arrow_types[table][c]) for c in clean_shop.columns[table]])
        pq.write_table(schema.empty_table(), path)
    result = run_build(STAGING_ONLY, raw=raw, work_dir=work_dir, file_format=file_format)
    # An empty optional file is an empty table (issue 7: a 0-byte events file used to stop the build).
    assert result.returncode == 0, dbt_output(result)[-3000:]
    assert_accounted(work_dir, {**written, table: 0})


@settings(max_examples=FILE_EXAMPLES)
@given(name=st.sampled_from(["shop's data", "o'brien", "raw ''quoted'' ü"]), file_format=st.sampled_from(["parquet", "csv"]))
def test_raw_path_with_a_quote_builds(clean_shop, workspace, name, file_format):
    work_dir, raw = workspace(file_format, name)
    written = _write_shop(clean_shop, raw, file_format)
    result = run_build(STAGING_ONLY, raw=raw, work_dir=work_dir, file_format=file_format)
    assert result.returncode == 0, dbt_output(result)[-3000:]
    assert_accounted(work_dir, written)


# ----------------------------------------------------------------------------- the cut
@settings(max_examples=FILE_EXAMPLES)
@example(manifest="far_future")  # the case issue 7 reported, beside CI's one drawn example
@given(manifest=st.sampled_from(["absent", "zero_rows", "null", "unparseable", "far_future"]))
def test_unusable_manifest_never_moves_the_cut_into_the_future(clean_shop, workspace, manifest):
    """A planted order dated 2099 must stay future_dated whatever the manifest says: the build either
    stops naming the manifest, or warns about it and cuts no later than the real data."""
    shop = clean_shop.copy()
    template = dict(shop.tables["orders"][0])
    template.update(order_id=2_100_000_001, ordered_at=dt.datetime(2099, 6, 1),
                    **{c: None for c in ("paid_at", "shipped_at", "delivered_at", "cancelled_at", "returned_at")},
                    refund_amount=None)
    shop.tables["orders"].append(template)
    work_dir, raw = workspace("parquet")
    written = _write_shop(shop, raw, "parquet")
    path = raw / "extraction_manifest.parquet"
    if manifest == "absent":
        path.unlink()
    elif manifest == "far_future":
        pq.write_table(pa.table({"extracted_at": pa.array([dt.datetime(2099, 1, 1)], pa.timestamp("us"))}), path)
    else:
        values = {"zero_rows": pa.array([], pa.timestamp("us")), "null": pa.array([None], pa.timestamp("us")),
                  "unparseable": pa.array(["last tuesday"], pa.string())}[manifest]
        pq.write_table(pa.table({"extracted_at": values}), path)
    result = run_build(STAGING_ONLY, raw=raw, work_dir=work_dir, file_format="parquet")
    if result.returncode != 0:
        assert_stops_with(result, "manifest", problem=r"manifest|extracted_at|as_of_date")
        return
    assert "manifest" in dbt_output(result).lower(), "the cut fell back without a warning naming the manifest"
    cut = query(work_dir, "select extracted_at from staging.stg_shop__extraction_manifest")["extracted_at"][0]
    assert cut <= CUT + dt.timedelta(days=1), f"the cut moved to {cut}, after the real data ({CUT})"
    reasons = query(work_dir, "select rejection_reason from main.quarantined_rows where source_table = 'orders' "
                              "and row_key = '2100000001'")["rejection_reason"].tolist()
    assert reasons == ["future_dated"], f"the 2099 order is {reasons or 'clean'}"
    assert_accounted(work_dir, written)

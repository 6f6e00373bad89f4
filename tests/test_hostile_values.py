"""Wrong values never pass as clean: NaN / ±Infinity, fractional counts, impossible dates, control
characters in ids and codes, huge, negative-zero and zero amounts, planted in every table of one
small shop. The same shop is built from Parquet and from CSV (staging and features only, once
each): every planted row gets exactly its expected reason, both formats give the same verdict on
every row, and no non-finite value reaches a clean model or the point-in-time features."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from shopper_scores.demo_data import generate

from .conftest import PROJECT_DIR, new_shop, query, run_dbt

# The row-level checks in the order every base model applies them (README, "Cleaning and
# quarantine"); then duplicate and the referential checks.
ROW_LEVEL_ORDER = ("null_key", "unparseable_value", "non_finite_value", "non_integer_value", "missing_value",
                   "implausible_date", "future_dated", "negative_amount", "implausible_amount", "invalid_value",
                   "inconsistent_lifecycle")
REFERENTIAL = ("duplicate", "unknown_customer", "unknown_order", "unknown_product", "unknown_credit_account",
               "parent_quarantined", "refund_already_on_order")
BASE_MODELS = PROJECT_DIR / "models/staging/shop/base"

N_CUSTOMERS = 300
SEED = 11
FORMATS = ("parquet", "csv")
ROW_TABLES = ("customers", "products", "orders", "order_items", "events", "reviews", "refunds",
              "credit_accounts", "repayments")
# Key columns of each table, in row_key order; the last one is numbered per planted row.
KEYS = {
    "customers": ("customer_id",), "products": ("product_id",), "orders": ("order_id",),
    "order_items": ("order_id", "line_number"), "events": ("event_id",), "reviews": ("review_id",),
    "refunds": ("refund_id",), "credit_accounts": ("credit_account_id",),
    "repayments": ("credit_account_id", "installment_number"),
}
# A clean raw row per table, as text; {customer}, {order}, {product}, {account} are clean rows
# of the generated shop, {at} a time before the cut and {due} its date.
TEMPLATES = {
    "customers": {"signup_at": "{at}", "birth_year": "1980", "gender": "f", "region": "north", "city_tier": "2"},
    "products": {"category": "books", "brand": "acme", "list_price": "10.0"},
    "orders": {"customer_id": "{customer}", "ordered_at": "{at}", "order_amount": "50.0", "discount_amount": "0",
               "payment_method": "card", "paid_at": "{at}"},
    "order_items": {"order_id": "{order}", "product_id": "{product}", "quantity": "1", "unit_price": "10.0"},
    "events": {"customer_id": "{customer}", "session_id": "h_s", "event_at": "{at}", "event_type": "view",
               "product_id": "{product}"},
    "reviews": {"customer_id": "{customer}", "product_id": "{product}", "rating": "4", "reviewed_at": "{at}"},
    "refunds": {"customer_id": "{customer}", "refunded_at": "{at}", "refund_amount": "5.0"},
    "credit_accounts": {"customer_id": "{customer}", "opened_at": "{at}", "principal": "100.0", "term_months": "3"},
    "repayments": {"credit_account_id": "{account}", "due_date": "{due}", "amount_due": "10.0"},
}

NON_FINITE, NON_INTEGER, IMPLAUSIBLE_DATE = "non_finite_value", "non_integer_value", "implausible_date"
CLEAN = None


@dataclass(frozen=True)
class Planted:
    """A raw row: its table's template with ``values`` (raw text) changed; ``reason`` is the first
    check it must fail (CLEAN: none)."""

    table: str
    values: dict
    reason: str | None


def _rows(table: str, reason: str | None, *changes: dict) -> list[Planted]:
    return [Planted(table, change, reason) for change in changes]


PLANTED = [
    # orders: every spelling of NaN / ±Infinity, in amounts and in every lifecycle timestamp.
    *_rows("orders", NON_FINITE, *({"order_amount": text} for text in ("NaN", "nan", "inf", "Infinity", "-inf", "-Infinity")),
           {"discount_amount": "NaN"}, {"refund_amount": "inf", "returned_at": "{at}"},
           {"ordered_at": "infinity"}, {"ordered_at": "-infinity"}, {"paid_at": "-infinity"},
           {"delivered_at": "infinity"},
           {"order_amount": "NaN", "ordered_at": "epoch"},  # non-finite is checked before dates
           {"order_amount": "NaN", "ordered_at": None}),  # ... and before missing values
    *_rows("orders", IMPLAUSIBLE_DATE, *({"ordered_at": text} for text in (
        "epoch", "0000-01-01", "0001-01-01", "1800-06-01 12:00:00", "1900-01-01", "1989-12-31 23:59:59")),
        {"shipped_at": "epoch"}, {"cancelled_at": "1900-01-01"},
        {"ordered_at": "epoch", "order_amount": "-5"}),  # dates are checked before amounts
    *_rows("orders", "implausible_amount", {"order_amount": "1e308"}, {"discount_amount": "1e308"},
           {"refund_amount": "1e308", "returned_at": "{at}"}),
    *_rows("orders", "invalid_value", {"order_id": "h_o\x00nul"}, {"order_id": "h_o\x07bel"},
           {"order_id": "h_o\ttab"}, {"order_id": "h_o\nnewline"}, {"order_id": "h_o\x85nel"}, {"customer_id": "{customer}\x07"},
           {"payment_method": "ca\trd"}),
    *_rows("orders", CLEAN, {"order_amount": "-0.0"}, {"order_amount": "0"}, {"order_amount": "1e-300"}),
    # order_items: fractional, non-finite and out-of-range counts; prices.
    *_rows("order_items", NON_FINITE, {"quantity": "NaN"}, {"quantity": "inf"}, {"unit_price": "NaN"},
           {"unit_price": "-inf"}, {"unit_price": "Infinity"}, {"line_number": "nan"}),
    *_rows("order_items", NON_INTEGER, *({"quantity": text} for text in ("1.5", "0.5", "2.5", "3.5")),
           {"line_number": "1.5"}, {"quantity": "1.5", "unit_price": "-1"}),
    *_rows("order_items", "implausible_amount", {"unit_price": "1e308"}),
    *_rows("order_items", "invalid_value", {"quantity": "1e12"}, {"quantity": "-1"}, {"quantity": "0"},
           {"line_number": "3000000000"}, {"product_id": "{product}\x07"}),
    *_rows("order_items", CLEAN, {"quantity": "2.0"}, {"unit_price": "-0.0"}, {"unit_price": "0"}),
    # products
    *_rows("products", NON_FINITE, {"list_price": "NaN"}, {"list_price": "inf"}, {"list_price": "-Infinity"}),
    *_rows("products", "implausible_amount", {"list_price": "1e308"}),
    *_rows("products", "invalid_value", {"product_id": "h_p\x00"}, {"category": "bo\noks"}),
    *_rows("products", CLEAN, {"brand": "acme\tbrand"}, {"list_price": "-0.0"}, {"list_price": "0"}),
    # customers: an implausible birth year stays a flag, a malformed one is rejected.
    *_rows("customers", NON_FINITE, {"signup_at": "infinity"}, {"signup_at": "-infinity"},
           {"birth_year": "NaN"}, {"city_tier": "-inf"}),
    *_rows("customers", NON_INTEGER, {"birth_year": "1980.5"}, {"city_tier": "1.5"}),
    *_rows("customers", IMPLAUSIBLE_DATE, {"signup_at": "epoch"}, {"signup_at": "0001-01-01"},
           {"signup_at": "1900-01-01"}),
    *_rows("customers", "invalid_value", {"customer_id": "h_c\t1"}, {"region": "no\x07rth"}, {"gender": "f\n"},
           {"city_tier": "1e12"}),
    *_rows("customers", CLEAN, {"birth_year": "1850"}, {"birth_year": "1e12"},
           {"signup_at": "1990-01-01 00:00:00"}),  # the floor itself is plausible
    # events
    *_rows("events", NON_FINITE, {"event_at": "infinity"}, {"event_at": "-infinity"}),
    *_rows("events", IMPLAUSIBLE_DATE, {"event_at": "epoch"}, {"event_at": "1800-01-01"}),
    *_rows("events", CLEAN, {"event_at": "1990-01-01"}),
    *_rows("events", "invalid_value", {"event_id": "h_e\x00"}, {"session_id": "s\n1"}, {"event_type": "vi\tew"}),
    # reviews
    *_rows("reviews", NON_FINITE, {"rating": "NaN"}, {"rating": "inf"}, {"reviewed_at": "-infinity"}),
    *_rows("reviews", NON_INTEGER, *({"rating": text} for text in ("0.6", "3.5", "4.5", "2.5"))),
    *_rows("reviews", IMPLAUSIBLE_DATE, {"reviewed_at": "0000-01-01"}, {"reviewed_at": "epoch"}),
    *_rows("reviews", "invalid_value", {"rating": "6"}, {"rating": "0"}, {"rating": "1e12"}, {"review_id": "h_r\x07"}),
    *_rows("reviews", CLEAN, {"rating": "4.0"}),
    # refunds: a refund document must be positive (zero and negative zero are invalid_value).
    *_rows("refunds", NON_FINITE, {"refund_amount": "NaN"}, {"refund_amount": "inf"}, {"refund_amount": "-inf"},
           {"refunded_at": "infinity"}),
    *_rows("refunds", IMPLAUSIBLE_DATE, {"refunded_at": "epoch"}, {"refunded_at": "1800-01-01"}),
    *_rows("refunds", "implausible_amount", {"refund_amount": "1e308"}),
    *_rows("refunds", "invalid_value", {"refund_amount": "0"}, {"refund_amount": "-0.0"}, {"refund_id": "h_f\t"}),
    *_rows("refunds", CLEAN, {}),
    # credit accounts: a principal must be positive.
    *_rows("credit_accounts", NON_FINITE, {"principal": "NaN"}, {"principal": "Infinity"}, {"term_months": "inf"},
           {"opened_at": "-infinity"}),
    *_rows("credit_accounts", NON_INTEGER, {"term_months": "2.5"}, {"term_months": "0.5"}),
    *_rows("credit_accounts", IMPLAUSIBLE_DATE, {"opened_at": "epoch"}, {"opened_at": "1900-01-01"}),
    *_rows("credit_accounts", "implausible_amount", {"principal": "1e308"}),
    *_rows("credit_accounts", "invalid_value", {"principal": "0"}, {"principal": "-0.0"}, {"term_months": "1e12"},
           {"credit_account_id": "h_a\x07"}),
    *_rows("credit_accounts", CLEAN, {}),
    # repayments: a NaN payment must never settle an instalment.
    *_rows("repayments", NON_FINITE, {"amount_paid": "NaN", "paid_at": "{at}"}, {"amount_due": "NaN"},
           {"amount_due": "inf"}, {"installment_number": "nan"}, {"due_date": "infinity"},
           {"due_date": "-infinity"}, {"paid_at": "-infinity", "amount_paid": "10"}),
    *_rows("repayments", NON_INTEGER, {"installment_number": "1.5"}),
    *_rows("repayments", IMPLAUSIBLE_DATE, {"due_date": "0001-01-01"}, {"due_date": "1800-01-01"},
           {"paid_at": "epoch", "amount_paid": "10"}),
    *_rows("repayments", "implausible_amount", {"amount_paid": "1e308", "paid_at": "{at}"}),
    *_rows("repayments", "invalid_value", {"installment_number": "3000000000"},
           {"credit_account_id": "{account}\x07"}),
    *_rows("repayments", CLEAN, {"amount_paid": "-0.0", "paid_at": "{at}"}, {"amount_due": "0"}),
]


def _documented_columns() -> dict[str, dict[str, str]]:
    """table -> column -> documented type, from the sources yml."""
    sources = yaml.safe_load((PROJECT_DIR / "models/staging/shop/_shop__sources.yml").read_text())
    return {table["name"]: {column["name"]: column["data_type"] for column in table["columns"]}
            for table in sources["sources"][0]["tables"]}


def _parquet_type(documented: str) -> str:
    # Count-like columns are written as doubles, the only Parquet type that can hold 1.5 or NaN.
    return "double" if documented == "integer" else documented


def _parse(column: str, documented: str) -> str:
    """How a raw text is typed for the Parquet copy (timestamps through timestamptz, as staging does)."""
    if documented == "timestamp":
        return f"try_cast(try_cast({column} as timestamptz) as timestamp)"
    return f"try_cast({column} as {_parquet_type(documented)})"


def _anchors(demo: Path) -> dict[str, str]:
    """Clean rows of the generated shop to hang planted rows on (none is a planted dirty row)."""
    with duckdb.connect() as con:
        def first(sql: str) -> str:
            return str(con.sql(sql).fetchall()[0][0])
        dirty = f"(select row_key from '{demo}/truth/planted_dirty_rows.parquet')"
        customer = first(f"select customer_id from '{demo}/customers.parquet' where cast(customer_id as varchar) "
                         f"not in {dirty} and customer_id in (select customer_id from '{demo}/credit_accounts.parquet')"
                         " group by all having count(*) = 1 order by 1 limit 1")
        extracted_at = pd.Timestamp(first(f"select extracted_at from '{demo}/extraction_manifest.parquet'"))
        at = extracted_at - pd.Timedelta(days=30)
        return {
            "customer": customer,
            "order": first(f"select cast(cast(order_id as bigint) as varchar) from '{demo}/orders.parquet' "
                           f"where customer_id = {customer} and ordered_at < '{at}' and cancelled_at is null "
                           f"and cast(cast(order_id as bigint) as varchar) not in {dirty} order by 1 limit 1"),
            "product": first(f"select product_id from '{demo}/products.parquet' order by 1 limit 1"),
            "account": first(f"select credit_account_id from '{demo}/credit_accounts.parquet' "
                             f"where customer_id = {customer} order by 1 limit 1"),
            "at": str(at), "due": str(at.date()),
        }


def _planted_rows(anchors: dict[str, str], columns: dict[str, dict[str, str]]) -> list[tuple[Planted, dict]]:
    """Each planted row with its full raw text (a fresh key, numbered) and its expected row_key."""
    rows = []
    for number, planted in enumerate(PLANTED, start=1):
        numbered = KEYS[planted.table][-1]
        text = {column: None for column in columns[planted.table]}
        text[numbered] = str(1000 + number) if numbered in ("line_number", "installment_number") else f"h{number}"
        text.update(TEMPLATES[planted.table])
        text.update(planted.values)
        text = {column: value if value is None else value.format(**anchors) for column, value in text.items()}
        rows.append((planted, text))
    return rows


def _write_shop(demo: Path, raw: Path, file_format: str, planted_rows, columns) -> dict[str, int]:
    """The generated shop plus the planted rows, as ``file_format`` files; returns rows per table."""
    counts = {}
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        for table in ROW_TABLES + ("extraction_manifest",):
            documented = columns[table]
            text_columns = ", ".join(f"{column} varchar" for column in documented)
            con.execute(f"create table planted_{table} ({text_columns})")
            rows = [tuple(text.values()) for planted, text in planted_rows if planted.table == table]
            if rows:
                con.executemany(f"insert into planted_{table} values ({', '.join('?' * len(documented))})", rows)
            source = demo / f"{table}.parquet"
            demo_rows = f"from '{source}'" if source.exists() else "from (select 1) where false"
            if file_format == "parquet":
                kept = ", ".join(f"cast({c} as {_parquet_type(t)}) as {c}" if source.exists()
                                 else f"cast(null as {_parquet_type(t)}) as {c}" for c, t in documented.items())
                added = ", ".join(f"{_parse(c, t)} as {c}" for c, t in documented.items())
                options = "(format parquet)"
            else:
                kept = ", ".join(f"cast({c} as varchar) as {c}" if source.exists() else f"cast(null as varchar) as {c}"
                                 for c in documented)
                added = ", ".join(documented)
                options = "(format csv, header)"
            con.execute(f"copy (select {kept} {demo_rows} union all select {added} from planted_{table}) "
                    f"to '{raw}/{table}.{file_format}' {options}")
            counts[table] = con.sql(f"select count(*) from '{raw}/{table}.{file_format}'").fetchall()[0][0]
    return counts


def _non_finite_cells(warehouse: Path) -> dict[str, int]:
    """Non-finite numbers and timestamps per column of every clean model and of the features."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.sql(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where (table_name like 'stg_shop__%' or table_name = 'int_user_features_point_in_time') "
            "and data_type in ('DOUBLE', 'FLOAT', 'TIMESTAMP', 'DATE')").fetchall()
        assert len(columns) > 20, columns
        found = {}
        for schema, table, column in columns:
            bad = con.sql(f"select count(*) from {schema}.{table} where not isfinite({column})").fetchall()[0][0]
            if bad:
                found[f"{table}.{column}"] = bad
        return found


@pytest.fixture(scope="module")
def hostile_builds(tmp_path_factory):
    """The planted rows and, per format, the rows written and the built warehouse."""
    work_dir, demo = new_shop(tmp_path_factory, "hostile_values")
    generate(demo, n_customers=N_CUSTOMERS, seed=SEED)
    columns = _documented_columns()
    planted_rows = _planted_rows(_anchors(demo), columns)
    builds = {}
    for file_format in FORMATS:
        raw = work_dir / file_format
        raw.mkdir()
        counts = _write_shop(demo, raw, file_format, planted_rows, columns)
        warehouse = work_dir / f"{file_format}.duckdb"
        run_dbt(["build", "--select", "+int_user_features_point_in_time", "+raw_row_accounting"],
                warehouse=warehouse, raw_dir=raw, work_dir=work_dir / f"{file_format}_dbt",
                extra_vars={"raw_file_format": file_format})
        builds[file_format] = (counts, warehouse)
    return planted_rows, builds


def _verdicts(warehouse: Path) -> Counter:
    """(table, row_key, rejection_reason) of every raw row: the quarantined ones as quarantined_rows
    lists them, the clean ones (reason None) from the clean models, keyed as row_key keys them."""
    clean = " union all ".join(
        f"select '{table}' as source_table, concat_ws('|', {', '.join(f'cast({c} as varchar)' for c in KEYS[table])})"
        f" as row_key, null as rejection_reason from staging.stg_shop__{table}" for table in ROW_TABLES)
    union = f"select source_table, row_key, rejection_reason from main.quarantined_rows union all {clean}"
    frame = query(warehouse, union).astype(object)
    return Counter(map(tuple, frame.where(frame.notna(), None).itertuples(index=False)))


def _row_key(planted: Planted, text: dict) -> str:
    return "|".join(text[column] for column in KEYS[planted.table])


@pytest.mark.dbt
@pytest.mark.parametrize("file_format", FORMATS)
def test_every_planted_row_gets_exactly_its_reason(hostile_builds, file_format):
    planted_rows, builds = hostile_builds
    verdicts = _verdicts(builds[file_format][1])
    wrong = []
    for planted, text in planted_rows:
        key = (planted.table, _row_key(planted, text))
        found = {reason: n for (table, row_key, reason), n in verdicts.items() if (table, row_key) == key}
        if found != {planted.reason: 1}:
            wrong.append((key, planted.values, planted.reason, found))
    assert not wrong, f"{len(wrong)} planted rows got another verdict: {wrong}"


@pytest.mark.dbt
@pytest.mark.parametrize("file_format", FORMATS)
def test_raw_rows_equal_clean_plus_quarantined(hostile_builds, file_format):
    _, builds = hostile_builds
    counts, warehouse = builds[file_format]
    accounting = query(warehouse, "select * from main.raw_row_accounting").set_index("source_table")
    for table in ROW_TABLES:
        row = accounting.loc[table]
        assert row["raw_rows"] == counts[table], table  # counted independently of dbt
        assert row["raw_rows"] == row["clean_rows"] + row["quarantined_rows"], table


@pytest.mark.dbt
def test_csv_and_parquet_give_the_same_verdict_on_every_row(hostile_builds):
    _, builds = hostile_builds
    parquet, csv = (_verdicts(builds[file_format][1]) for file_format in FORMATS)
    assert sum(parquet.values()) > 10_000
    assert parquet == csv, {"parquet only": list((parquet - csv).items())[:10],
                            "csv only": list((csv - parquet).items())[:10]}


@pytest.mark.dbt
@pytest.mark.parametrize("file_format", FORMATS)
def test_no_non_finite_value_reaches_clean_models_or_features(hostile_builds, file_format):
    _, builds = hostile_builds
    assert _non_finite_cells(builds[file_format][1]) == {}


@pytest.mark.dbt
@pytest.mark.parametrize("file_format", FORMATS)
def test_clean_models_hold_no_date_before_the_floor(hostile_builds, file_format):
    _, builds = hostile_builds
    early = query(builds[file_format][1], """
        select
            (select count(*) from staging.stg_shop__orders where least(ordered_at, paid_at, shipped_at,
                delivered_at, cancelled_at, returned_at) < '1990-01-01') as orders,
            (select count(*) from staging.stg_shop__customers where signup_at < '1990-01-01') as customers,
            (select count(*) from staging.stg_shop__repayments
             where least(due_date, cast(paid_at as date)) < '1990-01-01') as repayments
    """)
    assert early.iloc[0].sum() == 0


@pytest.mark.dbt
@pytest.mark.parametrize("file_format", FORMATS)
def test_borderline_values_that_pass_keep_their_meaning(hostile_builds, file_format):
    """Negative zero is zero, a whole '2.0' is 2, an implausible birth year is nulled and flagged."""
    planted_rows, builds = hostile_builds
    warehouse = builds[file_format][1]

    def key_of(table: str, change: dict) -> str:
        return next(_row_key(p, text) for p, text in planted_rows if p.table == table and p.values == change)

    orders = query(warehouse, f"""select order_amount from staging.stg_shop__orders where order_id = '{key_of("orders", {"order_amount": "-0.0"})}'""")
    assert orders["order_amount"].tolist() == [0.0]
    order_id, line = key_of("order_items", {"quantity": "2.0"}).split("|")
    items = query(warehouse, f"""select quantity from staging.stg_shop__order_items
        where order_id = '{order_id}' and line_number = {line}""")
    assert items["quantity"].tolist() == [2]
    reviews = query(warehouse, f"""select rating from staging.stg_shop__reviews
        where review_id = '{key_of("reviews", {"rating": "4.0"})}'""")
    assert reviews["rating"].tolist() == [4]
    keys = [key_of("customers", {"birth_year": "1850"}), key_of("customers", {"birth_year": "1e12"})]
    customers = query(warehouse, f"""select birth_year, is_birth_year_invalid from staging.stg_shop__customers
        where customer_id in ('{keys[0]}', '{keys[1]}')""")
    assert customers["birth_year"].isna().all() and customers["is_birth_year_invalid"].all() and len(customers) == 2


def test_every_base_model_checks_in_the_documented_order():
    """Not a dbt build (fast lane): the reasons each base model's rejection `case` writes come in
    the README's order, and quarantined_rows accepts each of them."""
    section = (PROJECT_DIR / "README.md").read_text().split("### Cleaning and quarantine")[1].split("\n## ")[0]
    vocabulary = ROW_LEVEL_ORDER + REFERENTIAL
    documented = list(dict.fromkeys(name for name in re.findall(r"`(\w+)`", section) if name in vocabulary))
    assert documented == list(vocabulary)
    quality = yaml.safe_load((PROJECT_DIR / "models/marts/quality/_quality__models.yml").read_text())
    quarantine = next(model for model in quality["models"] if model["name"] == "quarantined_rows")
    reason_column = next(column for column in quarantine["columns"] if column["name"] == "rejection_reason")
    accepted = next(test["accepted_values"]["arguments"]["values"] for test in reason_column["data_tests"]
                    if isinstance(test, dict) and "accepted_values" in test)
    assert sorted(accepted) == sorted(vocabulary)
    for path in sorted(BASE_MODELS.glob("base_shop__*.sql")):
        reasons = re.findall(r"then '(\w+)'", path.read_text())
        row_level = reasons[:reasons.index("duplicate")]
        assert row_level == sorted(row_level, key=ROW_LEVEL_ORDER.index), path.name
        assert set(reasons[len(row_level):]) <= set(REFERENTIAL), path.name

"""An idiomatic pandas peer of the project's ``user_features`` mart (bench only, never run by dbt).

    python bench/pandas_user_features.py --raw RAW --out peer.parquet \
        [--as-of-date 2025-12-31 --extracted-at "2025-12-31 18:00:00" --context-run-id ID]

Why it exists: the scale benchmark (bench/scale.py) needs a yardstick for the project's feature
layer that a competent practitioner would write without dbt: read the same raw Parquet files,
apply the cleaning that changes these values, then vectorised groupby / merge (no Python loop
over customers), one row per customer at the scoring cut-off. ``agreement`` then checks, value by
value, that it computes the same thing as the warehouse.

What it replicates (read from models/staging/shop/base/*.sql, stg_shop__*.sql,
models/intermediate/population/* and models/intermediate/features/*):

* cleaning: a row is dropped when any row-level check of its base model fails (null key,
  unparseable or non-finite value, fractional count, missing required value, date before var
  ``earliest_plausible_date``, dated after the cut, negative or implausible amount, invalid value
  or code, inconsistent order lifecycle); of several clean versions of a key the one the base
  model ranks first is kept (orders: the furthest state; repayments: the one with a payment); a
  row whose parent is unknown or has no clean row is dropped; orders and refund documents are
  capped at var ``order_amount_cap``; implausible birth years become unknown;
* the population at the scoring date (customers table plus anyone who ordered, first seen
  strictly before as_of_date) and every column of ``user_features`` at that one date.

The scoring date comes from the build (``int_scoring_context``: as_of_date, extracted_at and
context_run_id); without them it is derived as the project does when the extraction manifest is
usable (as_of_date = the date of extracted_at). The manifest fallback rule (the end of the main
order history) is not replicated: without a manifest, pass the dates. Only the Parquet layout is
read (the project also reads CSV); ids are kept as integers when every id column is an integer
column, else compared as cleaned text, as the project does.

With one cut-off a boolean filter (``ordered_at < as_of_date``) is the idiomatic point-in-time
cut; ``merge_asof`` would only pay off for many cut-offs per customer (the training features,
which are not part of ``user_features``).

Money is summed in integer nano-units, as the project's exact sums (``decimal(38, 9)``) do, so a
difference such as ``spend_trend_90d`` is exact where it cancels; every other sum, mean and rate
is the plain pandas one.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
NANO = 10**9
EVENT_TYPES = ("view", "search", "add_to_cart", "remove_from_cart", "favorite", "checkout")
FEATURE_EVENT_TYPES = ("view", "search", "add_to_cart", "favorite", "checkout")
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# C0 controls, DEL and the C1 controls (the project's has_control_character).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# The columns of each raw table the peer reads; ids and codes are cleaned as the project does.
ID_COLUMNS = {
    "customers": ["customer_id"],
    "products": ["product_id"],
    "orders": ["order_id", "customer_id"],
    "order_items": ["order_id", "product_id"],
    "events": ["event_id", "customer_id", "session_id", "product_id"],
    "reviews": ["review_id", "customer_id", "product_id", "order_id"],
    "credit_accounts": ["credit_account_id", "customer_id", "order_id"],
    "repayments": ["credit_account_id"],
    "refunds": ["refund_id", "customer_id", "order_id"],
}
CODE_COLUMNS = {
    "customers": ["gender", "region"],
    "products": ["category"],
    "orders": ["payment_method"],
    "events": ["event_type"],
}
OTHER_COLUMNS = {
    "customers": ["signup_at", "birth_year", "city_tier"],
    "products": ["list_price"],
    "orders": ["ordered_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at", "returned_at",
               "order_amount", "discount_amount", "refund_amount"],
    "order_items": ["line_number", "quantity", "unit_price"],
    "events": ["event_at"],
    "reviews": ["rating", "reviewed_at"],
    "credit_accounts": ["opened_at", "principal", "term_months"],
    "repayments": ["installment_number", "due_date", "amount_due", "paid_at", "amount_paid"],
    "refunds": ["refunded_at", "refund_amount"],
}  # fmt: skip

# user_features, column by column, in the mart's order.
COUNT_COLUMNS = [
    "orders_placed_lifetime", "orders_lifetime", "orders_30d", "orders_90d", "orders_365d",
    "distinct_categories_lifetime", "sessions_30d", "sessions_90d", "sessions_365d", "events_90d",
    *[f"{t}_events_90d" for t in FEATURE_EVENT_TYPES], "reviews_lifetime", "refunds_lifetime",
    "credit_accounts_lifetime", "instalments_due", "instalments_paid_late", "instalments_30dpd",
    "current_days_past_due",
]
ZERO_MONEY_COLUMNS = [
    "net_spend_30d", "net_spend_90d", "net_spend_365d", "net_spend_lifetime", "net_spend_prev_90d",
    "refunded_amount_lifetime", "refunded_amount_90d", "credit_principal_lifetime", "outstanding_balance",
]
COLUMNS = [
    "customer_id", "as_of_date", "context_run_id", "tenure_days", "age_years", "region", "city_tier",
    "orders_placed_lifetime", "orders_lifetime", "orders_30d", "orders_90d", "orders_365d",
    "net_spend_30d", "net_spend_90d", "net_spend_365d", "net_spend_lifetime", "net_spend_prev_90d",
    "net_spend_same_period_last_year", "distinct_categories_lifetime", "sessions_30d", "sessions_90d",
    "sessions_365d", "events_90d",
    *[f"{t}_events_90d" for t in FEATURE_EVENT_TYPES], "reviews_lifetime", "refunds_lifetime",
    "refunded_amount_lifetime", "refunded_amount_90d", "credit_accounts_lifetime",
    "credit_principal_lifetime", "instalments_due", "instalments_paid_late", "instalments_30dpd",
    "current_days_past_due", "outstanding_balance", "recency_days", "days_since_first_order",
    "mean_days_between_orders", "std_days_between_orders", "average_order_value", "spend_trend_90d",
    "cancellation_rate", "return_rate", "discount_share", "instalment_order_share",
    "days_since_last_event", "view_to_cart_rate_90d", "cart_to_order_rate_90d", "mean_review_rating",
    "low_rating_share", "max_days_past_due", "late_instalment_share",
]  # fmt: skip
NULLABLE_INT_COLUMNS = ["tenure_days", "age_years", "recency_days", "days_since_first_order",
                        "days_since_last_event", "max_days_past_due"]  # fmt: skip


class PeerError(RuntimeError):
    """Input the peer cannot read (a clear message instead of a traceback)."""


@dataclass(frozen=True)
class PeerParams:
    """The cut and the cleaning parameters (the project's vars, read from dbt_project.yml)."""

    as_of_date: pd.Timestamp  # midnight of the scoring date
    extracted_at: pd.Timestamp
    context_run_id: str | None
    order_amount_cap: float
    order_amount_max_plausible: float
    earliest_plausible_date: pd.Timestamp
    horizon_days: int = 90

    @classmethod
    def from_project(cls, *, as_of_date, extracted_at, context_run_id: str | None = None,
                     project_dir: Path = PROJECT_DIR) -> PeerParams:
        dbt_vars = yaml.safe_load((project_dir / "dbt_project.yml").read_text())["vars"]
        return cls(
            as_of_date=pd.Timestamp(as_of_date).normalize(),
            extracted_at=pd.Timestamp(extracted_at),
            context_run_id=context_run_id,
            order_amount_cap=float(dbt_vars["order_amount_cap"]),
            order_amount_max_plausible=float(dbt_vars["order_amount_max_plausible"]),
            earliest_plausible_date=pd.Timestamp(dbt_vars["earliest_plausible_date"]),
            horizon_days=int(dbt_vars["horizon_days"]),
        )


# ----------------------------------------------------------------------------- reading
@dataclass
class RawTable:
    frame: pd.DataFrame
    bad: np.ndarray  # rows a row-level check already rejects (non-finite or unparseable value)


def _is_present(raw: Path, table: str) -> bool:
    path = raw / f"{table}.parquet"
    return path.exists() and path.stat().st_size > 0


def _id_columns_are_integers(raw: Path) -> bool:
    """The project compares ids as text; integer ids everywhere compare the same as integers."""
    for table, columns in ID_COLUMNS.items():
        if not _is_present(raw, table):
            continue
        schema = pq.read_schema(raw / f"{table}.parquet")
        for column in columns:
            if column in schema.names:
                kind = schema.field(column).type
                if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_null(kind)):
                    return False
    return True


def _non_finite(column: pa.ChunkedArray) -> np.ndarray:
    """NaN / +-inf in a float column (nulls are not: a null is a missing value, NaN is rejected)."""
    if pa.types.is_floating(column.type):
        return pc.fill_null(pc.invert(pc.is_finite(column)), False).to_numpy(zero_copy_only=False)
    return np.zeros(len(column), dtype=bool)


def _read(raw: Path, table: str, integer_ids: bool) -> RawTable | None:
    """A raw table with its ids, codes, timestamps and numbers typed and normalised; None if absent."""
    if not _is_present(raw, table):
        return None
    path = raw / f"{table}.parquet"
    schema = pq.read_schema(path)
    names = set(schema.names)
    wanted = ID_COLUMNS[table] + CODE_COLUMNS.get(table, []) + OTHER_COLUMNS[table]
    present = [c for c in wanted if c in names]
    dictionary = [c for c in CODE_COLUMNS.get(table, []) if c in names
                  and (pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type))]
    try:
        arrow = pq.read_table(path, columns=present, read_dictionary=dictionary)
    except (OSError, pa.ArrowException) as error:
        raise PeerError(f"cannot read {path}: {error}") from error
    bad = np.zeros(arrow.num_rows, dtype=bool)
    for name in present:
        bad |= _non_finite(arrow.column(name))
    frame = arrow.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype()}.get,
                            date_as_object=False)
    del arrow
    for name in wanted:
        if name not in frame:
            frame[name] = pd.Series(pd.NA, index=frame.index, dtype="object")
    for name in ID_COLUMNS[table]:
        frame[name], invalid = _clean_id(frame[name], integer_ids, f"{table}.{name}")
        bad |= invalid
    for name in CODE_COLUMNS.get(table, []):
        frame[name], invalid = _clean_code(frame[name])
        bad |= invalid
    return RawTable(frame, bad)


def _clean_id(values: pd.Series, integer_ids: bool, where: str) -> tuple[pd.Series, np.ndarray]:
    """Integer ids (a whole float is its integer: '10.0' is 10), or trimmed text with blanks null."""
    no_problem = np.zeros(len(values), dtype=bool)
    if pd.api.types.is_float_dtype(values):
        whole = values.isna() | (values == np.floor(values))
        if not whole.all():
            raise PeerError(f"{where}: float ids that are not whole numbers (the project stops on them too)")
        values = values.astype("Int64")
    if pd.api.types.is_integer_dtype(values) or values.isna().all():
        ids = values.astype("Int64")
        return (ids, no_problem) if integer_ids else (ids.astype("string"), no_problem)
    if not integer_ids:
        # SQL trim() removes spaces only: a tab or newline stays, and is then a control character.
        text = values.astype("string").str.strip(" ").str.replace(r"^([0-9]+)\.0+$", r"\1", regex=True)
        text = text.mask(text == "")
        return text, text.str.contains(CONTROL, na=False).to_numpy(dtype=bool)
    raise PeerError(f"{where}: ids of type {values.dtype} among integer ids")


def _clean_code(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Codes trimmed and lower-cased, blanks null, as a categorical (one small array per value)."""
    if values.isna().all():
        return pd.Series(pd.Categorical([None] * len(values)), index=values.index), np.zeros(len(values), bool)
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("string").astype("category")
    categories = pd.Index(values.cat.categories.astype(str)).str.strip(" ").str.lower()
    cleaned = pd.Index(sorted({c for c in categories if c}))
    remap = np.append(cleaned.get_indexer(categories), -1)  # old code -> new code; -1 stays null
    codes = remap[values.cat.codes.to_numpy()]
    has_control = np.append(np.array([bool(CONTROL.search(c)) for c in categories], dtype=bool), False)
    invalid = has_control[values.cat.codes.to_numpy()]
    return pd.Series(pd.Categorical.from_codes(codes, cleaned), index=values.index), invalid


def _timestamp(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """UTC wall time (an offset converted, naive read as UTC); text that does not parse is bad."""
    problem = np.zeros(len(values), dtype=bool)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]"), problem
    if pd.api.types.is_datetime64_dtype(values):
        parsed = values.astype("datetime64[us]")
        # DuckDB reads the extreme int64 timestamps as +-infinity (non_finite_value).
        ticks = parsed.to_numpy().view("int64")
        return parsed, (ticks == np.iinfo(np.int64).max) | (ticks == np.iinfo(np.int64).min + 1)
    if values.isna().all():
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]"), problem
    if pd.api.types.is_string_dtype(values) or values.dtype == object:
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
        parsed = parsed.dt.tz_localize(None).astype("datetime64[us]")
        return parsed, (values.notna() & parsed.isna()).to_numpy(dtype=bool)
    raise PeerError(f"a timestamp column of type {values.dtype} (the project stops on it too)")


def _number(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A double (text parsed); unparseable or infinite values are bad (NaN was caught on read)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
    elif values.isna().all():
        return pd.Series(np.nan, index=values.index), np.zeros(len(values), dtype=bool)
    elif pd.api.types.is_string_dtype(values) or values.dtype == object:
        numbers = pd.to_numeric(values.astype("string").str.strip(), errors="coerce").astype("float64")
        return numbers, (values.notna() & ~np.isfinite(numbers)).to_numpy(dtype=bool)
    else:
        raise PeerError(f"a number column of type {values.dtype} (the project stops on it too)")
    return numbers, np.isinf(numbers.to_numpy())


def _count(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """A count-like column: a number that must be whole (never rounded) and fit an integer."""
    numbers, bad = _number(values)
    bad = bad | (numbers != np.floor(numbers)).to_numpy() & numbers.notna().to_numpy()
    bad |= ((numbers < INT32_MIN) | (numbers > INT32_MAX)).to_numpy()
    return numbers, bad


# ----------------------------------------------------------------------------- cleaning helpers
def _keep_first_version(frame: pd.DataFrame, key: list[str], order: list[str], descending=(), text=()) -> pd.DataFrame:
    """One row per key: of several versions the first in the base model's ranking (nulls last).

    Only the duplicated keys are sorted; id columns the project ranks as text are ranked as text."""
    duplicated = frame.duplicated(key, keep=False)
    if not duplicated.any():
        return frame
    versions = frame[duplicated]
    ranking = versions[order].copy()
    for column in text:
        ranking[column] = ranking[column].astype("string")
    ranking = ranking.sort_values(order, ascending=[c not in descending for c in order], na_position="last",
                                  kind="stable")
    first = versions.loc[ranking.index].drop_duplicates(key, keep="first")
    return pd.concat([frame[~duplicated], first])


def _known(keys: pd.Series, parents: pd.Series | None) -> np.ndarray:
    """A null reference, or one to a parent key with a clean row (no check when the parent table is absent)."""
    if parents is None:
        return np.ones(len(keys), dtype=bool)
    return (keys.isna() | keys.isin(parents)).to_numpy(dtype=bool)


def _nano(amount: pd.Series) -> pd.Series:
    """Money as integer nano-units (decimal(38, 9) in the project): sums are then exact."""
    return np.rint(amount.fillna(0).to_numpy() * NANO).astype(np.int64)


def _days(later, earlier: pd.Series) -> pd.Series:
    """Calendar days from earlier to later (the project's datediff('day'): day boundaries crossed)."""
    if isinstance(later, pd.Series):
        later = later.dt.normalize()
    return (later - earlier.dt.normalize()).dt.days


# ----------------------------------------------------------------------------- clean tables
@dataclass
class CleanShop:
    customers: pd.DataFrame | None
    products: pd.DataFrame | None
    orders: pd.DataFrame
    order_items: pd.DataFrame | None
    events: pd.DataFrame | None
    reviews: pd.DataFrame | None
    credit_accounts: pd.DataFrame | None
    repayments: pd.DataFrame | None
    refunds: pd.DataFrame | None


def _clean_customers(t: RawTable, p: PeerParams) -> pd.DataFrame:
    f = t.frame
    f["signup_at"], bad1 = _timestamp(f["signup_at"])
    f["birth_year"], bad2 = _count(f["birth_year"])
    f["city_tier"], bad3 = _count(f["city_tier"])
    bad = t.bad | bad1 | bad2 | bad3 | f["customer_id"].isna().to_numpy()
    bad |= (f["signup_at"] < p.earliest_plausible_date).to_numpy() | (f["signup_at"] > p.extracted_at).to_numpy()
    f = _keep_first_version(f[~bad], ["customer_id"], ["signup_at", "region", "city_tier", "birth_year", "gender"])
    year = f["birth_year"]
    f["birth_year"] = year.where(year.between(1900, p.extracted_at.year)).astype("Int64")
    f["city_tier"] = f["city_tier"].astype("Int64")
    return f[["customer_id", "signup_at", "birth_year", "region", "city_tier"]]


def _clean_products(t: RawTable, p: PeerParams) -> pd.DataFrame:
    f = t.frame
    f["list_price"], bad1 = _number(f["list_price"])
    bad = t.bad | bad1 | f["product_id"].isna().to_numpy()
    bad |= ((f["list_price"] < 0) | (f["list_price"] > p.order_amount_max_plausible)).to_numpy()
    f = _keep_first_version(f[~bad], ["product_id"], ["category", "list_price"])
    # (the base model ranks by category, brand, list_price; brand is not read: it changes no feature)
    return f[["product_id", "category"]]


ORDER_STATES = ["paid_at", "shipped_at", "delivered_at", "cancelled_at", "returned_at"]


def _clean_orders(t: RawTable, p: PeerParams, customer_ids: pd.Series | None) -> pd.DataFrame:
    f = t.frame
    bad = t.bad | f["order_id"].isna().to_numpy() | f["customer_id"].isna().to_numpy()
    for column in ["ordered_at", *ORDER_STATES]:
        f[column], problem = _timestamp(f[column])
        bad |= problem
        bad |= ((f[column] < p.earliest_plausible_date) | (f[column] > p.extracted_at)).to_numpy()
        if column != "ordered_at":
            bad |= (f[column] < f["ordered_at"]).to_numpy()  # inconsistent lifecycle
    for column in ["order_amount", "discount_amount", "refund_amount"]:
        f[column], problem = _number(f[column])
        bad |= problem | ((f[column] < 0) | (f[column] > p.order_amount_max_plausible)).to_numpy()
    bad |= (f["ordered_at"].isna() | f["order_amount"].isna()).to_numpy()
    bad |= (f["discount_amount"] > f["order_amount"]).to_numpy()
    f = _keep_first_version(
        f[~bad], ["order_id"],
        ["returned_at", "cancelled_at", "delivered_at", "shipped_at", "paid_at", "ordered_at", "customer_id",
         "order_amount", "discount_amount", "refund_amount", "payment_method"],
        descending=("returned_at", "cancelled_at", "delivered_at", "shipped_at", "paid_at"),
        text=("customer_id",))
    f = f[_known(f["customer_id"], customer_ids)]
    # stg_shop__orders: capped amount, discount and refund never above what the order was worth.
    refund_was_positive = f["refund_amount"] > 0
    amount = f["order_amount"].clip(upper=p.order_amount_cap)
    discount = f["discount_amount"].fillna(0).clip(upper=amount)
    refund = f["refund_amount"].where(~(f["refund_amount"] > amount - discount), amount - discount)
    return pd.DataFrame({
        "order_id": f["order_id"], "customer_id": f["customer_id"], "ordered_at": f["ordered_at"],
        "delivered_at": f["delivered_at"], "cancelled_at": f["cancelled_at"], "returned_at": f["returned_at"],
        "order_amount": amount, "discount_amount": discount, "refund_amount": refund,
        "is_instalment": (f["payment_method"] == "instalment").to_numpy(dtype=bool),
        "already_refunded": (refund_was_positive | f["cancelled_at"].notna()).to_numpy(dtype=bool),
    })


def _clean_order_items(t: RawTable, p: PeerParams, order_ids: pd.Series, product_ids: pd.Series | None) -> pd.DataFrame:
    f = t.frame
    f["line_number"], bad1 = _count(f["line_number"])
    f["quantity"], bad2 = _count(f["quantity"])
    f["unit_price"], bad3 = _number(f["unit_price"])
    bad = t.bad | bad1 | bad2 | bad3
    bad |= (f["order_id"].isna() | f["line_number"].isna() | f["product_id"].isna() | f["quantity"].isna()
            | f["unit_price"].isna()).to_numpy()
    bad |= ((f["unit_price"] < 0) | (f["unit_price"] > p.order_amount_max_plausible) | (f["quantity"] <= 0)).to_numpy()
    f = _keep_first_version(f[~bad], ["order_id", "line_number"], ["product_id", "quantity", "unit_price"],
                            text=("product_id",))
    f = f[_known(f["order_id"], order_ids) & _known(f["product_id"], product_ids)]
    return f[["order_id", "product_id"]]


def _clean_events(t: RawTable, p: PeerParams, customer_ids, product_ids) -> pd.DataFrame:
    f = t.frame
    f["event_at"], bad1 = _timestamp(f["event_at"])
    bad = t.bad | bad1 | f["event_id"].isna().to_numpy() | f["customer_id"].isna().to_numpy()
    bad |= (f["event_at"].isna() | f["event_type"].isna()).to_numpy()
    bad |= ((f["event_at"] < p.earliest_plausible_date) | (f["event_at"] > p.extracted_at)).to_numpy()
    bad |= ~f["event_type"].isin(EVENT_TYPES).to_numpy()
    f = _keep_first_version(f[~bad], ["event_id"], ["event_at", "customer_id", "session_id", "event_type", "product_id"],
                            text=("customer_id", "session_id", "product_id"))
    f = f[_known(f["customer_id"], customer_ids) & _known(f["product_id"], product_ids)]
    return f[["customer_id", "session_id", "event_at", "event_type"]]


def _clean_reviews(t: RawTable, p: PeerParams, customer_ids, order_ids) -> pd.DataFrame:
    f = t.frame
    f["rating"], bad1 = _count(f["rating"])
    f["reviewed_at"], bad2 = _timestamp(f["reviewed_at"])
    bad = t.bad | bad1 | bad2 | f["review_id"].isna().to_numpy() | f["customer_id"].isna().to_numpy()
    bad |= (f["reviewed_at"].isna() | f["rating"].isna()).to_numpy()
    bad |= ((f["reviewed_at"] < p.earliest_plausible_date) | (f["reviewed_at"] > p.extracted_at)).to_numpy()
    bad |= ((f["rating"] < 1) | (f["rating"] > 5)).to_numpy()
    f = _keep_first_version(f[~bad], ["review_id"], ["reviewed_at", "customer_id", "product_id", "rating", "order_id"],
                            text=("customer_id", "product_id", "order_id"))
    f = f[_known(f["customer_id"], customer_ids) & _known(f["order_id"], order_ids)]
    return f[["customer_id", "rating", "reviewed_at"]]


def _clean_credit_accounts(t: RawTable, p: PeerParams, customer_ids, order_ids) -> pd.DataFrame:
    f = t.frame
    f["opened_at"], bad1 = _timestamp(f["opened_at"])
    f["principal"], bad2 = _number(f["principal"])
    f["term_months"], bad3 = _count(f["term_months"])
    bad = t.bad | bad1 | bad2 | bad3 | f["credit_account_id"].isna().to_numpy() | f["customer_id"].isna().to_numpy()
    bad |= (f["opened_at"].isna() | f["principal"].isna() | f["term_months"].isna()).to_numpy()
    bad |= ((f["opened_at"] < p.earliest_plausible_date) | (f["opened_at"] > p.extracted_at)).to_numpy()
    bad |= ((f["principal"] <= 0) | (f["principal"] > p.order_amount_max_plausible) | (f["term_months"] < 1)).to_numpy()
    f = _keep_first_version(f[~bad], ["credit_account_id"],
                            ["opened_at", "customer_id", "principal", "term_months", "order_id"],
                            text=("customer_id", "order_id"))
    f = f[_known(f["customer_id"], customer_ids) & _known(f["order_id"], order_ids)]
    return f[["credit_account_id", "customer_id", "opened_at", "principal"]]


def _clean_repayments(t: RawTable, p: PeerParams, account_ids: pd.Series | None) -> pd.DataFrame:
    f = t.frame
    f["installment_number"], bad1 = _count(f["installment_number"])
    f["due_date"], bad2 = _timestamp(f["due_date"])
    f["due_date"] = f["due_date"].dt.normalize()  # a date column
    f["paid_at"], bad3 = _timestamp(f["paid_at"])
    f["amount_due"], bad4 = _number(f["amount_due"])
    f["amount_paid"], bad5 = _number(f["amount_paid"])
    bad = t.bad | bad1 | bad2 | bad3 | bad4 | bad5
    bad |= (f["credit_account_id"].isna() | f["installment_number"].isna()).to_numpy()
    bad |= (f["due_date"].isna() | f["amount_due"].isna()).to_numpy()
    bad |= ((f["due_date"] < p.earliest_plausible_date) | (f["paid_at"] < p.earliest_plausible_date)).to_numpy()
    bad |= (f["paid_at"] > p.extracted_at).to_numpy()
    for column in ["amount_due", "amount_paid"]:
        bad |= ((f[column] < 0) | (f[column] > p.order_amount_max_plausible)).to_numpy()
    f = _keep_first_version(f[~bad], ["credit_account_id", "installment_number"],
                            ["paid_at", "amount_paid", "due_date", "amount_due"], descending=("paid_at", "amount_paid"))
    # Unlike the other references, an unknown account is rejected even without a credit_accounts table.
    f = f[f["credit_account_id"].isin(account_ids if account_ids is not None else [])]
    settled = (f["paid_at"].notna() & (f["amount_paid"] >= f["amount_due"] - 0.01)).to_numpy(dtype=bool)
    return f[["credit_account_id", "due_date", "amount_due", "paid_at"]].assign(is_settled=settled)


def _clean_refunds(t: RawTable, p: PeerParams, customer_ids, order_ids, already_refunded: pd.Series) -> pd.DataFrame:
    f = t.frame
    f["refunded_at"], bad1 = _timestamp(f["refunded_at"])
    f["refund_amount"], bad2 = _number(f["refund_amount"])
    bad = t.bad | bad1 | bad2 | f["refund_id"].isna().to_numpy() | f["customer_id"].isna().to_numpy()
    bad |= (f["refunded_at"].isna() | f["refund_amount"].isna()).to_numpy()
    bad |= ((f["refunded_at"] < p.earliest_plausible_date) | (f["refunded_at"] > p.extracted_at)).to_numpy()
    bad |= ((f["refund_amount"] <= 0) | (f["refund_amount"] > p.order_amount_max_plausible)).to_numpy()
    f = _keep_first_version(f[~bad], ["refund_id"], ["refunded_at", "customer_id", "refund_amount", "order_id"],
                            text=("customer_id", "order_id"))
    f = f[_known(f["customer_id"], customer_ids) & _known(f["order_id"], order_ids)]
    f = f[~f["order_id"].isin(already_refunded)]  # the order row already subtracts that money
    return f[["customer_id", "refunded_at"]].assign(refund_amount=f["refund_amount"].clip(upper=p.order_amount_cap))


def clean_shop(raw: Path, params: PeerParams) -> CleanShop:
    """Every raw table the features read, cleaned as staging does (parents before children)."""
    raw = Path(raw)
    if not _is_present(raw, "orders"):
        raise PeerError(f"no orders file in {raw} (orders.parquet is the one mandatory table)")
    integer_ids = _id_columns_are_integers(raw)

    def read(table: str) -> RawTable | None:
        return _read(raw, table, integer_ids)

    customers = products = None
    if (t := read("customers")) is not None:
        customers = _clean_customers(t, params)
    if (t := read("products")) is not None:
        products = _clean_products(t, params)
    customer_ids = None if customers is None else customers["customer_id"]
    product_ids = None if products is None else products["product_id"]
    orders = _clean_orders(read("orders"), params, customer_ids)
    order_ids = orders["order_id"]
    items = events = reviews = accounts = repayments = refunds = None
    if (t := read("order_items")) is not None:
        items = _clean_order_items(t, params, order_ids, product_ids)
    if (t := read("events")) is not None:
        events = _clean_events(t, params, customer_ids, product_ids)
    if (t := read("reviews")) is not None:
        reviews = _clean_reviews(t, params, customer_ids, order_ids)
    if (t := read("credit_accounts")) is not None:
        accounts = _clean_credit_accounts(t, params, customer_ids, order_ids)
    if (t := read("repayments")) is not None:
        repayments = _clean_repayments(t, params, None if accounts is None else accounts["credit_account_id"])
    if (t := read("refunds")) is not None:
        refunds = _clean_refunds(t, params, customer_ids, order_ids, orders.loc[orders["already_refunded"], "order_id"])
    return CleanShop(customers, products, orders, items, events, reviews, accounts, repayments, refunds)


# ----------------------------------------------------------------------------- features
def _population(shop: CleanShop, as_of: pd.Timestamp) -> pd.DataFrame:
    """Everyone the shop knows (customers table plus anyone who ordered), first seen before as_of."""
    first_order = shop.orders.groupby("customer_id")["ordered_at"].min().rename("first_ordered_at")
    if shop.customers is not None:
        profiles = shop.customers.set_index("customer_id")
        people = profiles.join(first_order, how="outer")
    else:
        people = first_order.to_frame()
        for column in ["signup_at", "birth_year", "region", "city_tier"]:
            people[column] = pd.NA
        people["signup_at"] = pd.Series(pd.NaT, index=people.index, dtype="datetime64[us]")
    first_seen = people[["signup_at", "first_ordered_at"]].min(axis=1)
    people = people[first_seen.isna() | (first_seen < as_of)]
    first_seen = first_seen.loc[people.index]
    return pd.DataFrame({
        "tenure_days": _days(as_of, first_seen).where(first_seen < as_of, 0).astype("Int64"),
        "age_years": (as_of.year - people["birth_year"].astype("Int64")).astype("Int64"),
        "region": people["region"].astype("string"),
        "city_tier": people["city_tier"].astype("Int64").astype("string"),
    }, index=people.index)


def _order_features(orders: pd.DataFrame, as_of: pd.Timestamp, horizon_days: int) -> pd.DataFrame:
    orders = orders.sort_values(["customer_id", "ordered_at"], kind="stable")
    # The gap to the previous order is known when the order is placed: over all clean orders.
    gap = orders["ordered_at"].dt.normalize().groupby(orders["customer_id"]).diff().dt.days
    before = (orders["ordered_at"] < as_of).to_numpy()
    o, gap = orders[before], gap[before]
    days = _days(as_of, o["ordered_at"])
    cancelled = (o["cancelled_at"] < as_of).to_numpy()
    returned = (o["returned_at"] < as_of).to_numpy()
    live = ~cancelled
    net = np.where(cancelled, 0.0,
                   np.where(returned, o["order_amount"] - o["discount_amount"] - o["refund_amount"].fillna(0),
                            o["order_amount"] - o["discount_amount"]))
    net_nano = _nano(pd.Series(net, index=o.index))
    frame = pd.DataFrame({
        "customer_id": o["customer_id"],
        "placed": 1, "live": live, "cancelled": cancelled, "returned": returned,
        "delivered": (o["delivered_at"] < as_of).to_numpy(), "instalment": o["is_instalment"],
        **{f"live_{d}": live & (days <= d).to_numpy() for d in (30, 90, 365)},
        **{f"net_{d}": np.where(days <= d, net_nano, 0) for d in (30, 90, 365)},
        "net": net_nano, "net_prev_90": np.where((days > 90) & (days <= 180), net_nano, 0),
        "net_last_year": np.where((days > 365 - horizon_days) & (days <= 365), net_nano, 0),
        "discount": _nano(o["discount_amount"]), "amount": _nano(o["order_amount"]),
        "live_days": days.where(live), "days": days,
        "gap": gap, "gap_squared": gap * gap,
    })
    g = frame.groupby("customer_id")
    sums = g[["placed", "live", "cancelled", "returned", "delivered", "instalment", "live_30", "live_90",
              "live_365", "net_30", "net_90", "net_365", "net", "net_prev_90", "net_last_year", "discount",
              "amount",
              "gap", "gap_squared"]].sum()
    n_gaps = g["gap"].count()
    out = pd.DataFrame({
        "orders_placed_lifetime": sums["placed"], "orders_lifetime": sums["live"],
        "orders_30d": sums["live_30"], "orders_90d": sums["live_90"], "orders_365d": sums["live_365"],
        "net_spend_30d": sums["net_30"] / NANO, "net_spend_90d": sums["net_90"] / NANO,
        "net_spend_365d": sums["net_365"] / NANO, "net_spend_lifetime": sums["net"] / NANO,
        "net_spend_prev_90d": sums["net_prev_90"] / NANO,
        "net_spend_same_period_last_year": sums["net_last_year"] / NANO,
        "recency_days": g["live_days"].min().astype("Int64"), "days_since_first_order": g["days"].max().astype("Int64"),
        "mean_days_between_orders": (sums["gap"] / n_gaps).where(n_gaps > 0),
    })
    # Sample standard deviation from exact integer moments (the project's exact_stddev_samp_of_integers).
    moment = (n_gaps * sums["gap_squared"].astype("int64") - sums["gap"].astype("int64") ** 2).astype("float64")
    pairs = (n_gaps * (n_gaps - 1)).astype("float64")
    out["std_days_between_orders"] = np.sqrt(moment / pairs).where(pairs > 0)
    out["cancellation_rate"] = sums["cancelled"] / sums["placed"]
    out["return_rate"] = (sums["returned"] / sums["delivered"]).where(sums["delivered"] > 0)
    amount = sums["amount"] / NANO
    out["discount_share"] = ((sums["discount"] / NANO) / amount).where(amount != 0)
    out["instalment_order_share"] = sums["instalment"] / sums["placed"]
    return out


def _category_features(shop: CleanShop, as_of: pd.Timestamp) -> pd.DataFrame:
    if shop.order_items is None:
        return pd.DataFrame(columns=["distinct_categories_lifetime"])
    orders = shop.orders.loc[shop.orders["ordered_at"] < as_of, ["order_id", "customer_id"]]
    lines = shop.order_items.merge(orders, on="order_id")
    if shop.products is not None:
        lines = lines.merge(shop.products, on="product_id", how="left")
        category = lines["category"].astype("string").fillna("unknown")
    else:
        category = pd.Series("unknown", index=lines.index)
    return category.groupby(lines["customer_id"]).nunique().rename("distinct_categories_lifetime").to_frame()


def _event_features(events: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    columns = ["sessions_30d", "sessions_90d", "sessions_365d", "events_90d",
               *[f"{t}_events_90d" for t in FEATURE_EVENT_TYPES], "days_since_last_event"]
    if events is None:
        return pd.DataFrame(columns=columns)
    window = (events["event_at"] < as_of) & (events["event_at"] >= as_of - pd.Timedelta(days=365))
    e = events[window.to_numpy()]
    days = _days(as_of, e["event_at"])
    # A session counts in a window when any of its events is in it: its latest event decides.
    session_days = days.groupby([e["customer_id"], e["session_id"]]).min()
    out = pd.DataFrame({
        "sessions_30d": (session_days <= 30).groupby(level="customer_id").sum(),
        "sessions_90d": (session_days <= 90).groupby(level="customer_id").sum(),
        "sessions_365d": session_days.groupby(level="customer_id").size(),
    })
    recent = e[(days <= 90).to_numpy()]
    counts = pd.crosstab(recent["customer_id"], recent["event_type"])
    per_customer = pd.DataFrame({"days_since_last_event": days.groupby(e["customer_id"]).min()})
    per_customer["events_90d"] = counts.sum(axis=1)
    for event_type in FEATURE_EVENT_TYPES:
        per_customer[f"{event_type}_events_90d"] = counts[event_type] if event_type in counts else 0
    out = per_customer.join(out)
    out[columns[:-1]] = out[columns[:-1]].fillna(0).astype("int64")
    out["days_since_last_event"] = out["days_since_last_event"].astype("Int64")
    return out[columns]


def _review_features(reviews: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    if reviews is None:
        return pd.DataFrame(columns=["reviews_lifetime", "mean_review_rating", "low_rating_share"])
    r = reviews[reviews["reviewed_at"] < as_of]
    g = r.assign(low=r["rating"] <= 2).groupby("customer_id")
    n = g.size()
    return pd.DataFrame({"reviews_lifetime": n, "mean_review_rating": g["rating"].sum() / n,
                         "low_rating_share": g["low"].sum() / n})


def _refund_features(refunds: pd.DataFrame | None, as_of: pd.Timestamp) -> pd.DataFrame:
    if refunds is None:
        return pd.DataFrame(columns=["refunds_lifetime", "refunded_amount_lifetime", "refunded_amount_90d"])
    r = refunds[refunds["refunded_at"] < as_of]
    amount = _nano(r["refund_amount"])
    frame = pd.DataFrame({"customer_id": r["customer_id"], "n": 1, "amount": amount,
                          "amount_90": np.where(_days(as_of, r["refunded_at"]) <= 90, amount, 0)})
    sums = frame.groupby("customer_id")[["n", "amount", "amount_90"]].sum()
    return pd.DataFrame({"refunds_lifetime": sums["n"], "refunded_amount_lifetime": sums["amount"] / NANO,
                         "refunded_amount_90d": sums["amount_90"] / NANO})


def _repayment_features(shop: CleanShop, as_of: pd.Timestamp) -> pd.DataFrame:
    columns = ["credit_accounts_lifetime", "credit_principal_lifetime", "instalments_due", "instalments_paid_late",
               "instalments_30dpd", "max_days_past_due", "current_days_past_due", "outstanding_balance"]
    if shop.credit_accounts is None:
        return pd.DataFrame(columns=columns)
    accounts = shop.credit_accounts[shop.credit_accounts["opened_at"] < as_of]
    totals = accounts.assign(principal_nano=_nano(accounts["principal"])).groupby("customer_id").agg(
        credit_accounts_lifetime=("credit_account_id", "size"), principal_nano=("principal_nano", "sum"))
    totals["credit_principal_lifetime"] = totals.pop("principal_nano") / NANO
    if shop.repayments is not None:
        r = shop.repayments.merge(accounts[["credit_account_id", "customer_id"]], on="credit_account_id")
        due = (r["due_date"] < as_of).to_numpy()
        settled = r["is_settled"].to_numpy() & (r["paid_at"] < as_of).to_numpy()
        past_due = np.where(settled, _days(r["paid_at"], r["due_date"]), _days(as_of, r["due_date"]))
        frame = pd.DataFrame({
            "customer_id": r["customer_id"], "due": due, "late": due & (past_due > 0), "dpd30": due & (past_due >= 30),
            "due_dpd": np.where(due, np.maximum(past_due, 0), np.nan),
            "open_dpd": np.where(due & ~settled, past_due, np.nan),
            "outstanding": np.where(settled, 0, _nano(r["amount_due"])),
        })
        g = frame.groupby("customer_id")
        instalments = g[["due", "late", "dpd30", "outstanding"]].sum()
        instalments["max_days_past_due"] = g["due_dpd"].max()
        instalments["current_days_past_due"] = g["open_dpd"].max()
        totals = totals.join(instalments)
    else:
        totals = totals.assign(due=np.nan, late=np.nan, dpd30=np.nan, outstanding=np.nan,
                               max_days_past_due=np.nan, current_days_past_due=np.nan)
    return pd.DataFrame({
        "credit_accounts_lifetime": totals["credit_accounts_lifetime"],
        "credit_principal_lifetime": totals["credit_principal_lifetime"],
        "instalments_due": totals["due"].fillna(0).astype("int64"),
        "instalments_paid_late": totals["late"].fillna(0).astype("int64"),
        "instalments_30dpd": totals["dpd30"].fillna(0).astype("int64"),
        "max_days_past_due": totals["max_days_past_due"].astype("Int64"),
        "current_days_past_due": totals["current_days_past_due"].fillna(0).astype("int64"),
        "outstanding_balance": totals["outstanding"].fillna(0) / NANO,
    })


def user_features(shop: CleanShop, params: PeerParams) -> pd.DataFrame:
    """One row per customer of the scoring population, every column of the user_features mart."""
    as_of = params.as_of_date
    features = _population(shop, as_of)
    orders = _order_features(shop.orders, as_of, params.horizon_days)
    events = _event_features(shop.events, as_of)
    repayments = _repayment_features(shop, as_of)
    for part in (orders, _category_features(shop, as_of), events, _review_features(shop.reviews, as_of),
                 _refund_features(shop.refunds, as_of), repayments):
        features = features.join(part, how="left")
    features[COUNT_COLUMNS] = features[COUNT_COLUMNS].fillna(0).astype("int64")
    features[ZERO_MONEY_COLUMNS] = features[ZERO_MONEY_COLUMNS].astype("float64").fillna(0.0)
    lifetime = orders["orders_lifetime"].reindex(features.index)
    net = orders["net_spend_lifetime"].reindex(features.index)
    features["average_order_value"] = (net / lifetime).where(lifetime > 0)
    features["spend_trend_90d"] = features["net_spend_90d"] - features["net_spend_prev_90d"]
    # null unless the shop's history (its first clean order) reaches a year before the date
    covered = as_of - pd.Timedelta(days=365) >= shop.orders["ordered_at"].min().normalize()
    same_period = features["net_spend_same_period_last_year"].astype("float64")
    features["net_spend_same_period_last_year"] = same_period.fillna(0.0) if covered else np.nan
    views = events["view_events_90d"].reindex(features.index)
    carts = events["add_to_cart_events_90d"].reindex(features.index)
    features["view_to_cart_rate_90d"] = (carts / views).where(views > 0)
    features["cart_to_order_rate_90d"] = (features["orders_90d"] / carts).where(carts > 0)
    due = repayments["instalments_due"].reindex(features.index)
    late = repayments["instalments_paid_late"].reindex(features.index)
    features["late_instalment_share"] = (late / due).where(due > 0)
    for column in NULLABLE_INT_COLUMNS:
        features[column] = features[column].astype("Int64")
    features = features.rename_axis("customer_id").reset_index()
    features["customer_id"] = features["customer_id"].astype("string")
    features["as_of_date"] = as_of.date()
    features["context_run_id"] = params.context_run_id
    return features[COLUMNS]


def manifest_cut(raw: Path) -> pd.Timestamp:
    """extracted_at of the manifest (the project's cut when the manifest is usable)."""
    path = Path(raw) / "extraction_manifest.parquet"
    if not _is_present(Path(raw), "extraction_manifest"):
        raise PeerError(f"no extraction manifest in {raw}: pass --as-of-date and --extracted-at")
    values, _ = _timestamp(pd.read_parquet(path)["extracted_at"])
    if values.isna().all():
        raise PeerError(f"{path} holds no usable extracted_at: pass --as-of-date and --extracted-at")
    return values.max()


# ----------------------------------------------------------------------------- agreement
@dataclass
class Agreement:
    customers: int
    columns: int
    problems: list[str]

    @property
    def agrees(self) -> bool:
        return not self.problems


REL_TOLERANCE = 1e-9


def agreement(peer: pd.DataFrame, warehouse: pd.DataFrame, rel_tolerance: float = REL_TOLERANCE,
              max_problems: int = 20) -> Agreement:
    """Compare two user_features frames of the same customers, column by column.

    Integers, text, dates and booleans must be equal (nulls in the same places); doubles must be
    both null or within ``rel_tolerance`` of each other relative to the larger magnitude (0 = 0)."""
    problems: list[str] = []
    missing = [c for c in warehouse.columns if c not in peer.columns]
    extra = [c for c in peer.columns if c not in warehouse.columns]
    if missing:
        problems.append(f"columns the peer lacks: {missing}")
    if extra:
        problems.append(f"columns the warehouse lacks: {extra}")
    p = peer.assign(customer_id=peer["customer_id"].astype(str)).set_index("customer_id").sort_index()
    w = warehouse.assign(customer_id=warehouse["customer_id"].astype(str)).set_index("customer_id").sort_index()
    if not p.index.equals(w.index):
        only_w = w.index.difference(p.index)
        only_p = p.index.difference(w.index)
        problems.append(f"customer sets differ: {len(only_w)} only in the warehouse (e.g. {list(only_w[:5])}), "
                        f"{len(only_p)} only in the peer (e.g. {list(only_p[:5])})")
        common = w.index.intersection(p.index)
        p, w = p.loc[common], w.loc[common]
    columns = [c for c in w.columns if c in p.columns]
    for column in columns:
        a, b = p[column], w[column]
        null_a, null_b = a.isna().to_numpy(), b.isna().to_numpy()
        if pd.api.types.is_float_dtype(b) and not pd.api.types.is_integer_dtype(b):
            x = pd.to_numeric(a, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            y = b.to_numpy(dtype="float64", na_value=np.nan)
            both = ~null_a & ~null_b
            close = np.ones(len(x), dtype=bool)
            close[both] = np.abs(x[both] - y[both]) <= rel_tolerance * np.maximum(np.abs(x[both]), np.abs(y[both]))
            wrong = (null_a != null_b) | ~close
        else:
            if _is_date_like(a) or _is_date_like(b):
                a, b = _as_dates(a), _as_dates(b)
            x = _comparable(a)
            y = _comparable(b)
            wrong = (null_a != null_b) | (~null_a & ~null_b & (x != y))
        if wrong.any():
            rows = np.flatnonzero(wrong)
            examples = ", ".join(f"{p.index[i]}: peer {a.iloc[i]!r} vs warehouse {b.iloc[i]!r}" for i in rows[:3])
            problems.append(f"{column}: {wrong.sum()} of {len(x)} customers differ ({examples})")
        if len(problems) >= max_problems:
            break
    return Agreement(customers=len(w), columns=len(columns) + 1, problems=problems)  # + the key


def _is_date_like(values: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    first = values.dropna()
    return values.dtype == object and len(first) > 0 and isinstance(first.iloc[0], (datetime.date, pd.Timestamp))


def _as_dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.date.astype(object)


def _comparable(values: pd.Series) -> np.ndarray:
    """Values as plain Python objects of one kind per column (numbers as ints, the rest as text)."""
    if values.dtype == object and values.map(lambda v: isinstance(v, datetime.date)).any():
        return values.to_numpy(dtype=object)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("Int64").to_numpy(dtype=object, na_value=None)
    return np.array([str(v) if not (v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)))
                     else None for v in values], dtype=object)


# ----------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw", type=Path, required=True, help="directory of the raw Parquet files")
    parser.add_argument("--out", type=Path, required=True, help="Parquet file to write the features to")
    parser.add_argument("--as-of-date", help="scoring date (default: the date of the manifest's extracted_at)")
    parser.add_argument("--extracted-at", help="the cut (default: the manifest's extracted_at)")
    parser.add_argument("--context-run-id", default=None, help="copied into context_run_id (the build's)")
    args = parser.parse_args(argv)
    try:
        start = time.perf_counter()
        if not _is_present(args.raw, "orders"):
            raise PeerError(f"no orders file in {args.raw} (orders.parquet is the one mandatory table)")
        extracted_at = pd.Timestamp(args.extracted_at) if args.extracted_at else manifest_cut(args.raw)
        as_of_date = pd.Timestamp(args.as_of_date) if args.as_of_date else extracted_at.normalize()
        params = PeerParams.from_project(as_of_date=as_of_date, extracted_at=extracted_at,
                                         context_run_id=args.context_run_id)
        shop = clean_shop(args.raw, params)
        cleaned = time.perf_counter()
        features = user_features(shop, params)
        del shop
        computed = time.perf_counter()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        features.to_parquet(args.out, index=False)
        written = time.perf_counter()
    except (PeerError, ValueError) as error:
        print(f"pandas_user_features: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"rows": len(features), "columns": len(features.columns),
                      "as_of_date": str(params.as_of_date.date()), "extracted_at": str(params.extracted_at),
                      "read_and_clean_s": round(cleaned - start, 3), "features_s": round(computed - cleaned, 3),
                      "write_s": round(written - computed, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

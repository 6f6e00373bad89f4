"""Deterministic, chunked generator of an online shop's raw data with planted ground truth.

Output (``generate(out_dir, ...)``)::

    out_dir/{customers,products,orders,order_items,events,reviews,credit_accounts,
             repayments,extraction_manifest}.parquet
    out_dir/truth/{customer_truth,credit_account_truth,planted_dirty_rows}.parquet
    out_dir/generator_params.json          (written last)

Customers are processed in chunks (``chunk_size``); every table is appended chunk by chunk with a
``pyarrow.parquet.ParquetWriter``, so memory stays bounded at any size.  Chunk ``c`` draws from
``numpy.random.default_rng([seed, 1, c])`` (dirty rows from ``[seed, 2, c]``, the catalogue from
``[seed, 0]``), so the same arguments give byte-identical files; the clean rows do not depend on
``dirty``.  Ids run on across chunks; customer ids follow signup order.  Timestamps are naive UTC
with whole seconds.

Latent model (per customer i; r_i ~ N(0, 1) is the credit-risk latent)
-------------------------------------------------------------------------
Risk shows in behaviour about as strongly as in real instalment portfolios: late payments on earlier
instalments, returns, discount hunting and cancellations all rise with r_i, so a behavioural
scorecard can reach a Gini of roughly 0.4-0.6 while the oracle (true PD) stays above it.

* signup_at: spread over [start, extracted_at) with exponential growth (density ∝ exp(1.1 u),
  u = fraction of the period): later years have more signups.
* demographics: age = clip(40 + 13 z, 18, 85) with corr(z, r) = -0.3 (young -> riskier);
  birth_year null for ~6 %; gender F/M/null (51/44/5 %); city_tier 1-3 (35/40/25 %) from a latent
  with corr 0.35 to r (tier 3 -> riskier); region from five values, ~2 % with messy spelling
  (' North', 'SOUTH ', ...).
* purchase rate λ_i (orders/year) = 4.6 * Gamma(1.3)/1.3 * exp(-0.1 r_i) (normalised, mean ~4.6).
* churn: churn_at = signup_at + Exponential(mean 2 years); no orders or events after it.
* seasonality s(t) (model.seasonality): annual cosine (±12 %, high in January, low in July) plus a
  Gaussian bump (+0.6) around 26 November (sd ~15 days); yearly mean exactly 1.  Orders are an
  inhomogeneous Poisson process with rate λ_i s(t) on [signup_at, min(churn_at, extracted_at)),
  simulated by thinning.
* spend level m_i (expected gross order value): log m = log 52 - 0.22 r + 0.10 z_age
  - 0.15 (tier - 2) + 0.55 ε (population mean ~65, heavy right tail).  A single order's gross value
  is m_i * LogNormal(-σ²/2, σ = 0.5); it is split into 1-5 lines (more lines for bigger orders,
  Gamma(3) shares) whose category follows the customer's Dirichlet category preferences
  (concentration varies per customer, hence varying category breadth) among the categories that
  have a product that cheap; each line takes the product of that category whose list price is
  nearest to the line's unit value, and unit_price is the line value / quantity rounded to cents
  (so unit_price is close to, not equal to, list_price), hence E[order_amount] = m_i up to cents.
* discount_share d_i = 0.2 * sigmoid(-1.1 + 0.9 r + 0.6 ε): an order carries a discount with
  probability d_i / 0.2, of U(5 %, 35 %) of the gross.
* cancel_prob c_i = 0.04 + 0.06 sigmoid(0.9 r + 0.7 ε) (4-10 %); return_prob ρ_i = 0.05 + 0.15
  sigmoid(1.0 r + 0.7 ε) (5-20 % of delivered orders); a return refunds a fraction
  0.5 + 0.5 Beta(6 μ, 6 (1 - μ)) of the net value, with refund_fraction_mean_i = 0.5 + 0.5 μ_i,
  μ_i ~ Beta(6, 2).
* instalment_propensity π_i: 0 for ~56 % of customers ("never": 0.45 r + 0.9 ε <= 0.15),
  otherwise sigmoid(-0.75 + 0.5 r + 0.7 ε); the order-level chance is
  π_i * clip(sqrt(gross / m_i), 0.3, 2) for orders of at least 25 (so bigger orders are financed more often), ~10-15 % of orders overall.
  Other orders pay by card / paypal / bank_transfer with per-customer Dirichlet preferences.
* lifecycle: paid 0.5-20 min after ordering (bank_transfer 0.2-2.5 days); a cancelled order is
  cancelled either before payment (then paid_at null) or 0.02-0.5 days after it, and never ships;
  otherwise shipped 0.5-3 days after payment, delivered 1-5 days after shipping, returned 3-30 days
  after delivery.  Any state dated after extracted_at is NULL (had not happened yet).
* events: every order has a converting session in the 5-90 min before ordered_at (views of the
  ordered products and a few others, add_to_cart per line, sometimes add+remove of another product,
  maybe a search and a favorite, a checkout just before the order); browsing sessions come at rate
  (0.7 λ_i + 0.8) * LogNormal(mean 1) per year, seasonal, while alive.
* reviews: a delivered order is reviewed with a customer-specific probability ~Beta(2, 11)
  (~15 %), 1-20 days after delivery, rating lower when the order was returned.
* credit: one account per instalment order that is not (visibly) cancelled; term 3/6/12 months
  (longer for bigger principals); true_pd = sigmoid(PD_INTERCEPT + PD_SLOPE r_i); default ~
  Bernoulli(true_pd).  Defaulters miss instalment k* (uniform among those inside the 12-month
  window: k <= min(term, 10)) and every later one (unpaid, cured 60.5-150 days late, or partially
  paid); instalments before k* and all instalments of non-defaulters are settled 7 days early to
  45 days late, late (5-45 days) with probability sigmoid(-1.6 + 1.6 r_i) (+0.25 before a default).
  Payments dated after extracted_at are NULL.

The project's default rule (instalment settled iff paid_at is not null and amount_paid >=
amount_due - 0.01; an account defaults iff an instalment with due_date + 60 <= date(opened_at) + 365
was not settled before due_date + 60 days) reproduces ``credit_account_truth.defaulted`` exactly for
every account with date(opened_at) + 365 days <= extracted_at.

Ids: customer_id 1..n in signup order, product_id from 10001 (shuffled over categories),
order_id from 100000001, credit_account_id from 900000001, event/session/review ids from 1; each
chunk's ids are in time order.  After each chunk a block of order/event/session/review ids is
skipped (a gap); dirty rows that need a new id take it from that block, so the clean rows are
identical with and without ``dirty``.

Dirty rows (``dirty=True``) are *extra* rows (copies or new rows, never edits of clean rows) mixed
into the chunks at random positions and logged in truth/planted_dirty_rows.parquet (row_key = key
values joined with '|', 'null' for a null key); see ``DIRTY_RATES`` and ``_plant_dirty_rows``.
Issues: duplicate (customers, orders, order_items, events, repayments), null_primary_key
(customers, orders, events), unknown_customer (orders, events), negative_amount / absurd_amount
(orders), future_dated (orders, events, reviews), non_positive_quantity (order_items: an extra
line number on a clean order), rating_out_of_range (reviews: 0 or 6).  New-id dirty orders have no
items, events or credit account and never pay by instalment.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import model as M

def _source_hash() -> str:
    """Hash of the generator's own source, so changed code never reuses stale demo data."""
    digest = hashlib.sha256()
    for name in ("generator.py", "model.py"):
        digest.update((Path(__file__).with_name(name)).read_bytes())
    return digest.hexdigest()[:16]


GENERATOR_VERSION = _source_hash()

# ----------------------------------------------------------------------------- schemas
_TS = pa.timestamp("us")
RAW_SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema(
        [("customer_id", pa.int64()), ("signup_at", _TS), ("birth_year", pa.int32()),
         ("gender", pa.string()), ("region", pa.string()), ("city_tier", pa.int32())]
    ),
    "products": pa.schema(
        [("product_id", pa.int64()), ("category", pa.string()), ("brand", pa.string()),
         ("list_price", pa.float64())]
    ),
    "orders": pa.schema(
        [("order_id", pa.int64()), ("customer_id", pa.int64()), ("ordered_at", _TS),
         ("order_amount", pa.float64()), ("discount_amount", pa.float64()),
         ("payment_method", pa.string()), ("paid_at", _TS), ("shipped_at", _TS),
         ("delivered_at", _TS), ("cancelled_at", _TS), ("returned_at", _TS),
         ("refund_amount", pa.float64())]
    ),
    "order_items": pa.schema(
        [("order_id", pa.int64()), ("line_number", pa.int32()), ("product_id", pa.int64()),
         ("quantity", pa.int32()), ("unit_price", pa.float64())]
    ),
    "events": pa.schema(
        [("event_id", pa.int64()), ("customer_id", pa.int64()), ("session_id", pa.int64()),
         ("event_at", _TS), ("event_type", pa.string()), ("product_id", pa.int64())]
    ),
    "reviews": pa.schema(
        [("review_id", pa.int64()), ("customer_id", pa.int64()), ("product_id", pa.int64()),
         ("order_id", pa.int64()), ("rating", pa.int32()), ("reviewed_at", _TS)]
    ),
    "credit_accounts": pa.schema(
        [("credit_account_id", pa.int64()), ("customer_id", pa.int64()),
         ("order_id", pa.int64()), ("opened_at", _TS), ("principal", pa.float64()),
         ("term_months", pa.int32())]
    ),
    "repayments": pa.schema(
        [("credit_account_id", pa.int64()), ("installment_number", pa.int32()),
         ("due_date", pa.date32()), ("amount_due", pa.float64()), ("paid_at", _TS),
         ("amount_paid", pa.float64())]
    ),
    "extraction_manifest": pa.schema([("extracted_at", _TS)]),
}  # fmt: skip
TRUTH_SCHEMAS: dict[str, pa.Schema] = {
    "customer_truth": pa.schema(
        [("customer_id", pa.int64()), ("signup_at", _TS), ("churn_at", _TS),
         ("purchase_rate_per_year", pa.float64()), ("spend_level", pa.float64()),
         ("discount_share", pa.float64()), ("cancel_prob", pa.float64()),
         ("return_prob", pa.float64()), ("refund_fraction_mean", pa.float64()),
         ("credit_risk_latent", pa.float64()), ("instalment_propensity", pa.float64())]
    ),
    "credit_account_truth": pa.schema(
        [("credit_account_id", pa.int64()), ("customer_id", pa.int64()), ("opened_at", _TS),
         ("true_pd", pa.float64()), ("defaulted", pa.bool_())]
    ),
    "planted_dirty_rows": pa.schema(
        [("source_table", pa.string()), ("row_key", pa.string()), ("planted_issue", pa.string())]
    ),
}  # fmt: skip
RAW_TABLES = tuple(RAW_SCHEMAS)

# First id of each id sequence (distinct ranges make accidental cross-table joins visible).
_ID_START = {"order": 100_000_001, "credit": 900_000_001, "event": 1, "session": 1, "review": 1}
_PRODUCT_ID_START = 10_001

# Dirty-row rates (fraction of the chunk's clean rows of the table), per planted issue.
DIRTY_RATES = {
    ("customers", "duplicate"): 0.004,
    ("customers", "null_primary_key"): 0.003,
    ("orders", "duplicate"): 0.004,
    ("orders", "null_primary_key"): 0.003,
    ("orders", "unknown_customer"): 0.003,
    ("orders", "negative_amount"): 0.003,
    ("orders", "absurd_amount"): 0.002,
    ("orders", "future_dated"): 0.003,
    ("order_items", "duplicate"): 0.004,
    ("order_items", "non_positive_quantity"): 0.003,
    ("events", "duplicate"): 0.004,
    ("events", "null_primary_key"): 0.002,
    ("events", "future_dated"): 0.002,
    ("events", "unknown_customer"): 0.002,
    ("reviews", "future_dated"): 0.005,
    ("reviews", "rating_out_of_range"): 0.005,
    ("repayments", "duplicate"): 0.004,
}

_BRANDS = (
    "Aurelo", "Brisk", "Calder", "Dunmore", "Elvon", "Fjordik", "Granite & Co", "Halden",
    "Ivo", "Kestrel", "Lumio", "Marlow", "Nimbus", "Orla", "Pellucid", "Quarry", "Rove",
    "Solenne", "Tarn", "Umbra", "Velvo", "Wrenfield", "Xylo", "Yarrow", "Zephra", "Northway",
    "Brightside", "Copperleaf", "Driftwood", "Evergold", "Foxglove", "Hollowell", "Ironbark",
    "Juniper Lane", "Kinfolk", "Larchmont", "Meridian", "Oakhurst", "Pinecrest", "Redfern",
)  # fmt: skip
_HOUSE_BRAND = "ShopBasics"

_DAY_S = M.SECONDS_PER_DAY
_MIN = 1.0 / M.MINUTES_PER_DAY  # one minute in days


# ----------------------------------------------------------------------------- small helpers
def _seconds(days: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(days, dtype=float) * _DAY_S).astype(np.int64)


def _ts_array(seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(seconds, dtype=np.int64) * 1_000_000, type=_TS, mask=mask)


def _money(cents: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(cents, dtype=np.int64) / 100.0, type=pa.float64(), mask=mask)


def _strings(codes: np.ndarray, values, mask: np.ndarray | None = None) -> pa.Array:
    idx = pa.array(np.asarray(codes, dtype=np.int32), type=pa.int32(), mask=mask)
    return pa.DictionaryArray.from_arrays(idx, pa.array(list(values), pa.string())).cast(
        pa.string()
    )


def _i64(values, mask=None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=mask)


def _i32(values, mask=None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int32), type=pa.int32(), mask=mask)


def _table(name: str, columns: dict, schemas=RAW_SCHEMAS) -> pa.Table:
    schema = schemas[name]
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def _choice_from_cum(rng, cum_rows: np.ndarray, row_index: np.ndarray) -> np.ndarray:
    """Draw one category per entry of row_index from per-row cumulative probabilities."""
    n_rows, k = cum_rows.shape
    flat = (cum_rows + np.arange(n_rows)[:, None]).ravel()
    u = rng.random(row_index.size)
    pos = np.searchsorted(flat, row_index + u, side="right")
    return np.minimum(pos - row_index * k, k - 1)


def _cum_probs(weights: np.ndarray) -> np.ndarray:
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    cum[:, -1] = 1.0
    return cum


def _group_positions(counts: np.ndarray):
    """owner index and 0-based position within its group for a repeat by counts."""
    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner], starts


def _thinned_times(rng, rate_per_year, t0, t1):
    """Inhomogeneous Poisson process with rate rate*s(t) on [t0, t1) per row, by thinning."""
    length = np.maximum(t1 - t0, 0.0)
    n = rng.poisson(rate_per_year / M.YEAR_DAYS * M.SEASONALITY_MAX * length)
    owner = np.repeat(np.arange(n.size), n)
    t = t0[owner] + rng.random(owner.size) * length[owner]
    keep = rng.random(owner.size) * M.SEASONALITY_MAX < M.seasonality(t)
    return owner[keep], t[keep]


# ----------------------------------------------------------------------------- catalogue
@dataclass
class _Catalogue:
    """Products sorted internally by (category, list price)."""

    product_id: np.ndarray
    category: np.ndarray
    list_price_cents: np.ndarray
    price_key: np.ndarray  # category * 100 + 20 + log(price): monotone over the sorted products
    offsets: np.ndarray  # category boundaries in the sorted arrays (13 entries)
    log_lo: np.ndarray
    log_hi: np.ndarray
    min_price: np.ndarray
    max_price: np.ndarray
    popularity_key: np.ndarray  # category + cumulative within-category popularity
    table: pa.Table


def _make_catalogue(seed: int, n_customers: int) -> _Catalogue:
    rng = np.random.default_rng([seed, 0])
    n_cat = len(M.CATEGORIES)
    n = int(min(20_000, max(300, n_customers // 50)))
    counts = 8 + rng.multinomial(n - 8 * n_cat, M.CATEGORY_POPULARITY)
    cat = np.repeat(np.arange(n_cat), counts)
    noise = rng.standard_normal(n)
    price = M.CATEGORY_MEDIAN_PRICE[cat] * np.exp(M.CATEGORY_PRICE_SIGMA[cat] * noise)
    price = np.clip(price, 0.9, 4_000.0)
    price = np.where(price >= 10, np.floor(price) + 0.99, np.floor(price * 10) / 10 + 0.09)
    cents = np.rint(price * 100).astype(np.int64)
    # brands: every category gets 3-7 brands plus the house brand, Zipf-like shares
    brand_names = [_HOUSE_BRAND, *_BRANDS]
    brand = np.empty(n, dtype=np.int32)
    popularity = np.empty(n)
    for c in range(n_cat):
        sl = cat == c
        k = int(rng.integers(3, 8))
        chosen = 1 + rng.choice(len(_BRANDS), size=k, replace=False)
        options = np.concatenate([[0], chosen])
        w = 1.0 / np.arange(1, k + 2) ** 0.8
        brand[sl] = options[rng.choice(k + 1, size=int(sl.sum()), p=w / w.sum())]
        ranks = rng.permutation(int(sl.sum())) + 1
        popularity[sl] = 1.0 / ranks**0.9
    product_id = _PRODUCT_ID_START + rng.permutation(n).astype(np.int64)
    order = np.lexsort((cents, cat))
    cat, cents, brand, popularity, product_id = (
        cat[order], cents[order], brand[order], popularity[order], product_id[order]
    )  # fmt: skip
    offsets = np.concatenate([[0], np.cumsum(np.bincount(cat, minlength=n_cat))])
    logp = np.log(cents / 100.0)
    pop_key = np.empty(n)
    for c in range(n_cat):
        a, b = offsets[c], offsets[c + 1]
        cp = np.cumsum(popularity[a:b])
        pop_key[a:b] = c + cp / cp[-1]
        pop_key[b - 1] = c + 1.0
    table_order = np.argsort(product_id)
    table = _table(
        "products",
        {
            "product_id": _i64(product_id[table_order]),
            "category": _strings(cat[table_order], M.CATEGORIES),
            "brand": _strings(brand[table_order], brand_names),
            "list_price": _money(cents[table_order]),
        },
    )
    return _Catalogue(
        product_id=product_id,
        category=cat,
        list_price_cents=cents,
        price_key=cat * 100.0 + 20.0 + logp,
        offsets=offsets,
        log_lo=logp[offsets[:-1]],
        log_hi=logp[offsets[1:] - 1],
        min_price=cents[offsets[:-1]] / 100.0,
        max_price=cents[offsets[1:] - 1] / 100.0,
        popularity_key=pop_key,
        table=table,
    )


def _nearest_priced(cat_obj: _Catalogue, cat: np.ndarray, unit_value: np.ndarray) -> np.ndarray:
    """Sorted-order index of the product of category `cat` priced nearest to unit_value."""
    logq = np.clip(np.log(np.maximum(unit_value, 1e-3)), cat_obj.log_lo[cat], cat_obj.log_hi[cat])
    key = cat * 100.0 + 20.0 + logq
    pos = np.searchsorted(cat_obj.price_key, key)
    lo = np.maximum(pos - 1, cat_obj.offsets[cat])
    hi = np.minimum(pos, cat_obj.offsets[cat + 1] - 1)
    use_hi = np.abs(cat_obj.price_key[hi] - key) < np.abs(cat_obj.price_key[lo] - key)
    return np.where(use_hi, hi, lo)


def _popular_product(rng, cat_obj: _Catalogue, cat: np.ndarray) -> np.ndarray:
    u = rng.random(cat.size)
    pos = np.searchsorted(cat_obj.popularity_key, cat + u, side="right")
    return np.minimum(pos, cat_obj.offsets[cat + 1] - 1)


# ----------------------------------------------------------------------------- context
@dataclass
class _Context:
    n_customers: int
    start_days: float
    extract_days: float
    extract_s: int
    extract_year: int
    catalogue: _Catalogue
    next_id: dict = field(default_factory=lambda: dict(_ID_START))

    reserved: dict = field(default_factory=dict)

    def take_ids(self, kind: str, n: int) -> np.ndarray:
        first = self.next_id[kind]
        self.next_id[kind] = first + int(n)
        return np.arange(first, first + int(n), dtype=np.int64)

    def reserve_ids(self, kind: str, n_clean: int, share: float) -> None:
        """Skip a block of ids after the chunk's clean rows; dirty rows draw their new ids from it.

        The block size depends only on the clean row count, so the clean rows get the same ids
        whether or not dirty rows are planted (sequences with gaps are normal in real systems).
        """
        block = self.take_ids(kind, int(n_clean * share) + 20)
        self.reserved[kind] = list(block[::-1])

    def take_reserved(self, kind: str, n: int) -> np.ndarray:
        """Up to n ids from the reserved block (fewer if it is exhausted)."""
        pool = self.reserved.get(kind, [])
        return np.array([pool.pop() for _ in range(min(n, len(pool)))], dtype=np.int64)


# ----------------------------------------------------------------------------- customers
_REGION_STYLES = (
    lambda s: s,
    lambda s: " " + s.capitalize(),
    lambda s: s.upper() + " ",
    lambda s: s.capitalize(),
    lambda s: s.upper(),
    lambda s: " " + s + " ",
)
_REGION_VALUES = [style(r) for r in M.REGIONS for style in _REGION_STYLES]


def _customers(rng, ctx: _Context, first: int, m: int, x_prev: float):
    n = ctx.n_customers
    # signup quantiles as consecutive order statistics of n uniforms (ids follow signup order)
    x_last = x_prev + (1.0 - x_prev) * rng.beta(m, n - (first + m) + 1)
    inner = x_prev + np.sort(rng.random(m - 1)) * (x_last - x_prev)
    u = np.concatenate([inner, [x_last]])
    g = 1.1
    frac = np.log1p(u * math.expm1(g)) / g
    span = ctx.extract_days - ctx.start_days
    signup = ctx.start_days + frac * span
    signup = np.minimum(signup, ctx.extract_days - 1.0 / 24)  # at least an hour before the cut
    signup_s = _seconds(signup)
    signup = signup_s / _DAY_S

    r = rng.standard_normal(m)
    z_age = -0.3 * r + math.sqrt(1 - 0.09) * rng.standard_normal(m)
    age = np.clip(40.0 + 13.0 * z_age, 18.0, 85.0)
    birth_year = np.floor(ctx.extract_year - age - rng.random(m)).astype(np.int32)
    birth_null = rng.random(m) < 0.06
    ug = rng.random(m)
    gender = np.where(ug < 0.51, 0, 1)
    gender_null = ug >= 0.95
    t_lat = 0.35 * r + math.sqrt(1 - 0.35**2) * rng.standard_normal(m)
    tier = 1 + (t_lat > -0.385).astype(np.int32) + (t_lat > 0.674).astype(np.int32)
    region = rng.choice(len(M.REGIONS), size=m, p=M.REGION_PROBS)
    style = np.where(rng.random(m) < 0.02, rng.integers(1, len(_REGION_STYLES), m), 0)
    region_code = region * len(_REGION_STYLES) + style

    log_m = (
        math.log(52.0) - 0.22 * r + 0.10 * z_age - 0.15 * (tier - 2)
        + 0.55 * rng.standard_normal(m)
    )  # fmt: skip
    spend = np.exp(log_m)
    rate = 4.6 * rng.gamma(1.3, 1.0 / 1.3, m) * np.exp(-0.1 * r - 0.005)
    churn = signup + rng.exponential(2.0 * M.YEAR_DAYS, m)
    discount_share = 0.2 * M.sigmoid(-1.1 + 0.9 * r + 0.6 * rng.standard_normal(m))
    cancel_prob = 0.04 + 0.06 * M.sigmoid(0.9 * r + 0.7 * rng.standard_normal(m))
    return_prob = 0.05 + 0.15 * M.sigmoid(1.0 * r + 0.7 * rng.standard_normal(m))
    refund_mu = rng.beta(6.0, 2.0, m)
    refund_mean = M.REFUND_FRACTION_LOW + (1 - M.REFUND_FRACTION_LOW) * refund_mu
    ever = (0.45 * r + 0.9 * rng.standard_normal(m)) > 0.15
    instalment = np.where(ever, M.sigmoid(-0.75 + 0.5 * r + 0.7 * rng.standard_normal(m)), 0.0)
    late_prob = M.sigmoid(-1.6 + 1.6 * r)
    review_prob = rng.beta(2.0, 11.0, m)
    browse_rate = (0.7 * rate + 0.8) * np.exp(0.5 * rng.standard_normal(m) - 0.125)
    conc = np.exp(-0.3 + 0.9 * rng.standard_normal(m))
    alpha = M.CATEGORY_POPULARITY[None, :] * len(M.CATEGORIES) * conc[:, None]
    cat_w = rng.gamma(alpha) + 1e-9 * M.CATEGORY_POPULARITY[None, :]
    pay_w = rng.gamma(np.array([3.0, 2.0, 0.7])[None, :], size=(m, 3)) + 1e-9

    ids = np.arange(first + 1, first + m + 1, dtype=np.int64)
    churn_s = _seconds(churn)
    cust = dict(
        ids=ids, signup=signup, signup_s=signup_s, churn=churn, r=r, spend=spend, rate=rate,
        discount_share=discount_share, cancel_prob=cancel_prob, return_prob=return_prob,
        refund_mu=refund_mu, instalment=instalment, late_prob=late_prob,
        review_prob=review_prob, browse_rate=browse_rate, cat_cum=_cum_probs(cat_w),
        cat_p=cat_w / cat_w.sum(axis=1, keepdims=True),
        pay_cum=_cum_probs(pay_w), alive_end=np.minimum(churn, ctx.extract_days),
    )  # fmt: skip
    table = _table(
        "customers",
        {
            "customer_id": _i64(ids),
            "signup_at": _ts_array(signup_s),
            "birth_year": _i32(birth_year, birth_null),
            "gender": _strings(gender, ("F", "M"), gender_null),
            "region": _strings(region_code, _REGION_VALUES),
            "city_tier": _i32(tier),
        },
    )
    truth = _table(
        "customer_truth",
        {
            "customer_id": _i64(ids),
            "signup_at": _ts_array(signup_s),
            "churn_at": _ts_array(churn_s),
            "purchase_rate_per_year": pa.array(rate),
            "spend_level": pa.array(spend),
            "discount_share": pa.array(discount_share),
            "cancel_prob": pa.array(cancel_prob),
            "return_prob": pa.array(return_prob),
            "refund_fraction_mean": pa.array(refund_mean),
            "credit_risk_latent": pa.array(r),
            "instalment_propensity": pa.array(instalment),
        },
        TRUTH_SCHEMAS,
    )
    return cust, table, truth, x_last


# ----------------------------------------------------------------------------- orders
def _orders(rng, ctx: _Context, cust: dict):
    cat_obj = ctx.catalogue
    ci, t = _thinned_times(rng, cust["rate"], cust["signup"], cust["alive_end"])
    order = np.lexsort((ci, t))
    ci, t = ci[order], t[order]
    n_o = ci.size
    sigma = M.ORDER_VALUE_SIGMA
    value = cust["spend"][ci] * np.exp(sigma * rng.standard_normal(n_o) - 0.5 * sigma**2)

    # ---- lines
    lam = 0.5 + 0.45 * np.maximum(0.0, np.log(value / 30.0))
    n_lines = np.clip(1 + rng.poisson(lam), 1, 5)
    lo, pos, line_start = _group_positions(n_lines)
    w = rng.gamma(3.0, 1.0, lo.size)
    w_sum = np.bincount(lo, weights=w, minlength=n_o)
    line_value = value[lo] * w / w_sum[lo]
    # category from the customer's preferences among the categories that sell something this cheap
    affordable = cat_obj.min_price[None, :] <= line_value[:, None]
    cat_w = cust["cat_p"][ci[lo]] * affordable
    none = cat_w.sum(axis=1) <= 0
    cat_w[none] = cust["cat_p"][ci[lo[none]]]
    cat = _choice_from_cum(rng, _cum_probs(cat_w), np.arange(lo.size))
    del cat_w, affordable
    q = np.searchsorted(np.array([0.78, 0.92, 0.97, 1.0]), rng.random(lo.size), side="right") + 1
    q = np.minimum(q, np.maximum(1, np.floor(line_value / cat_obj.min_price[cat])))
    q = np.minimum(np.maximum(q, np.ceil(line_value / cat_obj.max_price[cat])), 99).astype(np.int64)
    prod = _nearest_priced(cat_obj, cat, line_value / q)
    unit_cents = np.maximum(1, np.rint(line_value / q * 100.0)).astype(np.int64)
    gross = np.bincount(lo, weights=q * unit_cents, minlength=n_o).astype(np.int64)

    # ---- money
    disc_flag = rng.random(n_o) < cust["discount_share"][ci] / M.DISCOUNT_FRACTION_MEAN
    disc_frac = rng.uniform(M.DISCOUNT_FRACTION_LOW, M.DISCOUNT_FRACTION_HIGH, n_o)
    discount = np.where(disc_flag, np.rint(gross * disc_frac), 0).astype(np.int64)
    net = gross - discount

    spend_i = cust["spend"][ci]
    inst_p = cust["instalment"][ci] * np.clip(np.sqrt(gross / 100.0 / spend_i), 0.3, 2.0)
    inst_p = np.where(gross >= 2_500, np.minimum(inst_p, 0.95), 0.0)
    is_inst = rng.random(n_o) < inst_p
    other = _choice_from_cum(rng, cust["pay_cum"], ci)
    method = np.where(is_inst, 3, other)
    bank = method == 2

    cancelled = rng.random(n_o) < cust["cancel_prob"][ci]
    returned = ~cancelled & (rng.random(n_o) < cust["return_prob"][ci])
    mu = cust["refund_mu"][ci]
    kappa = 6.0
    refund_frac = M.REFUND_FRACTION_LOW + (1 - M.REFUND_FRACTION_LOW) * rng.beta(
        kappa * mu, kappa * (1 - mu)
    )
    refund = np.rint(net * refund_frac).astype(np.int64)

    # ---- lifecycle (days)
    paid = t + np.where(bank, rng.uniform(0.2, 2.5, n_o), rng.uniform(0.5, 20.0, n_o) * _MIN)
    pre_pay_cancel = cancelled & (rng.random(n_o) < np.where(bank, 0.7, 0.3))
    cancel_at = np.where(
        pre_pay_cancel,
        t + rng.uniform(10.0, 1440.0, n_o) * _MIN,
        paid + rng.uniform(0.02, 0.5, n_o),
    )
    shipped = paid + rng.uniform(0.5, 3.0, n_o)
    delivered = shipped + rng.uniform(1.0, 5.0, n_o)
    returned_at = delivered + rng.uniform(3.0, 30.0, n_o)

    ts = {k: _seconds(v) for k, v in dict(
        ordered=t, paid=paid, cancelled=cancel_at, shipped=shipped, delivered=delivered,
        returned=returned_at).items()}  # fmt: skip
    cut = {k: v > ctx.extract_s for k, v in ts.items()}
    null = {
        "paid": pre_pay_cancel | cut["paid"],
        "cancelled": ~cancelled | cut["cancelled"],
        "shipped": cancelled | cut["shipped"],
        "delivered": cancelled | cut["delivered"],
        "returned": ~returned | cut["returned"],
    }
    order_ids = ctx.take_ids("order", n_o)
    customer_ids = cust["ids"][ci]
    orders = _table(
        "orders",
        {
            "order_id": _i64(order_ids),
            "customer_id": _i64(customer_ids),
            "ordered_at": _ts_array(ts["ordered"]),
            "order_amount": _money(gross),
            "discount_amount": _money(discount),
            "payment_method": _strings(method, M.PAYMENT_METHODS),
            "paid_at": _ts_array(ts["paid"], null["paid"]),
            "shipped_at": _ts_array(ts["shipped"], null["shipped"]),
            "delivered_at": _ts_array(ts["delivered"], null["delivered"]),
            "cancelled_at": _ts_array(ts["cancelled"], null["cancelled"]),
            "returned_at": _ts_array(ts["returned"], null["returned"]),
            "refund_amount": _money(refund, null["returned"]),
        },
    )
    items = _table(
        "order_items",
        {
            "order_id": _i64(order_ids[lo]),
            "line_number": _i32(pos + 1),
            "product_id": _i64(cat_obj.product_id[prod]),
            "quantity": _i32(q),
            "unit_price": _money(unit_cents),
        },
    )
    o = dict(
        ci=ci, t=t, ids=order_ids, n_lines=n_lines, line_start=line_start, line_order=lo,
        line_product=prod, gross=gross, net=net, method=method, cancelled=cancelled,
        returned=returned, delivered=delivered, delivered_null=null["delivered"],
        cancelled_visible=~null["cancelled"],
    )  # fmt: skip
    return o, orders, items


# ----------------------------------------------------------------------------- events
_TIE_RANK = np.array([1, 0, 3, 4, 2, 5])  # view, search, add, remove, favorite, checkout


def _events(rng, ctx: _Context, cust: dict, o: dict):
    cat_obj = ctx.catalogue
    parts = []  # (customer index, local session, time days, type code, product index or -1)

    def add(ci, sess, t, typ, prod=None):
        n = ci.size
        parts.append((ci, sess, t, np.full(n, typ, np.int8),
                      np.full(n, -1, np.int64) if prod is None else prod))  # fmt: skip

    # ---- converting sessions (one per order)
    ci, t = o["ci"], o["t"]
    n_o = ci.size
    sess_o = np.arange(n_o)
    dur = np.minimum(rng.uniform(5.0, 90.0, n_o) * _MIN, t - cust["signup"][ci])
    start = t - dur
    chk = t - dur * rng.uniform(0.01, 0.05, n_o)
    span = chk - start
    lo = o["line_order"]
    tv = start[lo] + rng.random(lo.size) * span[lo] * 0.8
    ta = tv + rng.random(lo.size) * (chk[lo] - tv)
    add(ci[lo], lo, tv, 0, o["line_product"])
    add(ci[lo], lo, ta, 2, o["line_product"])
    n_extra = rng.poisson(1.2, n_o)
    eo = np.repeat(sess_o, n_extra)
    e_prod = _popular_product(rng, cat_obj, _choice_from_cum(rng, cust["cat_cum"], ci[eo]))
    tv2 = start[eo] + rng.random(eo.size) * span[eo]
    add(ci[eo], eo, tv2, 0, e_prod)
    cart = rng.random(eo.size) < 0.15
    ta2 = tv2[cart] + rng.random(cart.sum()) * (chk[eo[cart]] - tv2[cart])
    tr2 = ta2 + rng.random(cart.sum()) * (chk[eo[cart]] - ta2)
    add(ci[eo[cart]], eo[cart], ta2, 2, e_prod[cart])
    add(ci[eo[cart]], eo[cart], tr2, 3, e_prod[cart])
    all_v_sess = np.concatenate([lo, eo])
    all_v_t = np.concatenate([tv, tv2])
    all_v_p = np.concatenate([o["line_product"], e_prod])
    fav = rng.random(all_v_sess.size) < 0.05
    tf = all_v_t[fav] + rng.random(fav.sum()) * (chk[all_v_sess[fav]] - all_v_t[fav])
    add(ci[all_v_sess[fav]], all_v_sess[fav], tf, 4, all_v_p[fav])
    srch = rng.random(n_o) < 0.5
    add(ci[srch], sess_o[srch], start[srch] + rng.random(srch.sum()) * 0.25 * span[srch], 1)
    add(ci, sess_o, chk, 5)

    # ---- browsing sessions
    bi, bs = _thinned_times(rng, cust["browse_rate"], cust["signup"], cust["alive_end"])
    n_b = bi.size
    sess_b = n_o + np.arange(n_b)
    bdur = rng.uniform(1.0, 30.0, n_b) * _MIN
    bend = bs + bdur
    n_views = 1 + rng.poisson(2.0, n_b)
    vo = np.repeat(np.arange(n_b), n_views)
    v_prod = _popular_product(rng, cat_obj, _choice_from_cum(rng, cust["cat_cum"], bi[vo]))
    btv = bs[vo] + rng.random(vo.size) * bdur[vo]
    add(bi[vo], sess_b[vo], btv, 0, v_prod)
    bcart = rng.random(vo.size) < 0.08
    bta = btv[bcart] + rng.random(bcart.sum()) * (bend[vo[bcart]] - btv[bcart])
    add(bi[vo[bcart]], sess_b[vo[bcart]], bta, 2, v_prod[bcart])
    brem = rng.random(bcart.sum()) < 0.5
    vrem = vo[bcart][brem]
    btr = bta[brem] + rng.random(brem.sum()) * (bend[vrem] - bta[brem])
    add(bi[vrem], sess_b[vrem], btr, 3, v_prod[bcart][brem])
    bfav = rng.random(vo.size) < 0.06
    btf = btv[bfav] + rng.random(bfav.sum()) * (bend[vo[bfav]] - btv[bfav])
    add(bi[vo[bfav]], sess_b[vo[bfav]], btf, 4, v_prod[bfav])
    bsr = rng.random(n_b) < 0.4
    add(bi[bsr], sess_b[bsr], bs[bsr] + rng.random(bsr.sum()) * 0.2 * bdur[bsr], 1)

    e_ci = np.concatenate([p[0] for p in parts])
    e_sess = np.concatenate([p[1] for p in parts])
    e_t = np.concatenate([p[2] for p in parts])
    e_typ = np.concatenate([p[3] for p in parts])
    e_prod = np.concatenate([p[4] for p in parts])
    parts.clear()
    keep = e_t <= cust["alive_end"][e_ci]
    e_ci, e_sess, e_t, e_typ, e_prod = (a[keep] for a in (e_ci, e_sess, e_t, e_typ, e_prod))

    # session ids in order of session start
    sess_start = np.concatenate([start, bs])
    sess_rank = np.empty(n_o + n_b, dtype=np.int64)
    sess_rank[np.argsort(sess_start, kind="stable")] = np.arange(n_o + n_b)
    session_ids = ctx.take_ids("session", n_o + n_b)
    e_sid = session_ids[sess_rank[e_sess]]
    e_s = _seconds(e_t)
    order = np.lexsort((_TIE_RANK[e_typ], e_sid, e_s))
    e_ci, e_sid, e_s, e_typ, e_prod = (a[order] for a in (e_ci, e_sid, e_s, e_typ, e_prod))
    prod_null = e_prod < 0
    event_ids = ctx.take_ids("event", e_ci.size)
    return _table(
        "events",
        {
            "event_id": _i64(event_ids),
            "customer_id": _i64(cust["ids"][e_ci]),
            "session_id": _i64(e_sid),
            "event_at": _ts_array(e_s),
            "event_type": _strings(e_typ, M.EVENT_TYPES),
            "product_id": _i64(np.where(prod_null, 0, cat_obj.product_id[np.maximum(e_prod, 0)]),
                               prod_null),
        },
    )


# ----------------------------------------------------------------------------- reviews
_RATING_CUM = {
    False: np.cumsum([0.03, 0.05, 0.12, 0.35, 0.45]),
    True: np.cumsum([0.30, 0.25, 0.20, 0.15, 0.10]),
}


def _reviews(rng, ctx: _Context, cust: dict, o: dict):
    ci = o["ci"]
    n_o = ci.size
    reviewed = ~o["delivered_null"] & (rng.random(n_o) < cust["review_prob"][ci])
    ro = np.flatnonzero(reviewed)
    line = o["line_start"][ro] + np.floor(rng.random(ro.size) * o["n_lines"][ro]).astype(np.int64)
    prod = o["line_product"][line]
    u = rng.random(ro.size)
    rating = 1 + np.where(
        o["returned"][ro],
        np.searchsorted(_RATING_CUM[True], u, side="right"),
        np.searchsorted(_RATING_CUM[False], u, side="right"),
    )
    rating = np.minimum(rating, 5)
    rt = _seconds(o["delivered"][ro] + rng.uniform(1.0, 20.0, ro.size))
    keep = rt <= ctx.extract_s
    ro, prod, rating, rt = ro[keep], prod[keep], rating[keep], rt[keep]
    order = np.argsort(rt, kind="stable")
    ro, prod, rating, rt = ro[order], prod[order], rating[order], rt[order]
    return _table(
        "reviews",
        {
            "review_id": _i64(ctx.take_ids("review", ro.size)),
            "customer_id": _i64(cust["ids"][ci[ro]]),
            "product_id": _i64(ctx.catalogue.product_id[prod]),
            "order_id": _i64(o["ids"][ro]),
            "rating": _i32(rating),
            "reviewed_at": _ts_array(rt),
        },
    )


# ----------------------------------------------------------------------------- credit
def _credit(rng, ctx: _Context, cust: dict, o: dict):
    acc = np.flatnonzero((o["method"] == 3) & ~o["cancelled_visible"])
    n_a = acc.size
    ci = o["ci"][acc]
    principal = o["net"][acc]
    u = rng.random(n_a)
    p3 = np.where(principal < 10_000, 0.55, np.where(principal < 30_000, 0.30, 0.15))
    p6 = np.where(principal < 10_000, 0.30, np.where(principal < 30_000, 0.40, 0.35))
    term = np.where(u < p3, 3, np.where(u < p3 + p6, 6, 12)).astype(np.int64)
    pd_true = M.true_pd_from_latent(cust["r"][ci])
    defaulted = rng.random(n_a) < pd_true
    eligible_max = np.minimum(
        term,
        (M.PERFORMANCE_WINDOW_DAYS - M.DEFAULT_DAYS_PAST_DUE) // M.INSTALMENT_SPACING_DAYS,
    )
    kstar = 1 + np.floor(rng.random(n_a) * eligible_max).astype(np.int64)
    open_s = _seconds(o["t"][acc])
    open_date = open_s // _DAY_S
    account_ids = ctx.take_ids("credit", n_a)

    owner, pos, _ = _group_positions(term)
    k = pos + 1
    n_r = owner.size
    due = open_date[owner] + M.INSTALMENT_SPACING_DAYS * k
    # principal / term rounded half-up to cents, in exact integer arithmetic
    due_cents = (2 * principal[owner] + term[owner]) // (2 * term[owner])
    tail = defaulted[owner] & (k >= kstar[owner])
    late_p = cust["late_prob"][ci][owner] + np.where(defaulted[owner], 0.25, 0.0)
    late = rng.random(n_r) < late_p
    delay = np.where(late, rng.uniform(5.0, 45.0, n_r), rng.uniform(-7.0, 2.0, n_r))
    paid_cents = due_cents.copy()
    paid_null = np.zeros(n_r, dtype=bool)
    mode = rng.random(n_r)
    partial = tail & (mode >= 0.85) & (due_cents >= 3)
    unpaid = tail & ~partial & (mode < 0.55) | tail & (mode >= 0.85) & (due_cents < 3)
    cured = tail & ~partial & ~unpaid
    delay = np.where(cured, rng.uniform(60.5, 150.0, n_r), delay)
    delay = np.where(partial, rng.uniform(-3.0, 40.0, n_r), delay)
    paid_cents = np.where(
        partial,
        np.minimum(np.rint(due_cents * rng.uniform(0.1, 0.9, n_r)), due_cents - 2),
        paid_cents,
    ).astype(np.int64)
    paid_null |= unpaid
    paid_s = _seconds(due + delay)
    paid_null |= paid_s > ctx.extract_s

    accounts = _table(
        "credit_accounts",
        {
            "credit_account_id": _i64(account_ids),
            "customer_id": _i64(cust["ids"][ci]),
            "order_id": _i64(o["ids"][acc]),
            "opened_at": _ts_array(open_s),
            "principal": _money(principal),
            "term_months": _i32(term),
        },
    )
    repayments = _table(
        "repayments",
        {
            "credit_account_id": _i64(account_ids[owner]),
            "installment_number": _i32(k),
            "due_date": pa.array(due.astype(np.int32), type=pa.int32()).view(pa.date32()),
            "amount_due": _money(due_cents),
            "paid_at": _ts_array(paid_s, paid_null),
            "amount_paid": _money(paid_cents, paid_null),
        },
    )
    truth = _table(
        "credit_account_truth",
        {
            "credit_account_id": _i64(account_ids),
            "customer_id": _i64(cust["ids"][ci]),
            "opened_at": _ts_array(open_s),
            "true_pd": pa.array(pd_true),
            "defaulted": pa.array(defaulted),
        },
        TRUTH_SCHEMAS,
    )
    return accounts, repayments, truth


# ----------------------------------------------------------------------------- dirty rows
def _set(tbl: pa.Table, name: str, arr: pa.Array) -> pa.Table:
    i = tbl.schema.get_field_index(name)
    return tbl.set_column(i, tbl.schema.field(i), arr.cast(tbl.schema.field(i).type))


def _nulls(tbl: pa.Table, name: str) -> pa.Table:
    return _set(tbl, name, pa.nulls(tbl.num_rows, tbl.schema.field(name).type))


def _row_keys(tbl: pa.Table, key_cols) -> list[str]:
    cols = [tbl.column(c).to_pylist() for c in key_cols]
    return ["|".join("null" if v is None else str(v) for v in vals) for vals in zip(*cols)]


def _mix(rng, clean: pa.Table, dirty: list[pa.Table]) -> pa.Table:
    """Insert the dirty rows at random positions among the clean rows (clean order is kept)."""
    dirty = [d for d in dirty if d.num_rows]
    if not dirty:
        return clean
    extra = pa.concat_tables(dirty)
    n, k = clean.num_rows, extra.num_rows
    key = np.concatenate([2 * np.arange(n) + 1, 2 * rng.integers(0, n + 1, k)])
    order = np.argsort(key, kind="stable")
    return pa.concat_tables([clean, extra]).take(pa.array(order))


_KEYS = {
    "customers": ("customer_id",),
    "orders": ("order_id",),
    "order_items": ("order_id", "line_number"),
    "events": ("event_id",),
    "reviews": ("review_id",),
    "repayments": ("credit_account_id", "installment_number"),
}


def _plant_dirty_rows(rng, ctx: _Context, tables: dict, o: dict) -> tuple[dict, pa.Table]:
    """Extra dirty rows per table (copies or new rows; the clean rows are never altered)."""
    log_tables, log_keys, log_issues = [], [], []
    extras: dict[str, list[pa.Table]] = {name: [] for name in _KEYS}
    n_cust = ctx.n_customers

    def pick(name, issue):
        n = tables[name].num_rows
        k = int(rng.binomial(n, DIRTY_RATES[(name, issue)])) if n else 0
        return np.sort(rng.integers(0, n, k)) if k else np.zeros(0, dtype=np.int64)

    def record(name, issue, tbl):
        extras[name].append(tbl)
        keys = _row_keys(tbl, _KEYS[name])
        log_tables.extend([name] * len(keys))
        log_keys.extend(keys)
        log_issues.extend([issue] * len(keys))

    def fix_method(tbl):
        pm = np.array(tbl.column("payment_method").to_pylist(), dtype=object)
        pm[pm == "instalment"] = "card"
        return _set(tbl, "payment_method", pa.array(pm.tolist(), pa.string()))

    def new_ids(tbl, col, kind):
        ids = ctx.take_reserved(kind, tbl.num_rows)
        return _set(tbl.slice(0, ids.size), col, _i64(ids))

    def future(k, lo_days, hi_days):
        return _ts_array(ctx.extract_s + _seconds(rng.uniform(lo_days, hi_days, k)))

    # customers
    cu = tables["customers"]
    record("customers", "duplicate", cu.take(pick("customers", "duplicate")))
    record("customers", "null_primary_key",
           _nulls(cu.take(pick("customers", "null_primary_key")), "customer_id"))  # fmt: skip

    # orders
    od = tables["orders"]
    record("orders", "duplicate", od.take(pick("orders", "duplicate")))
    record("orders", "null_primary_key",
           _nulls(od.take(pick("orders", "null_primary_key")), "order_id"))  # fmt: skip
    t = new_ids(od.take(pick("orders", "unknown_customer")), "order_id", "order")
    unknown = n_cust + 1 + rng.integers(0, max(n_cust, 1_000), t.num_rows)
    record("orders", "unknown_customer", fix_method(_set(t, "customer_id", _i64(unknown))))
    for issue in ("negative_amount", "absurd_amount"):
        t = new_ids(od.take(pick("orders", issue)), "order_id", "order")
        k = t.num_rows
        if issue == "negative_amount":
            amount = pa.array(-np.abs(t.column("order_amount").to_numpy()))
        else:
            amount = _money(np.rint(rng.uniform(1e9, 1e11, k)))
        t = _set(t, "order_amount", amount)
        t = _set(t, "discount_amount", pa.array(np.zeros(k)))
        t = _nulls(_nulls(t, "returned_at"), "refund_amount")
        record("orders", issue, fix_method(t))
    t = new_ids(od.take(pick("orders", "future_dated")), "order_id", "order")
    k = t.num_rows
    fut = future(k, 0.05, 400.0)
    t = _set(t, "ordered_at", fut)
    t = _set(t, "paid_at", _ts_array(fut.cast(pa.int64()).to_numpy() // 1_000_000 + 600))
    for col in ("shipped_at", "delivered_at", "cancelled_at", "returned_at", "refund_amount"):
        t = _nulls(t, col)
    record("orders", "future_dated", fix_method(t))

    # order items
    it = tables["order_items"]
    record("order_items", "duplicate", it.take(pick("order_items", "duplicate")))
    n_o = o["ids"].size
    k = int(rng.binomial(it.num_rows, DIRTY_RATES[("order_items", "non_positive_quantity")]))
    if n_o and k:
        chosen = np.unique(rng.integers(0, n_o, k))
        prod = rng.integers(0, ctx.catalogue.product_id.size, chosen.size)
        t = _table(
            "order_items",
            {
                "order_id": _i64(o["ids"][chosen]),
                "line_number": _i32(o["n_lines"][chosen] + 1),
                "product_id": _i64(ctx.catalogue.product_id[prod]),
                "quantity": _i32(-rng.integers(0, 3, chosen.size)),
                "unit_price": _money(ctx.catalogue.list_price_cents[prod]),
            },
        )
        record("order_items", "non_positive_quantity", t)

    # events
    ev = tables["events"]
    record("events", "duplicate", ev.take(pick("events", "duplicate")))
    record("events", "null_primary_key",
           _nulls(ev.take(pick("events", "null_primary_key")), "event_id"))  # fmt: skip
    t = new_ids(ev.take(pick("events", "future_dated")), "event_id", "event")
    t = new_ids(t, "session_id", "session")
    record("events", "future_dated", _set(t, "event_at", future(t.num_rows, 0.05, 200.0)))
    t = new_ids(ev.take(pick("events", "unknown_customer")), "event_id", "event")
    t = new_ids(t, "session_id", "session")
    unknown = n_cust + 1 + rng.integers(0, max(n_cust, 1_000), t.num_rows)
    record("events", "unknown_customer", _set(t, "customer_id", _i64(unknown)))

    # reviews
    rv = tables["reviews"]
    t = new_ids(rv.take(pick("reviews", "future_dated")), "review_id", "review")
    record("reviews", "future_dated", _set(t, "reviewed_at", future(t.num_rows, 0.05, 200.0)))
    t = new_ids(rv.take(pick("reviews", "rating_out_of_range")), "review_id", "review")
    record("reviews", "rating_out_of_range",
           _set(t, "rating", _i32(6 * rng.integers(0, 2, t.num_rows))))  # fmt: skip

    # repayments
    rp = tables["repayments"]
    record("repayments", "duplicate", rp.take(pick("repayments", "duplicate")))

    mixed = {name: _mix(rng, tables[name], extras.get(name, [])) for name in tables}
    log = pa.Table.from_arrays(
        [pa.array(log_tables, pa.string()), pa.array(log_keys, pa.string()),
         pa.array(log_issues, pa.string())],
        schema=TRUTH_SCHEMAS["planted_dirty_rows"],
    )  # fmt: skip
    return mixed, log


# ----------------------------------------------------------------------------- public API
def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("shopper-scores")
    except Exception:  # pragma: no cover - not installed
        return "0+unknown"


def _iso(value) -> str:
    return pd.Timestamp(value).isoformat(sep=" ")


def generator_params(
    n_customers: int = 20_000,
    seed: int = 42,
    start="2022-01-01",
    extracted_at="2025-12-31 18:00:00",
    chunk_size: int = 50_000,
    dirty: bool = True,
) -> dict:
    """The JSON-able parameter record written to generator_params.json for these arguments."""
    return {
        "n_customers": int(n_customers),
        "seed": int(seed),
        "start": _iso(start),
        "extracted_at": _iso(extracted_at),
        "chunk_size": int(chunk_size),
        "dirty": bool(dirty),
        "package_version": _package_version(),
        "generator_version": GENERATOR_VERSION,
    }


def is_up_to_date(out_dir, **kwargs) -> bool:
    """True when out_dir/generator_params.json exists and matches generator_params(**kwargs)."""
    path = Path(out_dir) / "generator_params.json"
    if not path.exists():
        return False
    try:
        return json.loads(path.read_text()) == generator_params(**kwargs)
    except (OSError, ValueError):
        return False


def generate(out_dir, **settings) -> dict:
    """Write the raw tables, the truth tables and generator_params.json; return row counts.

    ``settings`` are :func:`generator_params`'s arguments (``n_customers``, ``seed``, ``start``,
    ``extracted_at``, ``chunk_size``, ``dirty``), defined and defaulted there only.
    """
    params = generator_params(**settings)
    n_customers, seed, chunk_size, dirty = (params[k] for k in ("n_customers", "seed", "chunk_size", "dirty"))
    start, extracted_at = params["start"], params["extracted_at"]
    if n_customers < 1:
        raise ValueError("n_customers must be >= 1")
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    start_ts, extract_ts = pd.Timestamp(start), pd.Timestamp(extracted_at)
    if extract_ts.floor("s") != extract_ts:
        raise ValueError("extracted_at must be a whole second")
    if not start_ts < extract_ts - pd.Timedelta(days=1):
        raise ValueError("start must be more than a day before extracted_at")

    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    params_path = out / "generator_params.json"
    if params_path.exists():
        params_path.unlink()

    ctx = _Context(
        n_customers=int(n_customers),
        start_days=float(M.to_days(start_ts)),
        extract_days=float(M.to_days(extract_ts)),
        extract_s=int(round(M.to_days(extract_ts) * _DAY_S)),
        extract_year=extract_ts.year,
        catalogue=_make_catalogue(int(seed), int(n_customers)),
    )
    writers: dict[str, pq.ParquetWriter] = {}
    counts = {name: 0 for name in RAW_TABLES}
    try:
        for name, schema in RAW_SCHEMAS.items():
            writers[name] = pq.ParquetWriter(out / f"{name}.parquet", schema, compression="zstd")
        for name, schema in TRUTH_SCHEMAS.items():
            writers["truth/" + name] = pq.ParquetWriter(
                out / "truth" / f"{name}.parquet", schema, compression="zstd"
            )

        def write(name, tbl):
            if tbl.num_rows:
                writers[name].write_table(tbl)
                if name in counts:
                    counts[name] += tbl.num_rows

        write("products", ctx.catalogue.table)
        manifest = {"extracted_at": _ts_array(np.array([ctx.extract_s]))}
        write("extraction_manifest", _table("extraction_manifest", manifest))
        x_prev = 0.0
        for c, first in enumerate(range(0, n_customers, chunk_size)):
            m = min(chunk_size, n_customers - first)
            rng = np.random.default_rng([int(seed), 1, c])
            cust, customers, customer_truth, x_prev = _customers(rng, ctx, first, m, x_prev)
            o, orders, items = _orders(rng, ctx, cust)
            events = _events(rng, ctx, cust, o)
            reviews = _reviews(rng, ctx, cust, o)
            accounts, repayments, credit_truth = _credit(rng, ctx, cust, o)
            tables = dict(customers=customers, orders=orders, order_items=items, events=events,
                          reviews=reviews, repayments=repayments)  # fmt: skip
            ctx.reserve_ids("order", orders.num_rows, 0.03)
            ctx.reserve_ids("event", events.num_rows, 0.015)
            ctx.reserve_ids("session", events.num_rows, 0.015)
            ctx.reserve_ids("review", reviews.num_rows, 0.03)
            if dirty:
                dirty_rng = np.random.default_rng([int(seed), 2, c])
                tables, log = _plant_dirty_rows(dirty_rng, ctx, tables, o)
                write("truth/planted_dirty_rows", log)
            tables["credit_accounts"] = accounts
            for name in RAW_TABLES:
                if name in tables:
                    write(name, tables[name])
            write("truth/customer_truth", customer_truth)
            write("truth/credit_account_truth", credit_truth)
            # drop this chunk before the next one is built (keeps the peak at one chunk)
            del cust, customers, customer_truth, o, orders, items, events, reviews
            del accounts, repayments, credit_truth, tables
    finally:
        for w in writers.values():
            w.close()

    tmp = params_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(params, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, params_path)
    return counts

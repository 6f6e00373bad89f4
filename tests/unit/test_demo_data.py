"""Tests of the synthetic shop generator (shopper_scores.demo_data)."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from shopper_scores.demo_data import (
    RAW_SCHEMAS,
    RAW_TABLES,
    TRUTH_SCHEMAS,
    generate,
    generator_params,
    is_up_to_date,
)
from shopper_scores.demo_data.__main__ import main as cli_main

N_CUSTOMERS = 2_500
SEED = 7
CHUNK = 900  # several chunks, the last one partial
EXTRACTED_AT = pd.Timestamp("2025-12-31 18:00:00")
DAY = pd.Timedelta(days=1)

EXPECTED_COLUMNS = {
    "customers": [("customer_id", "int64"), ("signup_at", "timestamp[us]"),
                  ("birth_year", "int32"), ("gender", "string"), ("region", "string"),
                  ("city_tier", "int32")],
    "products": [("product_id", "int64"), ("category", "string"), ("brand", "string"),
                 ("list_price", "double")],
    "orders": [("order_id", "int64"), ("customer_id", "int64"), ("ordered_at", "timestamp[us]"),
               ("order_amount", "double"), ("discount_amount", "double"),
               ("payment_method", "string"), ("paid_at", "timestamp[us]"),
               ("shipped_at", "timestamp[us]"), ("delivered_at", "timestamp[us]"),
               ("cancelled_at", "timestamp[us]"), ("returned_at", "timestamp[us]"),
               ("refund_amount", "double")],
    "order_items": [("order_id", "int64"), ("line_number", "int32"), ("product_id", "int64"),
                    ("quantity", "int32"), ("unit_price", "double")],
    "events": [("event_id", "int64"), ("customer_id", "int64"), ("session_id", "int64"),
               ("event_at", "timestamp[us]"), ("event_type", "string"), ("product_id", "int64")],
    "reviews": [("review_id", "int64"), ("customer_id", "int64"), ("product_id", "int64"),
                ("order_id", "int64"), ("rating", "int32"), ("reviewed_at", "timestamp[us]")],
    "credit_accounts": [("credit_account_id", "int64"), ("customer_id", "int64"),
                        ("order_id", "int64"), ("opened_at", "timestamp[us]"),
                        ("principal", "double"), ("term_months", "int32")],
    "repayments": [("credit_account_id", "int64"), ("installment_number", "int32"),
                   ("due_date", "date32[day]"), ("amount_due", "double"),
                   ("paid_at", "timestamp[us]"), ("amount_paid", "double")],
    "extraction_manifest": [("extracted_at", "timestamp[us]")],
}  # fmt: skip
TRUTH_COLUMNS = {
    "customer_truth": ["customer_id", "signup_at", "churn_at", "purchase_rate_per_year",
                       "spend_level", "discount_share", "cancel_prob", "return_prob",
                       "refund_fraction_mean", "credit_risk_latent", "instalment_propensity"],
    "credit_account_truth": ["credit_account_id", "customer_id", "opened_at", "true_pd",
                             "defaulted"],
    "planted_dirty_rows": ["source_table", "row_key", "planted_issue"],
}  # fmt: skip
TIMESTAMP_COLUMNS = {
    "customers": ["signup_at"],
    "orders": ["ordered_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at",
               "returned_at"],
    "events": ["event_at"],
    "reviews": ["reviewed_at"],
    "credit_accounts": ["opened_at"],
    "repayments": ["paid_at"],
}  # fmt: skip
PLANTED_ISSUES = {
    ("customers", "duplicate"), ("customers", "null_primary_key"),
    ("orders", "duplicate"), ("orders", "null_primary_key"), ("orders", "unknown_customer"),
    ("orders", "negative_amount"), ("orders", "absurd_amount"), ("orders", "future_dated"),
    ("order_items", "duplicate"), ("order_items", "non_positive_quantity"),
    ("events", "duplicate"), ("events", "null_primary_key"), ("events", "future_dated"),
    ("events", "unknown_customer"), ("reviews", "future_dated"),
    ("reviews", "rating_out_of_range"), ("repayments", "duplicate"),
}  # fmt: skip
KEY_COLUMNS = {
    "customers": ["customer_id"],
    "orders": ["order_id"],
    "order_items": ["order_id", "line_number"],
    "events": ["event_id"],
    "reviews": ["review_id"],
    "repayments": ["credit_account_id", "installment_number"],
}


class Data:
    """Lazy reader of one generated directory."""

    def __init__(self, path, counts):
        self.path = path
        self.counts = counts
        self._cache = {}

    def __getitem__(self, name) -> pd.DataFrame:
        if name not in self._cache:
            file = self.path / (f"truth/{name}.parquet" if name in TRUTH_COLUMNS else f"{name}.parquet")
            self._cache[name] = pd.read_parquet(file)
        return self._cache[name]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    path = tmp_path_factory.mktemp("clean")
    counts = generate(path, n_customers=N_CUSTOMERS, seed=SEED, chunk_size=CHUNK, dirty=False)
    return Data(path, counts)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    path = tmp_path_factory.mktemp("dirty")
    counts = generate(path, n_customers=N_CUSTOMERS, seed=SEED, chunk_size=CHUNK, dirty=True)
    return Data(path, counts)


def _keys(df: pd.DataFrame, cols) -> pd.Series:
    parts = [df[c].astype("Int64").astype("string").fillna("null") for c in cols]
    out = parts[0]
    for p in parts[1:]:
        out = out + "|" + p
    return out


def _row_hashes(df: pd.DataFrame) -> Counter:
    # nullable int columns come back as float64 once they hold a null: compare numbers as floats
    df = df.apply(lambda c: c.astype("float64") if pd.api.types.is_numeric_dtype(c) else c)
    return Counter(pd.util.hash_pandas_object(df, index=False).to_numpy().tolist())


def _default_by_rule(accounts: pd.DataFrame, repayments: pd.DataFrame) -> pd.Series:
    x = repayments.merge(accounts[["credit_account_id", "opened_at"]], on="credit_account_id")
    open_date = x["opened_at"].dt.normalize()
    due = pd.to_datetime(x["due_date"])
    eligible = due + 60 * DAY <= open_date + 365 * DAY
    settled_in_time = (
        x["paid_at"].notna()
        & (x["amount_paid"] >= x["amount_due"] - 0.01)
        & (x["paid_at"] < due + 60 * DAY)
    )
    return (eligible & ~settled_in_time).groupby(x["credit_account_id"]).any()


def _auc(score, label) -> float:
    score = np.asarray(score, dtype=float)
    label = np.asarray(label, dtype=bool)
    ranks = pd.Series(score).rank().to_numpy()
    n1, n0 = label.sum(), (~label).sum()
    return (ranks[label].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


# ----------------------------------------------------------------------------- files & schema
def test_counts_params_and_files(clean, dirty):
    for data, is_dirty in ((clean, False), (dirty, True)):
        assert set(data.counts) == set(RAW_TABLES)
        for name in RAW_TABLES:
            assert pq.ParquetFile(data.path / f"{name}.parquet").metadata.num_rows == data.counts[name]
        params = json.loads((data.path / "generator_params.json").read_text())
        expected = generator_params(N_CUSTOMERS, SEED, chunk_size=CHUNK, dirty=is_dirty)
        assert params == expected
        assert params["package_version"] and params["extracted_at"] == "2025-12-31 18:00:00"
        assert is_up_to_date(data.path, n_customers=N_CUSTOMERS, seed=SEED, chunk_size=CHUNK,
                             dirty=is_dirty)  # fmt: skip
        assert not is_up_to_date(data.path, n_customers=N_CUSTOMERS, seed=SEED + 1,
                                 chunk_size=CHUNK, dirty=is_dirty)  # fmt: skip
    assert clean.counts["customers"] == N_CUSTOMERS
    assert clean.counts["products"] == 300
    assert clean.counts["extraction_manifest"] == 1
    assert pq.read_table(clean.path / "truth/planted_dirty_rows.parquet").num_rows == 0


def test_schemas_exact(clean, dirty):
    for data in (clean, dirty):
        for name, cols in EXPECTED_COLUMNS.items():
            schema = pq.read_schema(data.path / f"{name}.parquet")
            assert [(f.name, str(f.type)) for f in schema] == cols, name
            assert schema.equals(RAW_SCHEMAS[name])
        for name, cols in TRUTH_COLUMNS.items():
            schema = pq.read_schema(data.path / "truth" / f"{name}.parquet")
            assert schema.names == cols
            assert schema.equals(TRUTH_SCHEMAS[name])
    manifest = clean["extraction_manifest"]
    assert manifest["extracted_at"].tolist() == [EXTRACTED_AT]


# ----------------------------------------------------------------------------- determinism
def test_deterministic_byte_identical(tmp_path):
    kwargs = dict(n_customers=700, seed=11, chunk_size=300)
    c1 = generate(tmp_path / "a", **kwargs)
    c2 = generate(tmp_path / "b", **kwargs)
    assert c1 == c2
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == len(RAW_TABLES) + len(TRUTH_COLUMNS) + 1
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    generate(tmp_path / "c", **{**kwargs, "seed": 12})
    a = pd.read_parquet(tmp_path / "a" / "orders.parquet")
    c = pd.read_parquet(tmp_path / "c" / "orders.parquet")
    assert not (len(a) == len(c) and a.equals(c))


def test_dirty_rows_are_extra_rows_only(clean, dirty):
    """dirty=True adds rows to the dirty=False output and changes nothing else."""
    planted = dirty["planted_dirty_rows"]
    per_table = planted["source_table"].value_counts()
    for name in RAW_TABLES:
        extra = _row_hashes(dirty[name])
        extra.subtract(_row_hashes(clean[name]))
        assert min(extra.values(), default=0) >= 0, f"{name}: clean rows changed"
        assert sum(extra.values()) == per_table.get(name, 0), name
    for name in ("customer_truth", "credit_account_truth"):
        pd.testing.assert_frame_equal(clean[name], dirty[name])


# ----------------------------------------------------------------------------- ids & integrity
def test_ids_unique_across_chunks(clean):
    cu = clean["customers"]
    assert cu["customer_id"].tolist() == list(range(1, N_CUSTOMERS + 1))
    assert cu["signup_at"].is_monotonic_increasing  # ids follow signup order across chunks
    for name, col in [("products", "product_id"), ("orders", "order_id"), ("events", "event_id"),
                      ("reviews", "review_id"), ("credit_accounts", "credit_account_id")]:  # fmt: skip
        ids = clean[name][col]
        assert ids.notna().all() and ids.is_unique, name
    assert not clean["order_items"].duplicated(["order_id", "line_number"]).any()
    assert not clean["repayments"].duplicated(["credit_account_id", "installment_number"]).any()
    # every chunk produced orders
    chunk_of_customer = (clean["orders"]["customer_id"] - 1) // CHUNK
    assert chunk_of_customer.nunique() == -(-N_CUSTOMERS // CHUNK)


def test_referential_integrity(clean):
    cu, pr, od = clean["customers"], clean["products"], clean["orders"]
    it, ev, rv = clean["order_items"], clean["events"], clean["reviews"]
    ca, rp = clean["credit_accounts"], clean["repayments"]
    customers, products = set(cu["customer_id"]), set(pr["product_id"])
    assert set(od["customer_id"]) <= customers
    assert set(it["order_id"]) == set(od["order_id"])  # every order has lines
    assert set(it["product_id"]) <= products
    assert set(ev["customer_id"]) <= customers
    assert set(ev["product_id"].dropna().astype("int64")) <= products
    x = rv.merge(od[["order_id", "customer_id", "delivered_at"]], on="order_id", suffixes=("", "_o"))
    assert len(x) == len(rv) and (x["customer_id"] == x["customer_id_o"]).all()
    lines = set(zip(it["order_id"], it["product_id"]))
    assert all(pair in lines for pair in zip(rv["order_id"], rv["product_id"]))
    y = ca.merge(od, on="order_id", suffixes=("", "_o"))
    assert len(y) == len(ca) and (y["customer_id"] == y["customer_id_o"]).all()
    assert (y["payment_method"] == "instalment").all() and y["cancelled_at"].isna().all()
    assert (y["opened_at"] == y["ordered_at"]).all()
    assert np.allclose(y["principal"], y["order_amount"] - y["discount_amount"], atol=1e-6)
    inst = od[(od["payment_method"] == "instalment") & od["cancelled_at"].isna()]
    assert set(inst["order_id"]) == set(ca["order_id"])
    # complete repayment schedules
    z = rp.merge(ca, on="credit_account_id")
    assert len(z) == len(rp) == ca["term_months"].sum()
    assert set(ca["term_months"]) <= {3, 6, 12}
    n = z.groupby("credit_account_id")["installment_number"].agg(["min", "max", "count"])
    terms = ca.set_index("credit_account_id")["term_months"].reindex(n.index)
    assert (n["min"] == 1).all() and (n["max"] == terms).all() and (n["count"] == terms).all()
    due = pd.to_datetime(z["due_date"])
    assert (due == z["opened_at"].dt.normalize() + 30 * z["installment_number"] * DAY).all()
    cents, term = (z["principal"] * 100).round().astype("int64"), z["term_months"].astype("int64")
    half_up = (2 * cents + term) // (2 * term) / 100
    assert np.allclose(z["amount_due"], half_up, atol=1e-9)
    paid = z["paid_at"].notna()
    assert (z["amount_paid"].notna() == paid).all()


def test_value_domains(clean):
    cu, od, it, ev, rv = (clean[n] for n in ("customers", "orders", "order_items", "events", "reviews"))
    assert set(cu["gender"].dropna()) == {"F", "M"} and cu["gender"].isna().any()
    assert set(cu["city_tier"]) == {1, 2, 3}
    assert cu["birth_year"].isna().any() and cu["birth_year"].dropna().between(1935, 2008).all()
    region = cu["region"].str.strip().str.lower()
    assert set(region) == {"north", "south", "east", "west", "central"}
    messy = (cu["region"] != region).mean()
    assert 0.005 < messy < 0.05
    assert set(od["payment_method"]) == {"card", "paypal", "bank_transfer", "instalment"}
    assert (od["order_amount"] > 0).all()
    assert ((od["discount_amount"] >= 0) & (od["discount_amount"] <= od["order_amount"])).all()
    assert (it["quantity"] >= 1).all() and (it["unit_price"] > 0).all()
    assert it.groupby("order_id")["line_number"].agg(["min", "max", "count"]).pipe(
        lambda g: (g["min"] == 1).all() and (g["max"] == g["count"]).all() and g["max"].max() <= 5
    )
    assert set(ev["event_type"]) == {"view", "search", "add_to_cart", "remove_from_cart",
                                     "favorite", "checkout"}  # fmt: skip
    no_product = ev["event_type"].isin(["search", "checkout"])
    assert (ev["product_id"].isna() == no_product).all()
    assert rv["rating"].between(1, 5).all()
    assert clean["products"]["category"].nunique() == 12


def test_nothing_after_extraction_cut(clean):
    for name, cols in TIMESTAMP_COLUMNS.items():
        for col in cols:
            assert (clean[name][col].dropna() <= EXTRACTED_AT).all(), (name, col)


def test_order_amount_is_sum_of_lines(clean):
    it, od = clean["order_items"], clean["orders"]
    s = (it["quantity"] * it["unit_price"]).groupby(it["order_id"]).sum()
    amount = od.set_index("order_id")["order_amount"].reindex(s.index)
    assert np.allclose(s.round(2), amount, atol=1e-6, rtol=0)


def test_order_lifecycle(clean):
    od, ct = clean["orders"], clean["customer_truth"]
    x = od.merge(ct[["customer_id", "signup_at", "churn_at"]], on="customer_id")
    assert (x["ordered_at"] >= x["signup_at"]).all() and (x["ordered_at"] <= x["churn_at"]).all()
    paid = x["paid_at"].notna()
    assert (x.loc[paid, "paid_at"] > x.loc[paid, "ordered_at"]).all()
    canc = x["cancelled_at"].notna()
    assert 0.03 < canc.mean() < 0.09
    assert (x.loc[canc, "cancelled_at"] > x.loc[canc, "ordered_at"]).all()
    assert x.loc[canc, ["shipped_at", "delivered_at", "returned_at"]].isna().all().all()
    sh = x["shipped_at"].notna()
    assert (x.loc[sh, "shipped_at"] > x.loc[sh, "paid_at"]).all()
    assert (x["delivered_at"].isna() | (x["delivered_at"] > x["shipped_at"])).all()
    ret = x["returned_at"].notna()
    assert (x.loc[ret, "returned_at"] > x.loc[ret, "delivered_at"] + 3 * DAY - pd.Timedelta("1s")).all()
    assert 0.05 < ret.sum() / x["delivered_at"].notna().sum() < 0.15
    assert (x["refund_amount"].notna() == ret).all()
    net = x["order_amount"] - x["discount_amount"]
    assert (x.loc[ret, "refund_amount"] <= net[ret] + 1e-9).all()
    assert (x.loc[ret, "refund_amount"] >= 0.5 * net[ret] - 0.01).all()
    # states that had not happened by the cut are missing: only recent orders are unshipped
    open_orders = x[~canc & x["shipped_at"].isna()]
    assert (open_orders["ordered_at"] > EXTRACTED_AT - 6 * DAY).all()


def test_events_and_sessions(clean):
    ev, od, ct = clean["events"], clean["orders"], clean["customer_truth"]
    per_order = len(ev) / len(od)
    assert 8 <= per_order <= 15
    x = ev.merge(ct[["customer_id", "signup_at", "churn_at"]], on="customer_id")
    assert (x["event_at"] >= x["signup_at"]).all() and (x["event_at"] <= x["churn_at"]).all()
    assert ev.groupby("session_id")["customer_id"].nunique().max() == 1
    # every order is preceded by a checkout of its customer within 90 minutes
    chk = ev[ev["event_type"] == "checkout"][["customer_id", "event_at"]].sort_values("event_at")
    m = pd.merge_asof(
        od.sort_values("ordered_at")[["order_id", "customer_id", "ordered_at"]],
        chk, left_on="ordered_at", right_on="event_at", by="customer_id", direction="backward",
    )  # fmt: skip
    assert (m["ordered_at"] - m["event_at"] <= pd.Timedelta(minutes=90)).all()
    assert len(chk) == len(od)
    # ordered products were added to the cart in the converting session
    carts = ev[ev["event_type"] == "add_to_cart"]
    assert carts["session_id"].nunique() >= len(od)
    # non-converting browsing exists
    converting = set(ev.loc[ev["event_type"] == "checkout", "session_id"])
    assert ev["session_id"].nunique() > 1.3 * len(converting)


def test_reviews(clean):
    rv, od = clean["reviews"], clean["orders"]
    x = rv.merge(od[["order_id", "delivered_at", "returned_at"]], on="order_id")
    assert (x["reviewed_at"] >= x["delivered_at"] + DAY - pd.Timedelta("1s")).all()
    assert (x["reviewed_at"] <= x["delivered_at"] + 20 * DAY + pd.Timedelta("1s")).all()
    assert 0.10 < len(rv) / od["delivered_at"].notna().sum() < 0.20
    returned = x["returned_at"].notna()
    assert x.loc[returned, "rating"].mean() < x.loc[~returned, "rating"].mean() - 1


def test_category_breadth_varies(clean):
    it, od, pr = clean["order_items"], clean["orders"], clean["products"]
    x = it.merge(od[["order_id", "customer_id"]], on="order_id").merge(pr, on="product_id")
    g = x.groupby("customer_id").agg(lines=("order_id", "size"), cats=("category", "nunique"))
    many = g[g["lines"] >= 15]
    assert many["cats"].min() <= 4 and many["cats"].max() >= 8


# ----------------------------------------------------------------------------- credit truth
def test_default_rule_matches_truth_on_matured_accounts(clean):
    ca, rp, truth = clean["credit_accounts"], clean["repayments"], clean["credit_account_truth"]
    assert truth["credit_account_id"].tolist() == ca["credit_account_id"].tolist()
    matured = ca.loc[ca["opened_at"].dt.normalize() + 365 * DAY <= EXTRACTED_AT, "credit_account_id"]
    assert len(matured) > 200
    rule = _default_by_rule(ca, rp).reindex(matured)
    planted = truth.set_index("credit_account_id")["defaulted"].reindex(matured)
    assert (rule == planted).all()
    assert planted.sum() > 10


def test_default_rate_and_pd_quality(clean):
    truth, ca, od = clean["credit_account_truth"], clean["credit_accounts"], clean["orders"]
    rate = truth["defaulted"].mean()
    assert 0.06 < rate < 0.15
    assert abs(truth["true_pd"].mean() - rate) < 0.03
    assert 0.70 < _auc(truth["true_pd"], truth["defaulted"]) < 0.90
    assert 0.06 < len(ca) / len(od) < 0.18


def test_lateness_is_a_risk_signal(clean):
    rp, ca, truth = clean["repayments"], clean["credit_accounts"], clean["credit_account_truth"]
    x = rp.merge(truth[["credit_account_id", "true_pd", "defaulted"]], on="credit_account_id")
    x = x[~x["defaulted"] & x["paid_at"].notna()]
    days_late = (x["paid_at"] - pd.to_datetime(x["due_date"])) / DAY
    assert days_late.max() < 60
    late = (days_late > 5).groupby(x["credit_account_id"]).mean()
    pd_ = truth.set_index("credit_account_id")["true_pd"].reindex(late.index)
    assert late.corr(pd_, method="spearman") > 0.15


def test_customer_truth_ranges(clean):
    ct = clean["customer_truth"]
    assert ct["customer_id"].tolist() == clean["customers"]["customer_id"].tolist()
    assert (ct["churn_at"] > ct["signup_at"]).all()
    assert 3.5 < ct["purchase_rate_per_year"].mean() < 6
    assert 55 < ct["spend_level"].mean() < 85
    assert ct["cancel_prob"].between(0.04, 0.10).all()
    assert ct["return_prob"].between(0.05, 0.20).all()
    assert ct["refund_fraction_mean"].between(0.5, 1.0).all()
    assert (ct["instalment_propensity"] == 0).mean() > 0.3
    cu = clean["customers"]
    joined = ct.merge(cu, on="customer_id")
    # risk goes with lower spend and city tier 3
    assert joined["credit_risk_latent"].corr(np.log(joined["spend_level"])) < -0.1
    tier_risk = joined.groupby("city_tier")["credit_risk_latent"].mean()
    assert tier_risk[3] > tier_risk[1]
    by_year = cu["signup_at"].dt.year.value_counts().sort_index()
    assert by_year.is_monotonic_increasing  # growth


# ----------------------------------------------------------------------------- dirty rows
def test_planted_rows_logged(dirty):
    planted = dirty["planted_dirty_rows"]
    assert set(zip(planted["source_table"], planted["planted_issue"])) == PLANTED_ISSUES
    for name, cols in KEY_COLUMNS.items():
        n = dirty.counts[name]
        share = (planted["source_table"] == name).sum() / n
        assert share < 0.03, name
    logged = {
        (t, i): set(k) for (t, i), k in planted.groupby(["source_table", "planted_issue"])["row_key"]
    }
    cu, od, it = dirty["customers"], dirty["orders"], dirty["order_items"]
    ev, rv, rp = dirty["events"], dirty["reviews"], dirty["repayments"]
    # null keys: counted exactly
    for name, col in [("customers", "customer_id"), ("orders", "order_id"), ("events", "event_id")]:
        df = dirty[name]
        n_logged = ((planted["source_table"] == name) & (planted["row_key"] == "null")).sum()
        assert df[col].isna().sum() == n_logged > 0
    # exact duplicates: every duplicated row's key is logged as a duplicate
    for name, cols in KEY_COLUMNS.items():
        dup = dirty[name].duplicated(keep="first")
        if name == "customers":
            dup &= cu["customer_id"].notna()
        keys = set(_keys(dirty[name][dup], cols))
        if ((name, "duplicate")) in logged:
            assert keys <= logged[(name, "duplicate")] | {"null"}, name
    customers = set(cu["customer_id"].dropna())
    assert set(_keys(od[~od["customer_id"].isin(customers)], ["order_id"])) == logged[
        ("orders", "unknown_customer")
    ]
    assert set(_keys(ev[~ev["customer_id"].isin(customers)], ["event_id"])) == logged[
        ("events", "unknown_customer")
    ]
    assert set(_keys(od[od["order_amount"] < 0], ["order_id"])) == logged[("orders", "negative_amount")]
    absurd = od[od["order_amount"] >= 1e7]
    assert set(_keys(absurd, ["order_id"])) == logged[("orders", "absurd_amount")]
    assert set(_keys(it[it["quantity"] <= 0], ["order_id", "line_number"])) == logged[
        ("order_items", "non_positive_quantity")
    ]
    assert set(_keys(rv[~rv["rating"].between(1, 5)], ["review_id"])) == logged[
        ("reviews", "rating_out_of_range")
    ]
    for name, col in [("orders", "ordered_at"), ("events", "event_at"), ("reviews", "reviewed_at")]:
        df = dirty[name]
        fut = df[df[col] > EXTRACTED_AT]
        assert set(_keys(fut, KEY_COLUMNS[name])) == logged[(name, "future_dated")], name
    # nothing else is dated after the cut
    for name, cols in TIMESTAMP_COLUMNS.items():
        main_col = {"orders": "ordered_at", "events": "event_at", "reviews": "reviewed_at"}.get(name)
        for col in cols:
            late = dirty[name][col] > EXTRACTED_AT
            if main_col:
                late &= ~(dirty[name][main_col] > EXTRACTED_AT)
            assert not late.any(), (name, col)
    # dirty rows are mixed into the file, not appended at the end
    neg_pos = np.flatnonzero((od["order_amount"] < 0).to_numpy())
    assert neg_pos.min() < len(od) - 10 * len(neg_pos)


def test_dirty_new_ids_do_not_collide(dirty, clean):
    od, cod = dirty["orders"], clean["orders"]
    new = od[~od["order_id"].isin(cod["order_id"]) & od["order_id"].notna()]
    assert new["order_id"].is_unique
    assert not dirty["order_items"]["order_id"].isin(new["order_id"]).any()
    assert not dirty["credit_accounts"]["order_id"].isin(new["order_id"]).any()
    ev = dirty["events"]
    assert ev.loc[ev["event_id"].notna(), "event_id"].drop_duplicates().is_unique


# ----------------------------------------------------------------------------- CLI & chunking
def test_cli_and_chunk_invariants(tmp_path, capsys):
    out = tmp_path / "cli"
    rc = cli_main(["--out", str(out), "--customers", "400", "--seed", "3", "--chunk-size", "150",
                   "--no-dirty", "--start", "2023-01-01", "--extracted-at", "2024-06-30T12:00:00"])  # fmt: skip
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"]["customers"] == 400
    params = json.loads((out / "generator_params.json").read_text())
    assert params["dirty"] is False and params["chunk_size"] == 150
    assert params["start"] == "2023-01-01 00:00:00"
    assert params["extracted_at"] == "2024-06-30 12:00:00"
    od = pd.read_parquet(out / "orders.parquet")
    cu = pd.read_parquet(out / "customers.parquet")
    cut = pd.Timestamp("2024-06-30 12:00:00")
    assert cu["signup_at"].between(pd.Timestamp("2023-01-01"), cut).all()
    assert (od["ordered_at"] <= cut).all() and od["order_id"].is_unique
    manifest = pd.read_parquet(out / "extraction_manifest.parquet")
    assert manifest["extracted_at"].tolist() == [cut]


def test_single_chunk_and_tiny_sizes(tmp_path):
    counts = generate(tmp_path / "one", n_customers=1, seed=5, chunk_size=50_000)
    assert counts["customers"] >= 1 and counts["products"] == 300
    counts = generate(tmp_path / "many", n_customers=50, seed=5, chunk_size=7)
    cu = pd.read_parquet(tmp_path / "many" / "customers.parquet")
    assert set(cu["customer_id"].dropna()) == set(range(1, 51))
    with pytest.raises(ValueError):
        generate(tmp_path / "bad", n_customers=0)

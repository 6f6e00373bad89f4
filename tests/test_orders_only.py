"""A shop with only an orders file (the common case, e.g. CDNOW) still gets purchasing-power
scores; absent tables give empty features, not a crash; a missing orders file is a clear error."""

from __future__ import annotations

import pytest

from shopper_scores.dbt_runner import DbtRunError

from .conftest import build_shop, new_shop, query, read_demo, run_dbt

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def orders_only(tmp_path_factory, demo_raw):
    work_dir, raw = new_shop(tmp_path_factory, "orders_only")
    orders = read_demo(demo_raw, "orders")
    # As many exports do: integer customer ids written as floats (10 -> 10.0).
    orders["customer_id"] = orders["customer_id"].astype("float64")
    orders.to_parquet(raw / "orders.parquet", index=False)
    return build_shop(raw, work_dir)


def test_orders_only_shop_gets_purchasing_power_scores(orders_only):
    scores = query(orders_only, "select * from main.purchasing_power_scores")
    customers = query(orders_only, "select count(distinct customer_id) as n from main.user_features")["n"].iloc[0]
    assert len(scores) == customers > 0
    # Float-typed integer ids are read back as the integers they were.
    assert not scores["customer_id"].str.endswith(".0").any()
    metrics = query(orders_only, "select * from main.model_metrics_wide where model_family = 'purchasing_power' and split = 'test'")
    assert len(metrics) >= 2


def test_absent_tables_give_empty_features_and_no_credit_scores(orders_only):
    accounting = query(orders_only, "select * from main.raw_row_accounting").set_index("source_table")
    assert accounting.loc["orders", "is_source_present"]
    assert not accounting.loc["events", "is_source_present"]
    assert accounting.loc["events", "raw_rows"] == 0
    # Without a customers table, orders cannot be checked against it: none is unknown_customer.
    reasons = set(query(orders_only, "select distinct rejection_reason from main.quarantined_rows")["rejection_reason"])
    assert "unknown_customer" not in reasons
    features = query(orders_only, "select sum(sessions_90d) as s, sum(reviews_lifetime) as r, count(region) as g from main.user_features")
    assert features.iloc[0].tolist() == [0, 0, 0]
    # No credit history at all: no credit model, said in the metrics log, and no credit scores.
    assert query(orders_only, "select count(*) as n from main.credit_scores")["n"].iloc[0] == 0
    notes = query(orders_only, "select note from ml.ml_credit_training")["note"]
    assert notes.str.contains("no matured credit accounts").any()


def test_missing_orders_file_is_a_clear_error(tmp_path):
    (tmp_path / "raw").mkdir()
    with pytest.raises(DbtRunError, match="orders is the only mandatory raw table"):
        run_dbt(["build"], warehouse=tmp_path / "w.duckdb", raw_dir=tmp_path / "raw", work_dir=tmp_path)

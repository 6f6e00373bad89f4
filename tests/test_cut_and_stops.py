"""The extraction cut never lies in the future of the data, an unusable input stops early with
counts, and every clean customer is either scored or listed with the reason it is not.

Each case is a tiny hand-made shop (an orders file, usually customers and a manifest): a dbt
build of it costs mostly dbt's parsing, so the stop cases build only ``+int_scoring_context``
and the manifest cases only what the cut needs; one shop builds the features and marts.
"""

from __future__ import annotations


import pandas as pd
import pytest

from shopper_scores.ml import credit, purchasing_power
from shopper_scores.ml.params import ParameterError

from .conftest import new_shop, query, run_dbt, stopped_cleanly

N_ORDERS = 200
FIRST_DAY = pd.Timestamp("2024-01-01")
LAST_DAY = pd.Timestamp("2025-06-30")
MANIFEST_AT = pd.Timestamp("2025-06-30 18:00:00")
UP_TO_CONTEXT = ["build", "--select", "+int_scoring_context", "--indirect-selection", "cautious"]


def _customers() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(20)],
        "signup_at": [FIRST_DAY - pd.Timedelta(days=30)] * 20,
    })


def _orders() -> pd.DataFrame:
    """N_ORDERS orders spread over FIRST_DAY .. LAST_DAY (a small shop: ~0.4 orders a day)."""
    seconds = int((LAST_DAY + pd.Timedelta(hours=17) - FIRST_DAY).total_seconds())
    times = FIRST_DAY + pd.to_timedelta(pd.Series(range(N_ORDERS)) * (seconds // (N_ORDERS - 1)), unit="s")
    return pd.DataFrame({
        "order_id": [f"o{i}" for i in range(N_ORDERS)],
        "customer_id": [f"c{i % 20}" for i in range(N_ORDERS)],
        "ordered_at": times,
        "order_amount": [50.0 + i % 7 for i in range(N_ORDERS)],
    })


def _planted(times: list[str]) -> pd.DataFrame:
    """Dirty orders dated after the real data (as a broken export or a typo would)."""
    return pd.DataFrame({
        "order_id": [f"planted{i}" for i in range(len(times))],
        "customer_id": "c1",
        "ordered_at": pd.to_datetime(times),
        "order_amount": 80.0,
    })


def _shop(tmp_path_factory, name, *, orders=None, customers=None, manifest=MANIFEST_AT):
    """Write a shop; ``manifest``: a timestamp, a frame written as is, or None (no file)."""
    work_dir, raw = new_shop(tmp_path_factory, name)
    (_orders() if orders is None else orders).to_parquet(raw / "orders.parquet", index=False)
    (_customers() if customers is None else customers).to_parquet(raw / "customers.parquet", index=False)
    if isinstance(manifest, pd.DataFrame):
        manifest.to_parquet(raw / "extraction_manifest.parquet", index=False)
    elif manifest is not None:
        pd.DataFrame({"extracted_at": [manifest]}).to_parquet(raw / "extraction_manifest.parquet", index=False)
    return work_dir, raw


def _build(work_dir, raw, args, extra_vars=None):
    """(stdout, warehouse) of a build that must succeed."""
    warehouse = work_dir / "warehouse.duckdb"
    result = run_dbt(args, warehouse=warehouse, raw_dir=raw, work_dir=work_dir, extra_vars=extra_vars)
    return result.stdout, warehouse


def _stop(work_dir, raw, extra_vars=None) -> str:
    """dbt's whole console output of a build that must stop (and not with a stack trace)."""
    return stopped_cleanly(run_dbt(UP_TO_CONTEXT, warehouse=work_dir / "w.duckdb", raw_dir=raw,
                                   work_dir=work_dir, extra_vars=extra_vars, check=False))


# --- an unusable input stops early, with counts ------------------------------------------------

def _unparseable_times() -> pd.DataFrame:
    orders = _orders()
    orders["ordered_at"] = "31/12/2025 25:99"
    return orders


def _float_ids():
    """Integer ids >= 1e16 exported as floats no longer match their customers (2^53 < 1e16)."""
    ids = [10**16 + 1 + i for i in range(20)]
    customers = pd.DataFrame({"customer_id": ids, "signup_at": [FIRST_DAY] * 20})
    orders = _orders()
    orders["customer_id"] = [float(ids[i % 20]) for i in range(N_ORDERS)]
    return orders, customers


STOP_CASES = {
    "orders_header_only": (
        lambda: {"orders": _orders().iloc[:0]},
        ["no clean order remains", "Raw orders: read 0, rejected 0."]),
    "customers_empty": (
        lambda: {"customers": _customers().iloc[:0]},
        [f"Raw orders: read {N_ORDERS}, rejected {N_ORDERS} (unknown_customer: {N_ORDERS})",
         "Raw customers: read 0, rejected 0, clean 0", "The customers table is the cause"]),
    "every_ordered_at_unparseable": (
        lambda: {"orders": _unparseable_times()},
        [f"Raw orders: read {N_ORDERS}, rejected {N_ORDERS} (unparseable_value: {N_ORDERS})"]),
    # Caught before any model runs, by the raw-file type check (check_raw_inputs, on-run-start).
    "float_ids_no_longer_match": (
        lambda: dict(zip(("orders", "customers"), _float_ids())),
        ["orders.parquet' has column(s) of the wrong type: customer_id is DOUBLE with",
         "not whole numbers below 2^53"]),
    "every_order_rejected_one_future_dated": (
        lambda: {"orders": pd.concat([_orders().iloc[-3:].assign(customer_id="nobody"),
                                      _planted(["2025-07-02 10:00:00"])])},
        ["Raw orders: read 4, rejected 4 (unknown_customer: 3, future_dated: 1)",
         "dated after the extraction cut 2025-06-30 18:00:00 (basis manifest)"]),
    # A manifest before every order is not used (all would be future_dated): the one order is
    # the data, and a single order leaves every label window empty.
    "single_order_after_the_manifest": (
        lambda: {"orders": _planted(["2025-07-02 10:00:00"])},
        ["the extraction manifest is before the data",
         "none of the 1 clean orders (2025-07-02 .. 2025-07-02) falls in the 4 label windows"]),
    "no_manifest_and_no_order_time": (
        lambda: {"orders": _unparseable_times(), "manifest": None},
        ["cannot place the extraction cut", "the extraction manifest is missing",
         f"none of the {N_ORDERS} raw orders has a usable ordered_at ({N_ORDERS} unparseable"]),
}


@pytest.mark.dbt
@pytest.mark.parametrize("case", sorted(STOP_CASES))
def test_unusable_input_stops_early_with_counts(tmp_path_factory, case):
    make, expected = STOP_CASES[case]
    output = _stop(*_shop(tmp_path_factory, case, **make()))
    for text in expected:
        assert text in output, output
    # It stops where it can know, not in the Python models downstream.
    assert "ml_purchasing_power_training" not in output


@pytest.mark.dbt
def test_as_of_date_after_every_label_window_stops(tmp_path_factory):
    output = _stop(*_shop(tmp_path_factory, "late_as_of"), extra_vars={"as_of_date": "2027-01-01"})
    assert "as_of_date 2027-01-01 (cut_basis var" in output
    assert f"none of the {N_ORDERS} clean orders (2024-01-01 .. 2025-06-30)" in output
    assert "every training label and every predicted_spend would be 0" in output


def test_empty_scoring_context_is_a_parameter_error_not_an_index_error():
    empty = pd.DataFrame({"as_of_date": [], "horizon_days": [], "label_window_days": [], "n_train_windows": []})
    with pytest.raises(ParameterError, match="got 0 .no clean order"):
        purchasing_power.PurchasingPowerParams.from_dbt(empty, random_seed=1)
    with pytest.raises(ParameterError, match="got 0 .no clean order"):
        credit.CreditParams.from_dbt(empty, random_seed=1, excluded_features="", base_score=600,
                                     base_odds=50, points_to_double_odds=20)


# --- the cut: the manifest when usable, else a fallback that never lies in the future -----------

# A sparse trickle of future-dated orders after the real data, and one years later.
TRICKLE = ["2025-07-30 12:00:00", "2026-01-16 12:00:00", "2026-08-04 12:00:00", "2099-01-01 00:00:00"]
REAL_LAST = _orders()["ordered_at"].max()

MANIFEST_CASES = {
    # name: (manifest, planted orders, manifest_status, expected cut)
    "missing": (None, TRICKLE, "missing", REAL_LAST),
    "empty": (pd.DataFrame({"extracted_at": pd.Series([], dtype="datetime64[us]")}), TRICKLE[-1:], "empty",
              REAL_LAST),
    "null": (pd.DataFrame({"extracted_at": pd.Series([None], dtype="datetime64[us]")}), TRICKLE[1:2], "null",
             REAL_LAST),
    "unparseable": (pd.DataFrame({"extracted_at": ["yesterday evening"]}), TRICKLE, "unparseable", REAL_LAST),
    "far_future": (pd.Timestamp("2099-01-01"), TRICKLE, "after_build_time", REAL_LAST),
    "before_the_data": (pd.Timestamp("2020-01-01"), [], "before_first_order", REAL_LAST),
}

WHY = {
    "missing": "missing (no file at", "empty": "empty (0 rows)", "null": "null (extracted_at holds no value)",
    "unparseable": "unparseable (extracted_at is not a timestamp)",
    "after_build_time": "in the future (extracted_at 2099-01-01 00:00:00 is after this build started",
    "before_first_order": "before the data (extracted_at 2020-01-01 00:00:00 precedes every order",
}


@pytest.mark.dbt
@pytest.mark.parametrize("case", sorted(MANIFEST_CASES))
def test_unusable_manifest_falls_back_to_the_main_order_history_and_warns(tmp_path_factory, case):
    manifest, planted, status, expected_cut = MANIFEST_CASES[case]
    orders = pd.concat([_orders(), _planted(planted)], ignore_index=True)
    output, warehouse = _build(*_shop(tmp_path_factory, f"manifest_{case}", orders=orders, manifest=manifest),
                               UP_TO_CONTEXT)
    context = query(warehouse, "select * from intermediate.int_scoring_context").iloc[0]
    assert context["manifest_status"] == status
    assert context["cut_basis"] == context["extraction_cut_basis"] == "fallback_main_history"
    assert pd.Timestamp(context["extracted_at"]) == expected_cut
    assert pd.Timestamp(context["as_of_date"]) == expected_cut.normalize()
    # Every planted order is quarantined as future_dated, none is clean.
    reasons = query(warehouse, "select order_id, rejection_reason from staging.base_shop__orders "
                               "where order_id like 'planted%'")
    assert len(reasons) == len(planted) and (reasons["rejection_reason"] == "future_dated").all()
    # Loud: a dbt warning naming the rule and why the manifest was not used, and the warn test.
    assert f"the extraction manifest is {WHY[status]}" in output, output
    assert "from the end of the main order history (fallback_main_history" in output
    assert f"{len(planted)} raw orders after it" in output
    assert "WARN" in output and "accepted_values_int_scoring_context_cut_basis" in output


@pytest.mark.dbt
def test_fallback_cut_never_lies_after_the_build_started(tmp_path_factory):
    """No manifest, and orders go on at the shop's usual rate until a year from now (a clock
    error in the export): no rate drop to find, so the cut is the moment the build started."""
    started = pd.Timestamp.now(tz="UTC").tz_localize(None)
    future = pd.date_range(LAST_DAY + pd.Timedelta(days=2), started + pd.Timedelta(days=365), freq="3D")
    orders = pd.concat([_orders(), _planted([str(t) for t in future])], ignore_index=True)
    output, warehouse = _build(*_shop(tmp_path_factory, "future_at_full_rate", orders=orders, manifest=None),
                               UP_TO_CONTEXT)
    cut = pd.Timestamp(query(warehouse, "select extracted_at from staging.stg_shop__extraction_manifest")
                       ["extracted_at"][0])
    assert started - pd.Timedelta(minutes=1) <= cut <= pd.Timestamp.now(tz="UTC").tz_localize(None)
    after_now = query(warehouse, "select rejection_reason from staging.base_shop__orders where order_id like "
                                 f"'planted%' and ordered_at > timestamp '{cut}'")
    assert len(after_now) and (after_now["rejection_reason"] == "future_dated").all()


@pytest.mark.dbt
def test_stale_as_of_date_warns(tmp_path_factory):
    output, warehouse = _build(*_shop(tmp_path_factory, "stale_as_of"), UP_TO_CONTEXT,
                               extra_vars={"as_of_date": "2025-10-28"})
    context = query(warehouse, "select * from intermediate.int_scoring_context").iloc[0]
    assert context["cut_basis"] == "var" and context["clean_orders_in_horizon_before"] == 0
    assert "as_of_date 2025-10-28 (cut_basis var" in output
    assert "no clean order in the 90 days (horizon_days) before it" in output
    assert "between_int_scoring_context_clean_orders_in_horizon_before" in output


# --- a usable manifest, and the customer who signs up on the cut day ----------------------------

@pytest.mark.dbt
def test_valid_manifest_is_the_cut_and_every_clean_customer_is_accounted_for(tmp_path_factory):
    customers = pd.concat([_customers(), pd.DataFrame({
        "customer_id": ["cut_day", "no_orders_yet"],
        "signup_at": [pd.Timestamp("2025-06-30 10:00:00"), pd.Timestamp("2025-05-01 10:00:00")],
    })], ignore_index=True)
    orders = pd.concat([_orders(), pd.DataFrame({
        "order_id": ["cut_day_order"], "customer_id": ["cut_day"],
        "ordered_at": [pd.Timestamp("2025-06-30 11:00:00")], "order_amount": [40.0],
    })], ignore_index=True)
    output, warehouse = _build(*_shop(tmp_path_factory, "valid_manifest", orders=orders, customers=customers),
                               ["build", "--exclude", "models/ml+"])
    context = query(warehouse, "select * from intermediate.int_scoring_context").iloc[0]
    assert (context["cut_basis"], context["manifest_status"]) == ("manifest", "usable")
    assert pd.Timestamp(context["extracted_at"]) == MANIFEST_AT
    assert "the extraction manifest is" not in output
    unscored = query(warehouse, "select customer_id, reason from main.unscored_customers")
    assert unscored.to_dict("records") == [{"customer_id": "cut_day", "reason": "signed_up_on_or_after_as_of_date"}]
    scored = set(query(warehouse, "select customer_id from main.user_features")["customer_id"])
    known = set(query(warehouse, "select customer_id from intermediate.int_customers_unified")["customer_id"])
    assert "no_orders_yet" in scored and "cut_day" not in scored
    assert known == scored | set(unscored["customer_id"]) and not scored & set(unscored["customer_id"])
    assert "assert_every_clean_customer_accounted_for" in output

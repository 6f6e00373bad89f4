"""Stability and fairness of the credit scorecard on the shared demo build: the SQL population
stability index equals an independent NumPy computation over the same training-decile edges, the
points-weighted index is the shift in mean points, the warn / error tests fire at their
thresholds, and the fairness table's groups cover every customer once per attribute, in the
published age bands, without any customer-level row."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from shopper_scores.publish import AGE_BAND

from .conftest import query, run_dbt

pytestmark = pytest.mark.dbt

N_BINS = 10
SHARE_FLOOR = 1e-4  # var credit_psi_share_floor


def reference_psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI written independently of the macro: deciles of the sorted expected values (the sizes
    ntile gives: the first len % 10 tiles one row larger), an edge at each tile's largest value,
    equal edges merged, the top edge open; bins (lower, upper]; shares floored."""
    tiles = np.array_split(np.sort(expected), N_BINS)
    edges = np.unique([tile.max() for tile in tiles if len(tile)])[:-1]
    expected_bins = np.searchsorted(edges, expected, side="left")
    actual_bins = np.searchsorted(edges, actual, side="left")
    n = len(edges) + 1
    e = np.maximum(np.bincount(expected_bins, minlength=n) / len(expected), SHARE_FLOOR)
    a = np.maximum(np.bincount(actual_bins, minlength=n) / len(actual), SHARE_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


@pytest.fixture(scope="module")
def stability(built_warehouse) -> pd.DataFrame:
    return query(built_warehouse, "select * from main.credit_stability").set_index("characteristic")


def test_score_psi_equals_an_independent_computation(built_warehouse, stability):
    fit = query(built_warehouse, "select credit_score from intermediate.int_credit_final_fit_scores")
    current = query(built_warehouse, "select credit_score from main.credit_scores")
    assert fit.credit_score.notna().all() and current.credit_score.notna().all()
    expected = reference_psi(fit.credit_score.to_numpy(float), current.credit_score.to_numpy(float))
    row = stability.loc["credit_score"]
    assert row.psi == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert row.expected_rows == len(fit) and row.actual_rows == len(current)
    print(f"demo credit score PSI {row.psi:.4f} ({row.stability_status}), "
          f"mean score {row.expected_mean_points:.2f} -> {row.actual_mean_points:.2f}")


def test_the_training_population_is_the_final_fit_accounts(built_warehouse):
    fit = query(built_warehouse, "select credit_account_id from intermediate.int_credit_final_fit_scores")
    training = query(built_warehouse, "select credit_account_id, split from intermediate.int_credit_training_set")
    assert set(fit.credit_account_id) == set(training.loc[training.split.isin(["train", "validation"]),
                                                              "credit_account_id"])
    assert len(fit) > 100


def test_points_shift_is_the_change_in_mean_points(built_warehouse, stability):
    """CSI_j = sum_b (a_b - e_b) x points_b = mean points of feature j today - at training, from
    the scorer's per-row points directly; the features' shifts add up to the mean score's."""
    fit = query(built_warehouse, "select feature_name, points from intermediate.int_credit_final_fit_points")
    current = query(built_warehouse, "select feature_name, points from intermediate.int_credit_scorecard_points")
    shift = current.groupby("feature_name").points.mean() - fit.groupby("feature_name").points.mean()
    features = stability[stability.characteristic_type == "feature"]
    assert set(features.index) == set(shift.index)
    np.testing.assert_allclose(features.mean_points_shift.sort_index(), shift.sort_index(), atol=1e-9)
    assert features.mean_points_shift.sum() == pytest.approx(stability.loc["credit_score", "mean_points_shift"],
                                                             abs=1e-9)


def test_bins_add_up_to_the_indices(built_warehouse, stability):
    bins = query(built_warehouse, "select * from main.credit_stability_bins")
    by_characteristic = bins.groupby("characteristic")
    np.testing.assert_allclose(by_characteristic.psi_contribution.sum().sort_index(),
                               stability.psi.sort_index(), rtol=1e-12)
    for share in ["expected_share", "actual_share"]:
        np.testing.assert_allclose(by_characteristic[share].sum(), 1.0, rtol=1e-12)
    features = bins[bins.characteristic != "credit_score"]
    np.testing.assert_allclose(features.groupby("characteristic").points_shift.sum().sort_index(),
                               stability.loc[stability.characteristic_type == "feature", "mean_points_shift"]
                               .sort_index(), atol=1e-9)
    # every score bin but the top one holds training rows (its edges are training deciles)
    score = bins[bins.characteristic == "credit_score"]
    assert (score.expected_count > 0).all() and len(score) > 3


def test_the_alert_test_ran_after_scoring_at_its_default_severity(built_warehouse, stability):
    """In the shared build itself: the warning test warns exactly when the score's PSI is above
    0.1, and the alert test (above 0.25) warns rather than fails by default."""
    results = json.loads((built_warehouse.parent / "target" / "run_results.json").read_text())["results"]
    status = {r["unique_id"].split(".")[2]: r["status"] for r in results}
    psi = stability.loc["credit_score", "psi"]
    assert status["credit_score_psi_at_most_warn_threshold"] == ("warn" if psi > 0.1 else "pass")
    assert status["credit_score_psi_at_most_error_threshold"] == ("warn" if psi > 0.25 else "pass")
    assert status["assert_credit_stability_points_shifts_add_up"] == "pass"


def test_psi_tests_warn_and_fail_at_their_thresholds(built_warehouse, demo_raw, stability, tmp_path):
    """The stability tests rerun on a copy of the warehouse with the thresholds set around the
    demo's score PSI: above the warning level only -> warn, build passes; above the alert level
    with credit_psi_error_severity error -> the alert test fails (and so would the build and its
    publication)."""
    psi = stability.loc["credit_score", "psi"]
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, warehouse)
    cases = {
        "moderate": {"credit_psi_warn": psi / 2, "credit_psi_error": psi * 2},
        "significant": {"credit_psi_warn": psi / 4, "credit_psi_error": psi / 2, "credit_psi_error_severity": "error"},
    }
    outcomes = {}
    for case, extra_vars in cases.items():
        work_dir = tmp_path / case
        result = run_dbt(["test", "--select", "credit_stability,test_name:psi_at_most"], warehouse=warehouse,
                         raw_dir=demo_raw, work_dir=work_dir, check=False, extra_vars=extra_vars)
        results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
        outcomes[case] = (result.returncode, {r["unique_id"].split(".")[2]: r["status"] for r in results
                                              if r["unique_id"].startswith("test.")})
    assert outcomes["moderate"] == (0, {"credit_score_psi_at_most_warn_threshold": "warn",
                                        "credit_score_psi_at_most_error_threshold": "pass"})
    assert outcomes["significant"][0] != 0
    assert outcomes["significant"][1] == {"credit_score_psi_at_most_warn_threshold": "warn",
                                          "credit_score_psi_at_most_error_threshold": "fail"}


def test_fairness_groups_cover_every_customer_once_per_attribute(built_warehouse):
    fairness = query(built_warehouse, "select * from main.credit_fairness")
    n_customers = query(built_warehouse, "select count(*) as n from main.credit_scores").n.iloc[0]
    assert set(fairness.attribute_name) == {"age_band", "gender", "region"}
    assert (fairness.groupby("attribute_name").customers.sum() == n_customers).all()
    # approvals and limits are credit_offers' and add up across the groups of every attribute
    offers = query(built_warehouse, "select count(*) filter (where decision = 'approve') as approved, "
                                    "sum(suggested_limit) as limits from main.credit_offers")
    by_attribute = fairness.groupby("attribute_name")
    assert (by_attribute.approved_customers.sum() == offers.approved.iloc[0]).all()
    limits = (fairness.customers * fairness.mean_suggested_limit.fillna(0)).groupby(fairness.attribute_name).sum()
    np.testing.assert_allclose(limits, offers.limits.iloc[0], rtol=1e-9)
    # aggregates only: no customer key, and far fewer rows than customers
    assert not {"customer_id", "gender"} & set(fairness.columns)
    assert len(fairness) < 30


def test_fairness_age_bands_are_the_published_ones(built_warehouse):
    published = query(built_warehouse, f"select coalesce({AGE_BAND}, '(unknown)') as group_value, count(*) as n "
                                       "from main.user_features group by 1")
    fairness = query(built_warehouse, "select group_value, customers as n from main.credit_fairness "
                                      "where attribute_name = 'age_band' and customers > 0")
    pd.testing.assert_frame_equal(published.sort_values("group_value").reset_index(drop=True),
                                  fairness.sort_values("group_value").reset_index(drop=True), check_dtype=False)


def test_disparate_impact_is_against_the_most_favoured_judged_group(built_warehouse):
    fairness = query(built_warehouse, "select * from main.credit_fairness")
    for attribute, groups in fairness.groupby("attribute_name"):
        judged = groups[groups.is_judged]
        best = judged.loc[judged.approval_rate.idxmax()]
        assert (groups.reference_group == best.group_value).all(), attribute
        np.testing.assert_allclose(groups.disparate_impact_ratio, groups.approval_rate / best.approval_rate)
        flagged = judged.disparate_impact_ratio < 0.8
        assert (judged.is_below_four_fifths.astype(bool) == flagged).all(), attribute
        assert groups.loc[~groups.is_judged, "is_below_four_fifths"].isna().all()
    print(fairness[["attribute_name", "group_value", "customers", "approval_rate", "mean_credit_score",
                    "observed_default_rate", "disparate_impact_ratio", "is_below_four_fifths"]].to_string())

"""The credit-dataset adapters read small slices of the shared public data correctly.

Skipped when the shared data directory ($SHOPPER_SCORES_SHARED_DATA, default <repo>/../shared/data)
is absent. Project dependencies only (no peer libraries).
"""

import numpy as np
import pandas as pd
import pytest

from shopper_scores.adapters import credit_datasets as cd
from shopper_scores.ml import credit
from shopper_scores.ml.features import select_features

GERMAN = cd.shared_data_dir() / cd.GERMAN_CREDIT_FILE
TAIWAN = cd.shared_data_dir() / cd.TAIWAN_CREDIT_FILE


@pytest.fixture(scope="module")
def german():
    if not GERMAN.exists():
        pytest.skip(f"shared data not found: {GERMAN} (set {cd.SHARED_DATA_ENV})")
    return cd.load_german_credit(nrows=200)


@pytest.fixture(scope="module")
def taiwan():
    if not TAIWAN.exists():
        pytest.skip(f"shared data not found: {TAIWAN} (set {cd.SHARED_DATA_ENV})")
    return cd.load_taiwan_credit(nrows=500)


def test_german_slice_shape_and_label(german):
    raw = pd.read_parquet(GERMAN).head(200)
    assert len(german) == 200
    assert german.credit_account_id.is_unique and german.credit_account_id.iloc[0] == "g00001"
    assert german.is_default.tolist() == (raw.creditability == "bad").astype(int).tolist()
    assert german.is_default.dtype == np.int64
    # the adapter's features: the 20 attributes minus personal_status_and_sex
    assert len(select_features(german).names) == 19


def test_german_full_default_rate():
    if not GERMAN.exists():
        pytest.skip(f"shared data not found: {GERMAN}")
    frame = cd.load_german_credit()
    assert len(frame) == 1000 and frame.is_default.mean() == pytest.approx(0.3)


def test_no_sex_feature(german, taiwan):
    for frame in (german, taiwan):
        assert not [c for c in frame.columns if "sex" in c.lower() or "gender" in c.lower()]
    assert "personal_status_and_sex" not in german.columns
    params = credit.CreditParams(random_seed=42, scaling=credit.ScoreScaling(600, 50, 20))
    model = credit.fit_model(credit.SCORECARD, taiwan.drop(columns=["credit_account_id", "customer_id"]), params)
    assert not [n for n in model.feature_names if "sex" in n or "gender" in n]


def test_taiwan_slice_renamed_columns(taiwan):
    raw = pd.read_parquet(TAIWAN).head(500)
    assert len(taiwan) == 500
    assert taiwan.is_default.tolist() == raw.default_payment_next_month.tolist()
    assert taiwan.is_default.mean() == pytest.approx(raw.default_payment_next_month.mean())
    np.testing.assert_array_equal(taiwan.repayment_status_1, raw.PAY_0)
    np.testing.assert_array_equal(taiwan.repayment_status_6, raw.PAY_6)
    np.testing.assert_array_equal(taiwan.bill_amount_2, raw.BILL_AMT2)
    np.testing.assert_array_equal(taiwan.payment_amount_3, raw.PAY_AMT3)
    assert set(taiwan.education) <= {"graduate_school", "university", "high_school", "other", "unknown"}


def test_taiwan_full_default_rate():
    if not TAIWAN.exists():
        pytest.skip(f"shared data not found: {TAIWAN}")
    frame = cd.load_taiwan_credit(behavioural=False)
    assert len(frame) == 30000 and frame.is_default.mean() == pytest.approx(0.2212)


def test_taiwan_behavioural_features_hand_checked(taiwan):
    # Row 1 (ID 1): limit 20,000; status 2, 2, -1, -1, -2, -2; bills 3913, 3102, 689, 0, 0, 0;
    # payments 0, 689, 0, 0, 0, 0.
    r = taiwan.iloc[0]
    assert r.repayment_state_1 == "late_2m" and r.repayment_state_2 == "late_2m"
    assert r.worst_status_6m == 2 and r.worst_status_3m == 2
    assert r.months_late_6m == 2 and r.months_late_3m == 2 and r.months_late_streak == 2
    assert r.months_paid_in_full_6m == 2 and r.months_inactive_6m == 2 and r.months_revolving_6m == 0
    assert r.status_trend == pytest.approx((2 + 2 - 1) / 3 - (-1 - 2 - 2) / 3)
    assert r.utilisation_1 == pytest.approx(3913 / 20000)
    assert r.utilisation_max_6m == pytest.approx(3913 / 20000)
    assert r.utilisation_mean_6m == pytest.approx((3913 + 3102 + 689) / 6 / 20000)
    assert r.payment_ratio_1 == pytest.approx(0 / 3102)
    assert r.payment_ratio_5m == pytest.approx(689 / (3102 + 689))
    assert r.months_unpaid_bill_5m == 1  # month 1 paid nothing against August's 3,102
    # issue 10's amounts and segment crosses: utilisation 3913 / 20000 = 0.196, limit < 30k
    assert r.bill_growth_1 == pytest.approx(3913 / 3102)
    assert r.credit_headroom_1 == 20000 - 3913 and r.unpaid_bill_1 == 3102 - 0
    assert r.state_x_utilisation == "late_2m_plus|util_0.05_0.3"
    assert r.worst_status_x_utilisation == "late_2m|util_0.05_0.3"
    assert r.limit_x_utilisation == "limit_lt_30k|util_0.05_0.3"
    # Row 2 (ID 2): status -1, 2, 0, 0, 0, 2 -> current state paid in full, no current late streak.
    r = taiwan.iloc[1]
    assert r.repayment_state_1 == "paid_in_full" and r.months_late_streak == 0
    assert r.months_late_6m == 2 and r.months_revolving_6m == 3
    assert r.state_x_utilisation.startswith("paid_in_full|")
    assert r.worst_status_x_utilisation.startswith("late_2m|")  # the worst of six months counts


def test_taiwan_crossed_bands_are_fixed_and_left_closed():
    # utilisation exactly on an edge (0.9) falls in the band above it; so does a limit of 30,000;
    # status 5 (five months late) pools into late_2m_plus currently and late_3m_plus as the worst
    limits = [30000.0, 1000.0, 400000.0]
    frame = pd.DataFrame({
        "credit_limit": limits,
        **{f"repayment_status_{k}": [5.0, -2.0, 0.0] for k in range(1, 7)},
        "bill_amount_1": [27000.0, 0.0, 500.0], **{f"bill_amount_{k}": [0.0] * 3 for k in range(2, 7)},
        **{f"payment_amount_{k}": [0.0] * 3 for k in range(1, 7)},
    })
    out = cd.taiwan_behavioural_features(frame)
    assert out.state_x_utilisation.tolist() == [
        "late_2m_plus|util_ge_0.9", "no_consumption|util_lt_0.05", "revolving|util_lt_0.05"]
    assert out.worst_status_x_utilisation.iloc[0] == "late_3m_plus|util_ge_0.9"
    assert out.limit_x_utilisation.tolist() == [
        "limit_30k_80k|util_ge_0.9", "limit_lt_30k|util_lt_0.05", "limit_ge_300k|util_lt_0.05"]
    assert np.isnan(out.bill_growth_1).all()  # no previous bill


def test_taiwan_ratio_without_a_bill_is_missing():
    frame = pd.DataFrame({
        "credit_limit": [1000.0], **{f"repayment_status_{k}": [0.0] for k in range(1, 7)},
        **{f"bill_amount_{k}": [0.0] for k in range(1, 7)}, **{f"payment_amount_{k}": [10.0] for k in range(1, 7)},
    })
    out = cd.taiwan_behavioural_features(frame)
    assert np.isnan(out.payment_ratio_1.iloc[0]) and np.isnan(out.payment_ratio_5m.iloc[0])
    assert out.payment_to_limit_6m.iloc[0] == pytest.approx(0.01)

"""Training on the SQL-drawn sample (int_purchasing_power_training_sample): flags, weights, notes."""

import numpy as np
import pandas as pd
import pytest

from shopper_scores.ml import btyd
from shopper_scores.ml import purchasing_power as pp

from .test_ml_purchasing_power_regression import HORIZON, LABEL_DAYS, make_frame

PARAMS = pp.PurchasingPowerParams(as_of_date="2024-06-30", horizon_days=HORIZON, label_window_days=LABEL_DAYS,
                                  n_train_windows=2, random_seed=42)
COMPARED = ["model_name", "stage", "n_train", "n_eval", "mae", "rmse", "mean_prediction", "model_version"]


@pytest.fixture(scope="module")
def frame():
    return make_frame(n=150, windows=(1, 2, 3, 4))


def _with_design(frame: pd.DataFrame, in_training, in_evaluation, weight) -> pd.DataFrame:
    out = frame.copy()
    out["window_rows"] = out.groupby("window_index")["window_index"].transform("size")
    out["in_training_sample"] = in_training
    out["in_evaluation_sample"] = in_evaluation
    out["sample_weight"] = weight
    return out


def test_a_sample_that_keeps_everything_fits_exactly_as_the_whole_population(frame):
    plain = pp.fit_and_evaluate(frame, PARAMS).to_frame()
    whole = pp.fit_and_evaluate(_with_design(frame, True, True, 1.0), PARAMS).to_frame()
    pd.testing.assert_frame_equal(plain[COMPARED], whole[COMPARED])
    assert not plain["note"].fillna("").str.contains("sample").any()


def test_fits_read_the_training_sample_and_metrics_the_evaluation_sample(frame):
    rng = np.random.default_rng(0)
    in_training = rng.random(len(frame)) < 0.5
    in_evaluation = rng.random(len(frame)) < 0.6
    design = _with_design(frame, in_training, in_evaluation, np.where(in_training, 2.0, 1.0))
    log = pp.fit_and_evaluate(design, PARAMS).to_frame()
    test = log[(log.stage == "test") & (log.model_name == pp.GBM)].iloc[0]
    # the test stage trains on windows 2..3 and evaluates window 1
    assert test.n_train == int((design.window_index.isin([2, 3]) & design.in_training_sample).sum())
    assert test.n_eval == int(((design.window_index == 1) & design.in_evaluation_sample).sum())
    assert f"fit on a stratified sample of {test.n_train} of 300 rows" in test.note
    assert f"metrics on a uniform sample of {test.n_eval} of 150 rows" in test.note
    # weights are used: the same rows unweighted give another fit
    unweighted = pp.fit_and_evaluate(design.assign(sample_weight=1.0), PARAMS).to_frame()
    gbm_unweighted = unweighted[(unweighted.stage == "test") & (unweighted.model_name == pp.GBM)].iloc[0]
    assert gbm_unweighted.n_train == test.n_train and gbm_unweighted.rmse != test.rmse


def test_a_partial_or_invalid_design_is_an_error(frame):
    partial = frame.assign(in_training_sample=True)
    with pytest.raises(ValueError, match="partial sample design"):
        pp.fit_and_evaluate(partial, PARAMS)
    with pytest.raises(ValueError, match="sample_weight must be a finite number >= 1"):
        pp.fit_and_evaluate(_with_design(frame, True, True, 0.5), PARAMS)


def test_bgnbd_weight_k_is_the_row_repeated_k_times(frame):
    rows = frame[frame.window_index == 3].reset_index(drop=True)
    weights = np.where(np.arange(len(rows)) % 3 == 0, 3.0, 1.0)
    repeated = rows.loc[rows.index.repeat(weights.astype(int))].reset_index(drop=True)
    weighted_fit, _ = btyd.fit(rows, HORIZON, sample_weight=weights)
    repeated_fit, _ = btyd.fit(repeated, HORIZON)
    assert weighted_fit.bgnbd is not None and repeated_fit.bgnbd is not None
    np.testing.assert_allclose(weighted_fit.bgnbd[:2], repeated_fit.bgnbd[:2], rtol=1e-3)
    unweighted_fit, _ = btyd.fit(rows, HORIZON)
    assert unweighted_fit.bgnbd != weighted_fit.bgnbd

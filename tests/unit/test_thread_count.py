"""The test suite runs with one OpenMP thread per process (tests/conftest.py): that must not change
what the models learn. Both gradient boostings fitted with one and with two threads predict the
same, to the last bit."""

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from shopper_scores.ml import credit, purchasing_power
from shopper_scores.ml.features import select_features


def _frame(n=3000, seed=3):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "x1": rng.gamma(2.0, 50.0, n),
        "x2": rng.normal(size=n),
        "region": rng.choice(["north", "south", "east"], n),
    })
    frame["spend"] = np.clip(frame["x1"] * (1 + 0.3 * frame["x2"]) + rng.normal(0, 20, n), 0, None)
    frame["is_default"] = (rng.random(n) < 1 / (1 + np.exp(2 - frame["x2"]))).astype(int)
    return frame


def _fit_both(frame, spec):
    gbm = purchasing_power.GBMSpendRegressor(features=spec, horizon_days=90, label_window_days=90,
                                             random_seed=42).fit(frame, frame["spend"])
    challenger = credit.CreditGBM(spec, random_seed=42).fit(frame, frame["is_default"])
    return gbm.predict(frame), challenger.decision_function(frame)


def test_gradient_boosting_does_not_depend_on_the_thread_count():
    frame = _frame()
    spec = select_features(frame.drop(columns=["spend", "is_default"]))
    with threadpool_limits(limits=1, user_api="openmp"):
        one = _fit_both(frame, spec)
    with threadpool_limits(limits=2, user_api="openmp"):
        two = _fit_both(frame, spec)
    for single, double in zip(one, two):
        np.testing.assert_array_equal(single, double)

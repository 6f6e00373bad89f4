"""What the models learn and predict must not depend on the machine: not on how many BLAS or
OpenMP threads the caller allows (tests run with one OpenMP thread, tests/conftest.py; a server
has dozens), not on the order SQL hands the rows over, not on which rows share a scoring batch.
Every comparison is exact, to the last bit."""

import threading

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_info, threadpool_limits

from shopper_scores.ml import credit, purchasing_power
from shopper_scores.ml.features import select_features
from shopper_scores.ml.threads import FIT_THREADS, fixed_threads

from .test_ml_credit import PARAMS as CREDIT_PARAMS
from .test_ml_credit import make_accounts
from .test_ml_purchasing_power import PARAMS as PP_PARAMS
from .test_ml_purchasing_power import make_training


def _frame(n=3000, seed=3):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "customer_id": [f"c{i:05d}" for i in range(n)],
        "x1": rng.gamma(2.0, 50.0, n),
        "x2": rng.normal(size=n),
        "x3": rng.normal(size=n),
        "region": rng.choice(["north", "south", "east"], n),
    })
    frame["spend"] = np.clip(frame["x1"] * (1 + 0.3 * frame["x2"]) + rng.normal(0, 20, n), 0, None)
    frame["is_default"] = (rng.random(n) < 1 / (1 + np.exp(2 - frame["x2"]))).astype(int)
    return frame


def _fit_all(frame, spec):
    common = {"features": spec, "horizon_days": 90, "label_window_days": 90, "random_seed": 42}
    gbm = purchasing_power.GBMSpendRegressor(**common).fit(frame, frame["spend"])
    linear = purchasing_power.LinearSpendRegressor(**common).fit(frame, frame["spend"])
    challenger = credit.CreditGBM(spec, random_seed=42).fit(frame, frame["is_default"])
    card = credit.make_model(credit.SCORECARD, spec, CREDIT_PARAMS).fit(frame, frame["is_default"])
    card.calibrate(frame, frame["is_default"])
    return [gbm.predict(frame), linear.predict(frame), challenger.decision_function(frame),
            card.predict_proba(frame)[:, 1]]


def _thread_counts():
    return {(pool["user_api"], pool["filepath"]): pool["num_threads"] for pool in threadpool_info()}


def test_every_estimator_ignores_the_callers_thread_count():
    frame = _frame(n=2000)
    spec = select_features(frame.drop(columns=["customer_id", "spend", "is_default"]))
    with threadpool_limits(limits=1):
        one = _fit_all(frame, spec)
    with threadpool_limits(limits=2):
        more = _fit_all(frame, spec)
    for single, multiple in zip(one, more):
        np.testing.assert_array_equal(single, multiple)


def test_fits_run_with_the_fixed_thread_count():
    with threadpool_limits(limits=2):
        outside = _thread_counts()
        with fixed_threads():
            assert set(_thread_counts().values()) == {FIT_THREADS}
            with fixed_threads():  # nested (a training run calls estimators that pin too)
                assert set(_thread_counts().values()) == {FIT_THREADS}
            assert set(_thread_counts().values()) == {FIT_THREADS}
        after = _thread_counts()
        # OpenMP's count (per thread) is the caller's again; BLAS's (per process) stays pinned.
        assert {k: v for k, v in after.items() if k[0] == "openmp"} == \
            {k: v for k, v in outside.items() if k[0] == "openmp"}
        assert {v for k, v in after.items() if k[0] == "blas"} == {FIT_THREADS}
    with threadpool_limits(limits=3):  # the caller can still set it
        assert {v for k, v in _thread_counts().items() if k[0] == "blas"} == {3}


def test_a_fit_leaving_on_one_thread_does_not_release_another_threads_blas_limit():
    # dbt runs two Python models in threads of one process; BLAS's thread count is process-wide.
    inside, leave, seen = threading.Event(), threading.Event(), {}

    def long_fit():
        with fixed_threads():
            inside.set()
            leave.wait(10)
            seen.update(_thread_counts())

    worker = threading.Thread(target=long_fit)
    worker.start()
    inside.wait(10)
    with fixed_threads():  # a short fit on this thread, in and out
        pass
    leave.set()
    worker.join(10)
    assert set(seen.values()) == {FIT_THREADS}


def test_a_rows_prediction_does_not_depend_on_the_rows_batched_with_it():
    # A BLAS matrix-vector product adds a row's terms in an order that depends on the row's place
    # in the batch; scoring batches are cut wherever the table's row order puts them. Measured:
    # with a few features no row moves, with some 40 that matter a row in 5,000 does.
    frame = _frame(n=5003)
    rng = np.random.default_rng(5)
    extra = rng.normal(size=(len(frame), 40))
    frame = pd.concat([frame, pd.DataFrame(extra, columns=[f"z_{j:02d}" for j in range(40)])], axis=1)
    frame["spend"] += 50 * np.abs(extra[:, :20]).sum(axis=1)
    frame["is_default"] = (rng.random(len(frame)) < 1 / (1 + np.exp(2 - extra[:, :10].sum(axis=1) / 2))).astype(int)
    spec = select_features(frame.drop(columns=["customer_id", "spend", "is_default"]))
    linear = purchasing_power.LinearSpendRegressor(features=spec, horizon_days=90, label_window_days=90,
                                                   random_seed=42).fit(frame, frame["spend"])
    card = credit.make_model(credit.SCORECARD, spec, CREDIT_PARAMS).fit(frame, frame["is_default"])
    card.calibrate(frame, frame["is_default"])
    order = np.random.default_rng(0).permutation(len(frame))
    shuffled = frame.iloc[order].reset_index(drop=True)
    for predict in (linear.predict, lambda rows: card.predict_proba(rows)[:, 1]):
        for cut in (1001, 2500):
            in_batches = np.concatenate([predict(shuffled.iloc[:cut]), predict(shuffled.iloc[cut:])])
            np.testing.assert_array_equal(in_batches, predict(frame)[order])


def _without_blobs(result):
    return result.to_frame().drop(columns=["model_blob"])


def test_training_does_not_depend_on_the_row_order():
    accounts = make_accounts(n=1000)
    shuffled = accounts.sample(frac=1.0, random_state=1).reset_index(drop=True)
    first, second = credit.fit_and_evaluate(accounts, CREDIT_PARAMS), credit.fit_and_evaluate(shuffled, CREDIT_PARAMS)
    pd.testing.assert_frame_equal(_without_blobs(first), _without_blobs(second), check_exact=True)
    scores = [credit.score(r.model_blob, accounts).set_index("customer_id") for r in (first, second)]
    pd.testing.assert_frame_equal(scores[0], scores[1], check_exact=True)

    training = make_training(n=150)
    shuffled = training.sample(frac=1.0, random_state=1).reset_index(drop=True)
    first, second = purchasing_power.fit_and_evaluate(training, PP_PARAMS), \
        purchasing_power.fit_and_evaluate(shuffled, PP_PARAMS)
    pd.testing.assert_frame_equal(_without_blobs(first), _without_blobs(second), check_exact=True)

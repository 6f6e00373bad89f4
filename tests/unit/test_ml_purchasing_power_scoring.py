"""purchasing_power.score: the CLV columns from a real fitted candidate, with and without the
interval and explainer attached, batch by batch equal to all at once, typed for DuckDB."""

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from shopper_scores.ml import purchasing_power as pp
from shopper_scores.ml.features import encode_blob, select_features
from shopper_scores.ml.purchasing_power.explain import DriverExplainer
from shopper_scores.ml.purchasing_power.intervals import SpendIntervalCalibrator
from shopper_scores.ml.purchasing_power.scoring import SCORE_COLUMNS
from shopper_scores.ml.scoring import score_in_batches

from .test_ml_purchasing_power_regression import HORIZON, LABEL_DAYS, make_frame

META = ["window_index", "cutoff_role", "label_window_days", "label_window_spend", "feature_date"]


@pytest.fixture(scope="module")
def data():
    train = make_frame(n=300, windows=(2, 3))
    validation = make_frame(n=300, windows=(1,), seed=5)
    scoring = make_frame(n=500, windows=(0,), seed=11).drop(columns=META)
    return train, validation, scoring


@pytest.fixture(scope="module")
def gbm(data):
    train, _, _ = data
    return pp.GBMSpendRegressor(features=select_features(train), horizon_days=HORIZON,
                                label_window_days=LABEL_DAYS, random_seed=42).fit(train, train["label_window_spend"])


@pytest.fixture(scope="module")
def complete(data, gbm):
    """The GBM with what the lead's training attaches: an interval fitted on the validation
    window's predictions and an explainer fitted on the training rows."""
    import copy

    train, validation, _ = data
    model = copy.deepcopy(gbm)
    actual = pp.horizon_scaled_spend(validation["label_window_spend"], LABEL_DAYS, HORIZON)
    model.interval_ = SpendIntervalCalibrator().fit(model.predict(validation), actual)
    model.explainer_ = DriverExplainer().fit(model, train)
    return model


def test_without_interval_or_explainer_those_columns_are_null(data, gbm):
    _, _, scoring = data
    assert not hasattr(gbm, "interval_") and not hasattr(gbm, "explainer_")
    scores = pp.score(encode_blob(gbm), scoring)
    assert list(scores.columns) == SCORE_COLUMNS
    assert scores["customer_id"].tolist() == scoring["customer_id"].tolist()
    np.testing.assert_array_equal(scores["predicted_spend"], gbm.predict(scoring))
    assert scores[["predicted_spend_p10", "predicted_spend_p90"]].isna().all().all()
    assert scores["top_drivers"].isna().all() and scores["top_drivers"].dtype == "string"
    # the BTYD decomposition is the champion's own fit
    btyd = gbm.btyd_model_.transform(scoring)
    np.testing.assert_array_equal(scores["expected_orders"], btyd["btyd_expected_orders"])
    np.testing.assert_array_equal(scores["p_alive"], btyd["btyd_p_alive"])
    np.testing.assert_array_equal(scores["expected_order_value"], btyd["btyd_expected_order_value"])
    assert scores["p_alive"].between(0, 1).all() and (scores["expected_orders"] >= 0).all()
    assert (scores["expected_order_value"] > 0).all()


def test_with_interval_and_explainer_every_column_is_filled(data, complete):
    _, _, scoring = data
    scores = pp.score(encode_blob(complete), scoring)
    lower, upper = scores["predicted_spend_p10"], scores["predicted_spend_p90"]
    assert lower.notna().all() and upper.notna().all()
    assert (lower >= 0).all() and (lower <= upper).all()
    # a higher prediction never gets a lower upper bound
    ordered = scores.sort_values("predicted_spend")
    assert ordered["predicted_spend_p90"].is_monotonic_increasing
    assert scores["top_drivers"].notna().all()
    expected = complete.explainer_.explain(complete, scoring)
    assert scores["top_drivers"].tolist() == expected.tolist()
    assert scores["top_drivers"].str.contains(r"\(typical [^)]+\): [+-]").mean() > 0.9


def test_a_model_without_btyd_gets_null_decomposition(data):
    train, _, scoring = data
    no_btyd = train.drop(columns=["days_since_first_order"])
    model = pp.LinearSpendRegressor(features=select_features(no_btyd), horizon_days=HORIZON,
                                    label_window_days=LABEL_DAYS, random_seed=42).fit(no_btyd, no_btyd["label_window_spend"])
    assert model.btyd_model_ is None
    scores = pp.score(encode_blob(model), scoring)
    assert scores[["expected_orders", "p_alive", "expected_order_value"]].isna().all().all()
    assert scores["predicted_spend"].notna().all()


def test_a_wrapper_is_read_on_the_wrapper_only(data, gbm):
    _, _, scoring = data
    blend = pp.BTYDBlendRegressor(gbm, prefit=True).fit(scoring, None)
    blend.btyd_model_ = gbm.btyd_model_  # what the lead's estimators guarantee on every candidate
    scores = pp.score(encode_blob(blend), scoring)
    np.testing.assert_array_equal(scores["predicted_spend"], blend.predict(scoring))
    assert scores["expected_orders"].notna().all()


def test_batches_equal_one_batch_and_the_empty_batch_is_typed(data, complete):
    _, _, scoring = data
    blob = encode_blob(complete)
    table = pa.Table.from_pandas(scoring, preserve_index=False)
    champion = pd.Series({"model_name": complete.model_name, "model_version": "abc"})
    batched = score_in_batches(table.to_batches(max_chunksize=130), lambda f: pp.score(blob, f), champion)
    whole = pp.score(blob, scoring)
    pd.testing.assert_frame_equal(batched[SCORE_COLUMNS], whole)
    empty = score_in_batches(pa.RecordBatchReader.from_batches(table.schema, []), lambda f: pp.score(blob, f),
                             champion)
    assert len(empty) == 0 and list(empty.columns) == [*SCORE_COLUMNS, "model_name", "model_version"]
    assert empty["top_drivers"].dtype == "string" and empty["p_alive"].dtype == "float64"


def test_duckdb_reads_missing_parts_as_typed_nulls(data, gbm):
    _, _, scoring = data
    scores = pp.score(encode_blob(gbm), scoring.iloc[:5])
    with duckdb.connect() as con:
        con.register("frame", scores)
        con.execute("create table scores as select * from frame")  # as dbt-duckdb stores a Python model
        types = dict(con.execute("select column_name, column_type from (describe scores)").fetchall())
        nulls = con.execute("select count(*) from scores where predicted_spend_p10 is null "
                            "and top_drivers is null").fetchall()[0][0]
    assert types["top_drivers"] == "VARCHAR" and types["predicted_spend_p90"] == "DOUBLE"
    assert nulls == 5

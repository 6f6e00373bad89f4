"""score_in_batches scores every batch and tags rows with the champion; final_champion finds it."""

import pandas as pd
import pyarrow as pa

from shopper_scores.ml.scoring import score_in_batches


def test_every_batch_is_scored_and_tagged():
    table = pa.table({"customer_id": [str(i) for i in range(10)], "x": list(range(10))})
    batches = table.to_batches(max_chunksize=3)
    assert len(batches) == 4
    seen = []

    def score(features):
        seen.append(len(features))
        return pd.DataFrame({"customer_id": features["customer_id"], "score": features["x"] * 2})

    champion = pd.Series({"model_name": "m", "model_version": "abc"})
    scores = score_in_batches(batches, score, champion)
    assert seen == [3, 3, 3, 1]
    assert scores["customer_id"].tolist() == [str(i) for i in range(10)]
    assert scores["score"].tolist() == [2 * i for i in range(10)]
    assert set(scores["model_name"]) == {"m"} and set(scores["model_version"]) == {"abc"}


def test_no_customers_gives_the_typed_empty_result():
    schema = pa.schema([("customer_id", pa.string()), ("x", pa.int64())])
    reader = pa.RecordBatchReader.from_batches(schema, [])

    def score(features):
        assert list(features.columns) == ["customer_id", "x"] and len(features) == 0
        return pd.DataFrame({"customer_id": features["customer_id"], "score": features["x"].astype("float64")})

    scores = score_in_batches(reader, score, pd.Series({"model_name": "m", "model_version": "abc"}))
    assert len(scores) == 0
    assert list(scores.columns) == ["customer_id", "score", "model_name", "model_version"]
    assert scores["score"].dtype == "float64"


def test_credit_scores_in_arrow_batches_equal_one_batch():
    from shopper_scores.ml import credit

    from .test_ml_credit import make_accounts

    accounts = make_accounts(400, seed=3)
    params = credit.CreditParams(random_seed=42, scaling=credit.ScoreScaling(600, 50, 20))
    blob = credit.fit_and_evaluate(accounts, params).model_blob
    features = accounts.drop(columns=["split", "is_default", "feature_date"])
    table = pa.Table.from_pandas(features, preserve_index=False)
    champion = pd.Series({"model_name": credit.SCORECARD, "model_version": "abc"})
    scores = score_in_batches(table.to_batches(max_chunksize=150), lambda f: credit.score(blob, f), champion)
    whole = credit.score(blob, features)
    pd.testing.assert_frame_equal(scores[credit.SCORE_COLUMNS], whole)
    empty = score_in_batches(pa.RecordBatchReader.from_batches(table.schema, []), lambda f: credit.score(blob, f),
                             champion)
    assert len(empty) == 0 and list(empty.columns) == [*credit.SCORE_COLUMNS, "model_name", "model_version"]


def test_final_champion_is_the_one_row_none_or_an_error():
    import pytest

    from shopper_scores.ml.scoring import final_champion

    one = pd.DataFrame({"model_name": ["m"], "model_blob": ["b"]})
    assert final_champion(one, "t")["model_blob"] == "b"
    assert final_champion(one.iloc[0:0], "t") is None
    with pytest.raises(ValueError, match="t holds more than one final champion row"):
        final_champion(pd.concat([one, one]), "t")

"""The scorecard as tables (credit.scorecard_tables) describes exactly what credit.score computes:
interval bounds, category groups, 'other' and 'missing' bins, integer points, the score scale;
reason values are the customer's own values."""

import numpy as np
import pandas as pd
import pytest

from shopper_scores.ml import credit

from .test_ml_credit import PARAMS, make_accounts


@pytest.fixture(scope="module")
def accounts():
    return make_accounts(seed=3)


@pytest.fixture(scope="module")
def blob(accounts):
    return credit.fit_and_evaluate(accounts, PARAMS).model_blob


@pytest.fixture(scope="module")
def tables(blob):
    return credit.scorecard_tables(blob)


def _table_bin(bins: pd.DataFrame, categories: pd.DataFrame, feature: str, value) -> int:
    """The bin the published tables give ``value`` -- the rule the SQL scorer applies."""
    rows = bins[bins.feature_name == feature]
    kind = rows.feature_type.iloc[0]
    missing = int(rows.loc[rows.bin_type == "missing", "bin_id"].iloc[0])
    if value is None or (not isinstance(value, str) and np.isnan(value)):
        return missing
    if kind == "categorical":
        match = categories[(categories.feature_name == feature) & (categories.category == value)]
        if len(match):
            return int(match.bin_id.iloc[0])
        return int(rows.loc[rows.bin_type == "other", "bin_id"].iloc[0])
    lower = rows.lower_bound.isna() | (value > rows.lower_bound)
    upper = rows.upper_bound.isna() | (value <= rows.upper_bound)
    hit = rows[(rows.bin_type == "interval") & lower & upper]
    assert len(hit) == 1, f"{feature}={value} falls in {len(hit)} bins"
    return int(hit.bin_id.iloc[0])


def test_tables_bin_every_value_as_the_scorecard_does(blob, tables, accounts):
    card = credit.load_scorecard(blob)
    probe = accounts.head(300).copy()
    probe.loc[probe.index[:5], "region"] = "never-seen"  # an unseen category
    probe.loc[probe.index[5:10], "utilisation"] = np.nan
    # values exactly on every edge: right-closed intervals
    edges = card.binnings_[[b.feature for b in card.binnings_].index("utilisation")].edges_
    probe.loc[probe.index[10:10 + len(edges)], "utilisation"] = edges
    bins = card.bin_indices(probe)
    for j, binning in enumerate(card.binnings_):
        values = probe[binning.feature].astype(object).where(probe[binning.feature].notna(), None).tolist()
        expected = [_table_bin(tables.bins, tables.categories, binning.feature,
                               v if binning.kind == "categorical" or v is None else float(v)) for v in values]
        assert bins[:, j].tolist() == expected, binning.feature
    assert (tables.bins.loc[tables.bins.bin_type == "other", "feature_type"] == "categorical").all()


def test_tables_hold_integer_points_and_the_score_scale(blob, tables, accounts):
    card = credit.load_scorecard(blob)
    assert tables.bins.points.dtype == np.int64 and tables.score_scale.credit_score.dtype == np.int64
    used = tables.bins[tables.bins.is_in_scorecard]
    assert set(used.feature_name) == {b.feature for b, c in zip(card.binnings_, card.coef_) if c != 0}
    assert (tables.bins.loc[~tables.bins.is_in_scorecard, "points"] == 0).all()
    # the score is base points plus the table's points of each bin; PD is the scale's row
    scored = credit.score(blob, accounts)
    bins = card.bin_indices(accounts)
    total = np.full(len(accounts), int(tables.score_scale.base_points.iloc[0]))
    for j, binning in enumerate(card.binnings_):
        points = tables.bins[tables.bins.feature_name == binning.feature].sort_values("bin_id").points.to_numpy()
        total += points[bins[:, j]]
    np.testing.assert_array_equal(total, scored.credit_score.to_numpy())
    scale = tables.score_scale.set_index("credit_score").probability_of_default
    np.testing.assert_array_equal(scale.loc[total].to_numpy(), scored.probability_of_default.to_numpy())
    low, high = card.score_range_
    assert tables.score_scale.credit_score.tolist() == list(range(low, high + 1))
    # IV terms add up to the feature's IV
    by_feature = tables.bins.groupby("feature_name")
    np.testing.assert_allclose(by_feature.iv_contribution.sum(), by_feature.feature_iv.first())


def test_a_score_outside_the_scale_is_an_error(blob):
    card = credit.load_scorecard(blob)
    low, high = card.score_range_
    with pytest.raises(ValueError, match="outside the scorecard's range"):
        card.pd_from_score([high + 1])
    assert card.pd_from_score([low, high]).tolist() == sorted(card.pd_from_score([low, high]).tolist(), reverse=True)


def test_reason_values_are_the_customers_values(blob, accounts):
    scored = credit.score(blob, accounts)
    by_id = accounts.set_index("customer_id")
    checked = 0
    for k in range(1, credit.MAX_REASONS + 1):
        for customer, code, value in zip(scored.customer_id, scored[f"reason_code_{k}"], scored[f"reason_value_{k}"]):
            if code is None:
                assert value is None
                continue
            feature, _, missing = code.partition(":")
            raw = by_id.at[customer, feature]
            if missing:
                assert value is None and pd.isna(raw)
            elif isinstance(raw, str):
                assert value == raw
            else:
                assert float(value) == pytest.approx(float(raw), rel=1e-5)
            checked += 1
    assert checked > len(accounts)  # most customers get several reasons


def test_no_model_gives_typed_empty_tables():
    for name in ("bins", "categories", "score_scale"):
        frame = credit.champion_scorecard_table(None, name)
        assert len(frame) == 0 and {"model_name", "model_version"} <= set(frame.columns)
    with pytest.raises(ValueError, match="unknown scorecard table"):
        credit.champion_scorecard_table(None, "points")

"""The scorecard's fitting under the sign rule (selection.py) and the categorical binning of
issue 10: the bounded fit is the constrained optimum, keeps every point on its bin's side, and
is the plain logistic regression where no bound is active; rare but well-measured categories
keep their own bad rate."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from shopper_scores.ml import credit
from shopper_scores.ml.credit.binning import _merge_small_ordered
from shopper_scores.ml.credit.selection import (
    fit_sign_bounded_logit,
    fit_sign_dropped_logit,
    fit_signed_logit,
)
from shopper_scores.ml.features import FeatureSpec

SCALING = credit.ScoreScaling(base_score=600, base_odds=50, points_to_double_odds=20)


def objective(X, y, coef, intercept, C=1.0):
    """scikit-learn's L2 logistic objective, the one both policies minimise."""
    z = X @ coef + intercept
    return 0.5 * coef @ coef + C * np.logaddexp(0.0, -(2 * y - 1) * z).sum()


def correlated_woe(n=4000, seed=0):
    """Three 'WOE-like' columns (higher = safer): a strong one, a noisy near-copy of it (whose
    coefficient turns positive next to it: it corrects the copy's noise), and an independent one."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    copy = a + 0.3 * rng.normal(size=n)
    other = rng.normal(size=n)
    logit = -1.0 - 1.5 * a + 0.6 * copy - 0.5 * other  # the copy pulls the wrong way given a
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    return np.column_stack([a, copy, other]), y


def test_bounded_fit_is_the_plain_logistic_regression_when_no_bound_is_active():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 3))
    y = (rng.random(3000) < 1 / (1 + np.exp(-(-0.5 - X @ [1.0, 0.5, 0.2])))).astype(float)
    lr = LogisticRegression(C=0.7, max_iter=1000, tol=1e-10).fit(X, y.astype(int))
    assert (lr.coef_ < 0).all()
    coef, intercept = fit_sign_bounded_logit(X, y, C=0.7)
    np.testing.assert_allclose(coef, lr.coef_[0], atol=1e-5)
    assert intercept == pytest.approx(lr.intercept_[0], abs=1e-5)


def test_bounded_fit_keeps_every_coefficient_nonpositive_and_beats_dropping():
    X, y = correlated_woe()
    free = LogisticRegression(max_iter=1000).fit(X, y.astype(int)).coef_[0]
    assert free[1] > 0  # the case the sign rule exists for
    coef, intercept = fit_sign_bounded_logit(X, y)
    assert (coef <= 0).all() and coef[1] == 0.0 and coef[0] < 0 and coef[2] < 0
    dropped, dropped_intercept = fit_sign_dropped_logit(X, y)
    assert (dropped <= 0).all() and dropped[1] == 0.0
    # the greedy drop is a feasible point of the bounded problem: the bound can only do better
    assert objective(X, y, coef, intercept) <= objective(X, y, dropped, dropped_intercept) + 1e-6
    # and it is optimal: moving any coefficient into the feasible side costs
    base = objective(X, y, coef, intercept)
    for j in range(3):
        step = np.zeros(3)
        step[j] = -1e-3
        assert objective(X, y, coef + step, intercept) >= base - 1e-6
    again = fit_sign_bounded_logit(X, y)
    np.testing.assert_array_equal(again[0], coef)
    assert again[1] == intercept


def test_dropping_everything_leaves_no_intercept_and_unknown_policies_raise():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, 1))
    y = (rng.random(500) < 1 / (1 + np.exp(-2 * x[:, 0]))).astype(float)  # wrong sign only
    coef, intercept = fit_sign_dropped_logit(x, y)
    assert coef.tolist() == [0.0] and np.isnan(intercept)
    bounded, b = fit_sign_bounded_logit(x, y)
    assert bounded.tolist() == [0.0] and b == pytest.approx(np.log(y.mean() / (1 - y.mean())), abs=1e-3)
    with pytest.raises(ValueError, match="sign policy"):
        fit_signed_logit(x, y, "flip")


def scorecard_frame(n=3000, seed=3):
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    frame = pd.DataFrame({
        "late_months": np.clip(np.round(risk + rng.normal(scale=0.3, size=n) + 1), 0, 6),
        "late_months_copy": np.clip(np.round(risk + rng.normal(scale=0.3, size=n) + 1), 0, 6),
        "balance": rng.gamma(2.0, 500.0, size=n),
    })
    logit = -1.2 + 0.9 * risk + 0.0004 * frame["balance"]
    frame["is_default"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


@pytest.mark.parametrize("policy", ["bound", "drop"])
def test_every_scorecard_point_follows_its_bins_risk(policy):
    frame = scorecard_frame()
    spec = FeatureSpec(["balance", "late_months", "late_months_copy"], [])
    params = credit.ScorecardParams(sign_policy=policy)
    card = credit.CreditScorecard(spec, scaling=SCALING, params=params).fit(frame, frame["is_default"])
    card.calibrate(frame, frame["is_default"])
    assert (card.coef_ <= 0).all() and (card.coef_ < 0).sum() >= 2
    for binning, coef in zip(card.binnings_, card.coef_):
        if coef == 0:
            continue
        # points = -factor * platt_b * coef * woe: higher WOE (safer bin) -> more points, and a
        # bin safer than average (WOE > 0) never costs points
        points = -SCALING.factor * card.platt_[1] * coef * binning.woe_
        assert np.all(np.sign(points) == np.sign(np.round(binning.woe_, 12)))


def test_merge_small_ordered_is_contiguous_and_hand_checked():
    # sizes 50, 5, 30, 5, 5, 200 with a minimum of 40: the smallest (leftmost) joins its smaller
    # neighbour: 5+30, then 5+5 (the right 5 is smaller than 35), then 10 joins 35
    groups = _merge_small_ordered(np.array([50, 5, 30, 5, 5, 200]), 40)
    assert groups.tolist() == [0, 1, 1, 1, 1, 2]
    sizes = np.bincount(groups, weights=[50, 5, 30, 5, 5, 200])
    assert (sizes >= 40).all()
    assert _merge_small_ordered(np.array([3, 4]), 40).tolist() == [0, 0]  # one group at least
    assert _merge_small_ordered(np.array([]), 40).tolist() == []


def test_rare_but_well_measured_categories_keep_their_own_rate():
    # 19,660 rows (minimum share 5 % = 983 rows): 'w' and 'x' hold 300 rows each, below the
    # minimum share but well measured, with opposite risks (2 % and 80 %); 'y' (60 rows) is too
    # rare for either rule; the rest are large.
    rng = np.random.default_rng(4)
    sizes = {"a": 9000, "b": 5000, "c": 5000, "w": 300, "x": 300, "y": 60}
    rates = {"a": 0.1, "b": 0.2, "c": 0.3, "w": 0.02, "x": 0.8, "y": 0.5}
    cats = np.concatenate([[c] * k for c, k in sizes.items()]).astype(object)
    y = np.concatenate([rng.random(k) < rates[c] for c, k in sizes.items()]).astype(float)
    kept = credit.FeatureBinning("c", "categorical", min_category_rows=100).fit(cats, y)
    assert kept.categories_ == ["a", "b", "c", "w", "x"]
    other = kept.n_bins_ - 2
    bins = kept.transform(np.array(["w", "a", "x", "c", "y", "unseen"], dtype=object))
    assert bins[4] == other and bins[5] == other
    # each joins its neighbour by rate: 'w' the safest bin, 'x' the riskiest
    assert bins[0] == bins[1] and kept.woe_[bins[0]] == kept.woe_[:other].max()
    assert bins[2] == bins[3] and kept.woe_[bins[2]] == kept.woe_[:other].min()
    assert (kept.n_rows_[:other] >= 0.05 * len(cats)).all()
    pooled = credit.FeatureBinning("c", "categorical", min_category_rows=10**9).fit(cats, y)
    assert pooled.categories_ == ["a", "b", "c"]
    assert pooled.transform(np.array(["w", "x"], dtype=object)).tolist() == [pooled.n_bins_ - 2] * 2
    # pooling the two opposite risks together loses information that keeping them retains
    assert kept.information_value_ > pooled.information_value_


def test_small_kept_categories_below_the_minimum_share_together_go_to_other():
    # mostly missing: the two observed categories (150 rows each) are kept by count, but together
    # they hold 3 % of the rows, below the minimum share, so no bin may hold them alone
    cats = np.array(["(missing)"] * 9700 + ["p"] * 150 + ["q"] * 150, dtype=object)
    y = np.r_[np.zeros(9700), np.ones(150), np.zeros(150)]
    binning = credit.FeatureBinning("c", "categorical", min_category_rows=100).fit(cats, y)
    assert binning.categories_ == [] and binning.n_bins_ == 2

"""Regression pin of the BTYD growth path (label window L = 30 days < horizon H = 90).

The demo shop trains with L = H, so its tables do not exercise the path where a candidate learns
the spend over L and grows its forecast to H by the BG/NBD ratio. The values below were produced
by the code before the labels were scaled in one place (SQL rescaled the label by H / L, Python
undid it); the refactored package must reproduce them to floating-point noise.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from shopper_scores.ml import purchasing_power as pp

AS_OF = dt.date(2024, 6, 30)
HORIZON, LABEL_DAYS = 90, 30
# This frame's BG/NBD optimum lies on a flat ridge (no visible dropout: a, b -> infinity), and
# where Nelder-Mead stops along it depends on the last bits of the CPU's vector sums: on an
# AVX-512 machine the recorded values were met to 2e-8 (metrics) and 1.1e-4 (the blend's final
# total). A refactoring error moves these numbers by far more than 1e-3.
RTOL = 1e-3


def make_frame(n: int = 200, windows=(1, 2, 3, 4), seed: int = 3, label_days: int = LABEL_DAYS) -> pd.DataFrame:
    """Customers x label windows with BTYD inputs; the spend over each window is zero-heavy, with refunds."""
    rng = np.random.default_rng(seed)
    frames = []
    roles = {1: "test", 2: "validation"}
    for w in windows:
        tenure = rng.integers(30, 1200, n).astype(float)
        rate = rng.gamma(1.2, 0.02, n)  # orders per day
        orders = rng.poisson(rate * tenure).astype(float)
        recency = np.where(orders > 0, rng.uniform(0, 1, n) * tenure, np.nan)
        value = rng.gamma(3.0, 20.0, n)
        region = rng.choice(np.array(["north", "south", "east", None], dtype=object), n)
        effect = pd.Series(region).map({"north": 1.5, "south": 0.7, "east": 1.0}).fillna(1.0).to_numpy()
        alive = np.where(np.isnan(recency), 0.2, np.exp(-np.nan_to_num(recency) / 300))
        mu = rate * label_days * value * effect * alive
        spend = np.where(rng.random(n) < 0.5, 0.0, rng.gamma(2.0, mu / 2.0 + 1e-9) * 2.0)
        spend = np.where(rng.random(n) < 0.05, -rng.gamma(2.0, 10.0, n), spend)
        frames.append(pd.DataFrame({
            "customer_id": [f"c{i:04d}" for i in range(n)],
            "feature_date": pd.Timestamp(AS_OF - dt.timedelta(days=label_days * w)),
            "window_index": w,
            "cutoff_role": roles.get(w, "training"),
            "label_window_days": label_days,
            "label_window_spend": np.round(spend, 2),
            "net_spend_lifetime": orders * value * rng.lognormal(0, 0.2, n),
            "tenure_days": tenure,
            "days_since_first_order": np.where(orders > 0, tenure, np.nan),
            "recency_days": recency,
            "orders_lifetime": orders,
            "region": pd.Series(region, dtype="str"),
            "age_band": rng.choice(["18-25", "26-40", "41+"], n),
            "gender": rng.choice(["f", "m"], n),
        }))
    return pd.concat(frames, ignore_index=True)


# Produced by the code before the refactoring (commit 49cec35, the label rescaled by H / L as SQL did):
EXPECTED_CHAMPION = 'purchasing_power_linear'
# (model, stage) -> (mae, rmse, mean_prediction)
EXPECTED_METRICS = {
    ('purchasing_power_gbm', 'validation'): (67.17952809548676, 161.70252705101186, 40.03352190188638),
    ('purchasing_power_linear', 'validation'): (85.23294397240078, 153.35924517958145, 80.88511374951112),
    ('purchasing_power_gbm_btyd_blend', 'validation'): (73.70455164281739, 159.19433866289785, 43.85904071735221),
    ('purchasing_power_naive', 'validation'): (116.62266347693192, 186.67630015938832, 121.05370958599414),
    ('purchasing_power_mean', 'validation'): (93.37534200000002, 167.3848710188532, 67.59967500000002),
    ('purchasing_power_gbm', 'test'): (96.9211765354234, 220.1065096646253, 57.75003870258008),
    ('purchasing_power_linear', 'test'): (123.27426508838049, 233.97820694413224, 101.70283283841509),
    ('purchasing_power_gbm_btyd_blend', 'test'): (99.93409276309987, 228.91660118941715, 51.6337159140554),
    ('purchasing_power_naive', 'test'): (163.58736565819476, 337.1721454772755, 160.13788029171437),
    ('purchasing_power_mean', 'test'): (112.87239, 245.71092026725736, 72.73215000000002),
}
# candidate -> (sum, first three) of the final refit's predictions on make_frame(150, (0,), seed=11)
EXPECTED_FINAL = {
    'purchasing_power_gbm': (6272.585616237845, [27.821577413113054, 11.013708546371442, 11.211734923474374]),
    'purchasing_power_linear': (11187.93999912471, [252.8564526815174, 0.0, 70.00701541392172]),
    'purchasing_power_gbm_btyd_blend': (8321.48536090621, [107.19751047349249, 10.455366966171065, 5.606065174358086]),
}


@pytest.fixture(scope="module")
def run():
    params = pp.PurchasingPowerParams(as_of_date=AS_OF, horizon_days=HORIZON, label_window_days=LABEL_DAYS,
                                      n_train_windows=2, random_seed=42)
    result = pp.fit_and_evaluate(make_frame(), params)
    return result, result.to_frame()


def test_the_path_under_test_grows_by_btyd(run):
    result, frame = run
    final = frame[frame.stage == "final"].set_index("model_name")
    for name in (pp.GBM, pp.LINEAR):
        model = pp.load_model(final.loc[name, "model_blob"])
        assert model.grows_by_btyd_ and model.btyd_model_ is not None


def test_metrics_match_the_code_before_the_refactoring(run):
    result, frame = run
    assert result.champion == EXPECTED_CHAMPION
    for (name, stage), expected in EXPECTED_METRICS.items():
        row = frame[(frame.model_name == name) & (frame.stage == stage)].iloc[0]
        np.testing.assert_allclose([row.mae, row.rmse, row.mean_prediction], expected, rtol=RTOL, err_msg=f"{name} {stage}")


def test_final_predictions_match_the_code_before_the_refactoring(run):
    _, frame = run
    scoring = make_frame(n=150, windows=(0,), seed=11)
    for name, (total, first) in EXPECTED_FINAL.items():
        blob = frame[(frame.model_name == name) & (frame.stage == "final")].model_blob.iloc[0]
        prediction = pp.score(blob, scoring).predicted_spend.to_numpy()
        np.testing.assert_allclose(prediction.sum(), total, rtol=RTOL, err_msg=name)
        np.testing.assert_allclose(prediction[:3], first, rtol=RTOL, err_msg=name)

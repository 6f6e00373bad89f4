"""The pure parts of the rolling-origin backtest (bench/purchasing_power_backtest.py) on small synthetic
data, without dbt: the vectorised bootstrap metrics agree with shopper_scores.ml.metrics on the
materialised resamples, the verdicts say win / not worse / loss when they should, the BG/NBD fallback
chain records what it used, the RFM peer uses nothing on or after the cut-off, and protocols outside
the data stop with a clear message. Tests that need a peer library skip in the project's .venv
(lifetimes and lightgbm live in .venv-bench only)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeRegressor

from shopper_scores.ml.metrics import regression_metrics

from .conftest import PROJECT_DIR


def _bench():
    """bench/ is not a package: load the script from its file (registered first, as dataclasses need)."""
    name = "purchasing_power_backtest"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PROJECT_DIR / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bt = _bench()
CUTOFF = dt.date(2021, 7, 1)


def _transactions(customers: int = 300, seed: int = 3, start: str = "2021-01-01",
                  end: str = "2021-12-31") -> pd.DataFrame:
    """Purchases of customers with their own rate and order value over a year, plus a few refunds:
    enough repeat buyers for every BTYD fit."""
    rng = np.random.default_rng(seed)
    begin, stop = pd.Timestamp(start), pd.Timestamp(end)
    span = (stop - begin).days
    rows = []
    for c in range(customers):
        first = int(rng.integers(0, span // 3))
        rate = rng.gamma(1.0, 1 / 25)
        value = rng.gamma(2.0, 20.0)
        day = first
        while day < span:
            rows.append((f"c{c:04d}", begin + pd.Timedelta(days=day, hours=int(rng.integers(0, 24))),
                         float(rng.gamma(4.0, value / 4.0))))
            if rng.random() < 0.05:
                rows.append((f"c{c:04d}", begin + pd.Timedelta(days=day + 2), -float(rng.gamma(2.0, 5.0))))
            if rng.random() < 0.01:  # drop out
                break
            day += 1 + int(rng.exponential(1 / max(rate, 1e-3)))
    return pd.DataFrame(rows, columns=["customer_id", "date", "spend"]).sort_values("date", ignore_index=True)


# --------------------------------------------------------------------------- bootstrap


def _zero_heavy(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.6, 0.0, np.round(rng.gamma(1.5, 40.0, n), 0))


def test_vectorised_bootstrap_metrics_equal_the_metrics_on_the_materialised_resample():
    y = _zero_heavy(400, 1)
    rng = np.random.default_rng(2)
    # ties in the prediction too (rounded), and a constant stretch
    p = np.round(np.clip(y * 0.5 + rng.normal(0, 20, y.size), 0, None), -1)
    counts = next(bt.bootstrap_counts(y.size, 7, seed=5, chunk=7))
    assert counts.shape == (7, y.size) and np.all(counts.sum(axis=1) == y.size)
    drawn = bt.weighted_metric_draws(y, p, counts)
    for b in range(counts.shape[0]):
        rows = np.repeat(np.arange(y.size), counts[b].astype(int))
        expected = regression_metrics(y[rows], p[rows])
        for metric in bt.REPORTED:
            assert drawn[metric][b] == pytest.approx(expected[metric], rel=1e-9, abs=1e-12), (metric, b)


def test_the_draws_are_the_same_for_every_method_and_reproducible():
    a = list(bt.bootstrap_counts(50, 23, seed=9, chunk=10))
    b = list(bt.bootstrap_counts(50, 23, seed=9, chunk=10))
    assert [c.shape[0] for c in a] == [10, 10, 3]
    assert all(np.array_equal(x, z) for x, z in zip(a, b))
    assert not np.array_equal(a[0], next(bt.bootstrap_counts(50, 10, seed=10)))


def test_verdict_logic_on_intervals():
    assert bt.verdict(0.01, 0.2) == "win"
    assert bt.verdict(-0.01, 0.2) == "not worse"
    assert bt.verdict(0.0, 0.0) == "not worse"
    assert bt.verdict(-0.3, -0.01) == "loss"
    assert bt.verdict(float("nan"), 1.0) == "n/a"
    # RMSE is lower-better: the advantage is peer - champion
    assert bt.advantage("rmse", 1.0, 3.0) == 2.0
    assert bt.advantage("spearman", 0.5, 0.2) == pytest.approx(0.3)


def test_the_bootstrap_says_win_for_a_clearly_better_method_not_worse_for_an_identical_one_and_loss_for_a_worse_one():
    y = _zero_heavy(2000, 4)
    rng = np.random.default_rng(5)
    good = np.clip(y + rng.normal(0, 10, y.size), 0, None)
    noise = rng.gamma(1.0, 30.0, y.size)  # unrelated to y
    predictions = {"champ": good, "same": good.copy(), "worse": noise}
    draws = bt.bootstrap_draws(y, predictions, draws=200, seed=1)
    point = {k: bt.method_metrics(y, v) for k, v in predictions.items()}

    cells = {(c.peer, c.metric): c for c in bt.compare("p", "champ", point, draws, ["same", "worse"], False)}
    for metric in bt.MUST_WIN:
        assert cells["worse", metric].verdict == "win", cells["worse", metric]
        same = cells["same", metric]
        assert same.verdict == "not worse" and same.low <= 0 <= same.high, same
    # the other way round: the unrelated prediction as champion loses every cell to the good one
    flipped = bt.compare("p", "worse", point, draws, ["champ"], False)
    assert [c.verdict for c in flipped] == ["loss"] * len(bt.MUST_WIN)


def test_a_baseline_like_champion_wins_no_cell():
    y = _zero_heavy(500, 6)
    predictions = {"purchasing_power_naive": y + 1.0, "peer": np.random.default_rng(0).gamma(1.0, 30.0, y.size)}
    draws = bt.bootstrap_draws(y, predictions, draws=100, seed=2)
    point = {k: bt.method_metrics(y, v) for k, v in predictions.items()}
    cells = bt.compare("p", "purchasing_power_naive", point, draws, ["peer"], True)
    assert {c.verdict for c in cells} == {"win"}
    assert {c.counted for c in cells} == {"not worse"}
    assert bt.is_baseline_like("purchasing_power_naive")
    assert bt.is_baseline_like("purchasing_power_btyd")
    assert bt.is_baseline_like("purchasing_power_btyd_expected_spend")
    assert not bt.is_baseline_like("purchasing_power_gbm_btyd_blend")
    assert not bt.is_baseline_like("purchasing_power_gbm")


def test_summary_counts_goal_cells_and_the_median_level():
    protocol = bt.Protocol("cdnow", CUTOFF, 90)

    def result(verdicts, ratio, baseline_like=False):
        cells = [bt.Cell("p", peer, metric, "m", 0, 0, 0, 0, 0, v, v, peer in bt.GOAL_PEERS)
                 for (peer, metric), v in zip([(p, m) for p in bt.PEERS for m in bt.MUST_WIN], verdicts)]
        return bt.ProtocolResult(protocol, 1, 1, 1, "m", "m", baseline_like, ["m"], {"m": {"sum_ratio": ratio}},
                                 {}, "", [], "", 10, 0.0, cells, 1.0)

    lgb_losses = ["loss"] * 4  # LightGBM cells never count
    a = result(["win"] * 7 + ["not worse"] + lgb_losses, 0.8)
    b = result(["win"] * 6 + ["loss", "not worse"] + lgb_losses, 1.0)
    c = result(["win"] * 8 + lgb_losses, 1.2)
    s = bt.summarise([a, b, c])
    assert (s.won, s.not_worse, s.lost) == (21, 2, 1)
    assert s.fraction_won == pytest.approx(21 / 24)
    assert s.median_sum_ratio == pytest.approx(1.0)
    assert not s.goal_met  # one loss
    assert bt.summarise([a, c]).goal_met


# --------------------------------------------------------------------------- BG/NBD x GG fallback chain


def test_the_fallback_chain_records_the_project_fit_when_lifetimes_fails(monkeypatch):
    tx = _transactions()
    calibration = tx[tx["date"] < pd.Timestamp(CUTOFF)]
    population = pd.Index(calibration["customer_id"].unique())
    tried = []

    class ConvergenceError(ValueError):
        pass

    def failing(summary, horizon, penalizer):
        tried.append(penalizer)
        raise ConvergenceError("The model did not converge. Try adding a larger penalizer")

    monkeypatch.setattr(bt, "lifetimes_bgnbd_gg", failing)
    fit = bt.robust_bgnbd_gg(calibration, population, CUTOFF, 90)
    assert tried == [0.0, 1e-3, 1e-2]
    assert fit.fit_used.startswith("fallback: shopper_scores.ml.btyd")
    assert len(fit.failures) == 3 and all("ConvergenceError" in f for f in fit.failures)
    assert "penalizer_coef=0.001" in fit.failures[1]
    assert fit.prediction.index.equals(population)
    assert np.all(np.isfinite(fit.prediction)) and fit.prediction.sum() > 0


def test_the_fallback_chain_stops_at_the_first_lifetimes_fit_that_works(monkeypatch):
    tx = _transactions()
    calibration = tx[tx["date"] < pd.Timestamp(CUTOFF)]
    population = pd.Index(calibration["customer_id"].unique())

    def second_works(summary, horizon, penalizer):
        if penalizer == 0.0:
            raise RuntimeError("no convergence")
        if penalizer == 1e-3:
            return pd.Series(np.nan, index=summary.index)  # NaN predictions are a failure too
        return pd.Series(1.0, index=summary.index)

    monkeypatch.setattr(bt, "lifetimes_bgnbd_gg", second_works)
    fit = bt.robust_bgnbd_gg(calibration, population, CUTOFF, 90)
    assert fit.fit_used.endswith("penalizer_coef=0.01")
    assert len(fit.failures) == 2 and "FloatingPointError" in fit.failures[1]
    assert (fit.prediction == 1.0).all()


def test_the_fallback_chain_reports_when_nothing_fits(monkeypatch):
    tx = _transactions(customers=5)
    calibration = tx[tx["date"] < pd.Timestamp(CUTOFF)]
    monkeypatch.setattr(bt, "lifetimes_bgnbd_gg", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    fit = bt.robust_bgnbd_gg(calibration, pd.Index(calibration["customer_id"].unique()), CUTOFF, 90)
    assert fit.prediction is None and fit.fit_used.startswith("no fit")
    assert "shopper_scores.ml.btyd" in fit.failures[-1] and "too few repeat buyers" in fit.failures[-1]


def test_lifetimes_fit_runs_where_lifetimes_is_installed():
    pytest.importorskip("lifetimes")
    tx = _transactions()
    calibration = tx[tx["date"] < pd.Timestamp(CUTOFF)]
    fit = bt.robust_bgnbd_gg(calibration, pd.Index(calibration["customer_id"].unique()), CUTOFF, 90)
    assert fit.prediction is not None and np.all(np.isfinite(fit.prediction))
    assert fit.fit_used.startswith("lifetimes") or fit.fit_used.startswith("fallback")


# --------------------------------------------------------------------------- RFM peer: no leakage


class _Recorder:
    """A regressor that keeps what it was trained on (a deterministic tree underneath)."""

    fitted: list = []

    def __init__(self, seed: int):
        self.tree = DecisionTreeRegressor(max_depth=4, random_state=seed)

    def fit(self, X, y):
        _Recorder.fitted.append((X.copy(), y.copy()))
        self.tree.fit(np.nan_to_num(X, nan=-1.0), y)
        return self

    def predict(self, X):
        return self.tree.predict(np.nan_to_num(X, nan=-1.0))


def _peer(tx: pd.DataFrame, horizon: int = 60, make=_Recorder):
    population = bt.default_holdout(tx, CUTOFF, horizon).index
    _Recorder.fitted = []
    prediction, split = bt.rfm_peer(tx, CUTOFF, horizon, population, bt.default_holdout, make, seed=0)
    return prediction, split, _Recorder.fitted


def _mutate(tx: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Rows in [start, end) multiplied by 50 and a large purchase for every tenth customer at ``start``
    exactly: what any use of those rows would see."""
    inside = (tx["date"] >= start) & ((tx["date"] < end) if end is not None else True)
    out = tx.copy()
    out.loc[inside, "spend"] *= 50
    extra = pd.DataFrame({"customer_id": tx["customer_id"].unique()[::10], "date": start, "spend": 5000.0})
    return pd.concat([out, extra], ignore_index=True)


def test_rfm_features_use_nothing_on_or_after_their_date():
    tx = _transactions()
    as_of = pd.Timestamp(CUTOFF)
    customers = pd.Index(tx["customer_id"].unique())
    changed = _mutate(tx, as_of)
    assert bt.rfm_features(tx, as_of, customers).equals(bt.rfm_features(changed, as_of, customers))
    # the change is visible to features taken one day later: the test would catch a leak
    later = as_of + pd.Timedelta(days=1)
    assert not bt.rfm_features(tx, later, customers).equals(bt.rfm_features(changed, later, customers))


@pytest.mark.parametrize(("horizon", "label_days"), [(60, 60), (180, 90)])  # 181 days of history
def test_the_rfm_peer_is_blind_to_the_holdout_and_learns_its_label_from_the_inner_window(horizon, label_days):
    tx = _transactions()
    cut = pd.Timestamp(CUTOFF)
    base, split, [(X, y)] = _peer(tx, horizon)
    assert split.label_days == label_days and split.inner_cutoff == cut - pd.Timedelta(days=label_days)

    # anything on or after the cut-off: identical training data and predictions
    after, _, [(X2, y2)] = _peer(_mutate(tx, cut), horizon)
    assert np.array_equal(X, X2, equal_nan=True) and np.array_equal(y, y2)
    pd.testing.assert_series_equal(base, after)

    # the inner window [c', cut-off) feeds the label only, never the training features
    inner, _, [(X3, y3)] = _peer(_mutate(tx, split.inner_cutoff, cut), horizon)
    assert np.array_equal(X, X3, equal_nan=True)
    assert not np.array_equal(y, y3)
    assert not base.equals(inner)

    # the label is the spend over [c', cut-off) of the customers known at c', scaled to H
    known = tx.loc[tx["date"] < split.inner_cutoff, "customer_id"].unique()
    window = tx[(tx["date"] >= split.inner_cutoff) & (tx["date"] < cut)]
    expected = window.groupby("customer_id")["spend"].sum().reindex(pd.Index(known, name="customer_id"), fill_value=0)
    assert np.allclose(np.sort(y), np.sort(expected.to_numpy() * horizon / label_days))


def test_a_short_history_trains_on_half_of_it_and_scales_the_label_to_the_horizon():
    split = bt.inner_split(pd.Timestamp("2021-05-01 10:00"), CUTOFF, 180)
    assert split.label_days == 30 and split.scale == pytest.approx(6.0)
    assert split.inner_cutoff == pd.Timestamp("2021-06-01")
    assert "half the history" in split.describe()
    assert bt.inner_split(pd.Timestamp("2021-01-01"), CUTOFF, 90).describe().startswith("trained at c' = cut-off - H")
    with pytest.raises(bt.ProtocolError):
        bt.inner_split(pd.Timestamp("2021-06-30 12:00"), CUTOFF, 90)


def test_lightgbm_peer_is_deterministic_and_blind_to_the_holdout():
    pytest.importorskip("lightgbm")
    tx = _transactions()
    population = bt.default_holdout(tx, CUTOFF, 60).index
    first, _ = bt.rfm_peer(tx, CUTOFF, 60, population)
    again, _ = bt.rfm_peer(tx, CUTOFF, 60, population)
    leaked, _ = bt.rfm_peer(_mutate(tx, pd.Timestamp(CUTOFF)), CUTOFF, 60, population)
    pd.testing.assert_series_equal(first, again)
    pd.testing.assert_series_equal(first, leaked)
    assert first.index.equals(population) and (first >= 0).all() and first.std() > 0


# --------------------------------------------------------------------------- protocol range


FIRST, LAST = pd.Timestamp("1997-01-01"), pd.Timestamp("1998-06-30")


def test_range_check_accepts_protocols_inside_the_data_and_the_whole_grid():
    bt.check_protocol_range(bt.Protocol("cdnow", dt.date(1998, 4, 1), 91), FIRST, LAST)  # ends 06-30 inclusive
    ranges = {"cdnow": (FIRST, LAST),
              "online_retail": (pd.Timestamp("2010-12-01 08:26"), pd.Timestamp("2011-12-09 12:50"))}
    for protocol in bt.GRID:
        bt.check_protocol_range(protocol, *ranges[protocol.dataset])
    assert len(bt.GRID) == 8


@pytest.mark.parametrize(("as_of", "horizon", "message"), [
    ("1998-04-02", 91, "runs past the data's last day 1998-06-30: the longest horizon at this as-of is 90 days"),
    ("1998-06-01", 90, "the latest as-of for 90 days is 1998-04-02"),
    ("1998-08-01", 30, "the as-of lies after the data"),
    ("1997-01-10", 30, "leaves 9 days of history"),
    ("1996-12-01", 30, "leaves 0 days of history"),
    ("1997-10-01", 0, "--horizon-days must be at least 1"),
])
def test_range_check_stops_with_a_clear_message(as_of, horizon, message):
    with pytest.raises(bt.ProtocolError, match=message.replace("(", r"\(")):
        bt.check_protocol_range(bt.Protocol("cdnow", dt.date.fromisoformat(as_of), horizon), FIRST, LAST)


def test_the_command_line_checks_the_range_before_building(monkeypatch, capsys):
    tx = _transactions()
    fake = bt.Dataset("cdnow", lambda: tx, lambda out, cut: pytest.fail("must not write raw data"), bt.default_holdout)
    monkeypatch.setattr(bt, "_datasets", lambda: {"cdnow": fake})
    assert bt.main(["--dataset", "cdnow", "--as-of", "2021-12-01", "--horizon-days", "90"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cdnow: the holdout [2021-12-01, 2022-03-01) runs past") and "Traceback" not in err
    for bad in (["--dataset", "cdnow", "--as-of", "2021-07-01"], ["--grid", "--as-of", "2021-07-01"],
                ["--dataset", "cdnow", "--as-of", "July", "--horizon-days", "9"]):
        with pytest.raises(SystemExit) as stop:
            bt.main(bad)
        assert stop.value.code == 2


def test_save_dir_writes_the_report_and_every_cell(monkeypatch, tmp_path, capsys):
    """The one-command re-run: the printed report, the JSON and the CSV of cells, named by commit."""
    import json

    tx = _transactions()
    fake = bt.Dataset("cdnow", lambda: tx, lambda out, cut: {}, bt.default_holdout)
    monkeypatch.setattr(bt, "_datasets", lambda: {"cdnow": fake})
    monkeypatch.setattr(bt, "header", lambda: {"commit": "abc1234", "machine": "m", "python": "3", "date": "d",
                                               "OMP_NUM_THREADS": "1", "versions": {}})

    def fake_run(protocol, dataset, work, draws, seed):
        y = _zero_heavy(300, 1)
        predictions = {"purchasing_power_gbm": y + 1.0, bt.NAIVE: y * 0 + y.mean(), bt.BGNBD: y[::-1].copy(),
                       bt.LIGHTGBM: y * 0.5}
        point = {k: bt.method_metrics(y, v) for k, v in predictions.items()}
        draws_ = bt.bootstrap_draws(y, predictions, draws, seed)
        cells = bt.compare(protocol.name, "purchasing_power_gbm", point, draws_, bt.PEERS, False)
        print(f"report of {protocol.name}")
        return bt.ProtocolResult(protocol, 300, float(y.sum()), 1, "purchasing_power_gbm", "gbm", False,
                                 ["purchasing_power_gbm"], point, {}, "fit", [], "split", draws, 0.0, cells, 1.0)

    monkeypatch.setattr(bt, "run_protocol", fake_run)
    code = bt.main(["--dataset", "cdnow", "--as-of", "2021-07-01", "--horizon-days", "90", "--bootstrap", "20",
                    "--save-dir", str(tmp_path), "--work", str(tmp_path / "work")])
    assert code == 0
    stem = tmp_path / "backtest_cdnow_2021-07-01_h90_abc1234"
    report = stem.with_suffix(".md").read_text()
    assert "report of cdnow as-of 2021-07-01 H=90" in report and "## Summary" in report
    assert report in capsys.readouterr().out.replace(f"wrote {stem.with_suffix('.md')}\n", "")
    payload = json.loads(stem.with_suffix(".json").read_text())
    summary = payload["summary"]
    # the constant naive prediction has no Spearman: one undefined cell, written as null, never a win
    assert summary["won"] + summary["not_worse"] + summary["lost"] + summary["undefined"] == 8
    assert summary["undefined"] == 1 and summary["goal_met"] is False
    spearman = [c for c in payload["protocols"][0]["cells"] if c["peer"] == bt.NAIVE and c["metric"] == "spearman"]
    assert spearman[0]["peer_value"] is None and spearman[0]["verdict"] == "n/a"
    assert len(payload["protocols"][0]["cells"]) == 12
    assert len(stem.with_suffix(".csv").read_text().strip().splitlines()) == 1 + 12

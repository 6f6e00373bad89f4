"""Purchasing power on real public data: the project's models vs. BG/NBD x Gamma-Gamma and naive.

    bash bench/run_purchasing_power.sh [cdnow] [online_retail]

For each dataset: the adapter writes the raw layout with only the rows before the cut-off (the
pipeline never sees the holdout), `dbt build` runs the unchanged project with as_of_date = the
cut-off and horizon_days = H, and the final refits of both project candidates (the champion and
the other, as stored in ml.ml_purchasing_power_training) score the population's features as of
the cut-off. The peers are fitted on the same calibration transactions. Every method is scored
once against the same holdout truth. Prints markdown tables; run by hand and paste into
docs/benchmarks.md with the machine it ran on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
import warnings
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd

from shopper_scores.adapters import cdnow, online_retail
from shopper_scores.dbt_runner import run_dbt
from shopper_scores.ml import purchasing_power
from shopper_scores.ml.metrics import regression_metrics, top_decile_capture

METRICS = ["mae", "rmse", "spearman", "normalised_gini", "top_decile_capture"]


@dataclass
class Protocol:
    """One dataset's split: calibration before ``cutoff``, holdout [cutoff, cutoff + horizon_days)."""

    name: str
    cutoff: dt.date
    horizon_days: int
    # load() gives one row per purchase or refund: customer_id, date, spend (negative = refund)
    load: Callable[[], pd.DataFrame]
    # write_raw(out_dir, cutoff) writes the raw layout of everything dated before the cut-off
    write_raw: Callable[[Path, dt.date], dict]
    holdout: Callable[[pd.DataFrame, dt.date, int], pd.Series]


PROTOCOLS = {
    "cdnow": Protocol("cdnow", cdnow.CALIBRATION_END + dt.timedelta(days=1), cdnow.HOLDOUT_DAYS,
                      cdnow.read_transactions,
                      lambda out, cut: cdnow.to_raw_layout(cdnow.read_transactions(), out, cut),
                      cdnow.holdout_spend),
    "online_retail": Protocol("online_retail", online_retail.AS_OF_DATE, online_retail.HORIZON_DAYS,
                              online_retail.read_transactions,
                              lambda out, cut: online_retail.to_raw_layout(online_retail.read_lines(), out, cut),
                              online_retail.holdout_spend),
}


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


# --------------------------------------------------------------------------- peers


def naive_rate(calibration: pd.DataFrame, population: pd.Index, cutoff: dt.date, horizon: int) -> pd.Series:
    """Calibration net spend per day of the calibration period (first day of data to the cut-off),
    times the horizon, floored at 0 (the reference's naive row; the project's own naive baseline,
    per day of each customer's tenure, is in the inner-split table)."""
    period_days = max((pd.Timestamp(cutoff) - calibration["date"].min().normalize()).days, 1)
    spend = calibration.groupby("customer_id")["spend"].sum()
    return (spend / period_days * horizon).clip(lower=0).reindex(population, fill_value=0.0)


def bgnbd_gamma_gamma(calibration: pd.DataFrame, population: pd.Index, cutoff: dt.date, horizon: int,
                      penalizer: float) -> tuple[pd.Series, str]:
    """lifetimes BetaGeoFitter x GammaGammaFitter on daily purchases before the cut-off.

    Net spend is summed per customer and day (lifetimes' convention); a day is a purchase day
    unless its net spend is negative (a refund-only day). Monetary values are the mean of repeat
    purchase days with positive spend (Gamma-Gamma needs > 0). Customers without a repeat
    purchase get Gamma-Gamma's population mean; customers without a purchase day get 0.
    """
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    daily = calibration.assign(day=calibration["date"].dt.normalize()).groupby(["customer_id", "day"], as_index=False)["spend"].sum()
    daily = daily[daily["spend"] >= 0]
    end = pd.Timestamp(cutoff) - pd.Timedelta(days=1)
    first = daily.groupby("customer_id")["day"].min()
    last = daily.groupby("customer_id")["day"].max()
    purchases = daily.groupby("customer_id").size()
    first_day_spend = daily.sort_values("day").groupby("customer_id")["spend"].first()
    repeat_spend = daily.groupby("customer_id")["spend"].sum() - first_day_spend
    summary = pd.DataFrame({
        "frequency": purchases - 1,
        "recency": (last - first).dt.days,
        "T": (end - first).dt.days,
    })
    summary["monetary_value"] = np.where(summary["frequency"] > 0, repeat_spend / summary["frequency"].clip(lower=1), 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bgf = BetaGeoFitter(penalizer_coef=penalizer).fit(summary["frequency"], summary["recency"], summary["T"])
        repeaters = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
        ggf = GammaGammaFitter(penalizer_coef=penalizer).fit(repeaters["frequency"], repeaters["monetary_value"])
        expected_purchases = bgf.conditional_expected_number_of_purchases_up_to_time(
            horizon, summary["frequency"], summary["recency"], summary["T"])
        spend_frequency = summary["frequency"].where(summary["monetary_value"] > 0, 0)
        expected_value = ggf.conditional_expected_average_profit(spend_frequency, summary["monetary_value"].clip(lower=0))
    prediction = (expected_purchases * expected_value).clip(lower=0).fillna(0.0)
    how = f"lifetimes {version('Lifetimes')} maximum likelihood, penalizer_coef={penalizer}"
    return prediction.reindex(population, fill_value=0.0), how


# --------------------------------------------------------------------------- project


def project_predictions(warehouse: Path) -> tuple[dict[str, pd.Series], pd.DataFrame]:
    """Each candidate's final refit scored on the features as of the cut-off (window 0)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        finals = con.sql("select model_name, is_champion, model_blob from ml.ml_purchasing_power_training "
                         "where stage = 'final'").df()
        features = con.sql("select * from main.user_features").df()
        metrics = con.sql("select model_name, split, is_champion, mae, rmse, spearman, normalised_gini, "
                          "top_decile_capture from main.model_metrics_wide where model_family = 'purchasing_power' "
                          "and split in ('validation', 'test') order by split desc, model_name").df()
    predictions = {}
    for row in finals.itertuples():
        scored = purchasing_power.score(row.model_blob, features)
        label = f"project {row.model_name.removeprefix('purchasing_power_')}" + (" (champion)" if row.is_champion else "")
        predictions[label] = scored.set_index("customer_id")["predicted_spend"]
    return predictions, metrics


def run(protocol: Protocol, work: Path, penalizer: float) -> None:
    print(f"\n## {protocol.name}: cut-off {protocol.cutoff}, horizon {protocol.horizon_days} days")
    transactions = protocol.load()
    calibration = transactions[transactions["date"] < pd.Timestamp(protocol.cutoff)]
    truth = protocol.holdout(transactions, protocol.cutoff, protocol.horizon_days)
    population = truth.index
    print(f"population: {len(population):,} customers with a purchase before the cut-off; "
          f"holdout spend total {truth.sum():,.2f}, {int((truth != 0).sum()):,} customers with non-zero holdout spend")

    raw, warehouse = work / protocol.name / "raw", work / protocol.name / "warehouse.duckdb"
    written = protocol.write_raw(raw, protocol.cutoff)
    print("raw rows written: " + ", ".join(f"{k} {v:,}" for k, v in written.items()))
    _, build_s = _timed(lambda: run_dbt(
        ["build"], warehouse=warehouse, raw_dir=raw, work_dir=work / protocol.name,
        extra_vars={"as_of_date": protocol.cutoff.isoformat(), "horizon_days": protocol.horizon_days},
    ))
    (project, inner_metrics), score_s = _timed(lambda: project_predictions(warehouse))

    rows = []
    for label, prediction in project.items():
        missing = population.difference(prediction.index)
        if len(missing):
            print(f"warning: {label} has no score for {len(missing):,} population customers (counted as 0)")
        rows.append((label, prediction.reindex(population, fill_value=0.0), build_s + score_s))
    (bg, how), bg_s = _timed(lambda: bgnbd_gamma_gamma(calibration, population, protocol.cutoff,
                                                      protocol.horizon_days, penalizer))
    rows.append(("BG/NBD x Gamma-Gamma", bg, bg_s))
    naive, naive_s = _timed(lambda: naive_rate(calibration, population, protocol.cutoff, protocol.horizon_days))
    rows.append(("naive (calibration spend rate x horizon)", naive, naive_s))

    print(f"BG/NBD x GG: {how}. Project wall time = the whole `dbt build` (cleaning, features, "
          f"fitting and choosing both candidates, scoring) plus re-scoring both refits.")
    # Σ predicted / Σ actual: MAE rewards forecasting too little on a zero-heavy target, so the
    # level of each forecast is shown beside it.
    print("\n| method | MAE | RMSE | Spearman | normalised Gini | top-10 % capture | Σ predicted / Σ actual | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for label, prediction, seconds in rows:
        m = regression_metrics(truth.to_numpy(), prediction.to_numpy())
        print(f"| {label} | {m['mae']:.2f} | {m['rmse']:.2f} | {m['spearman']:.3f} | {m['normalised_gini']:.3f} "
              f"| {m['top_decile_capture']:.3f} | {prediction.sum() / truth.sum():.2f} | {seconds:.1f} |")
    print(f"\nbest possible top-10 % capture: {top_decile_capture(truth.to_numpy(), truth.to_numpy()):.3f}")
    print("\nproject's own inner time splits (before the cut-off; the champion was chosen on 'validation'):")
    print(inner_metrics.to_string(index=False, float_format="{:.3f}".format))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", help=f"any of {', '.join(PROTOCOLS)} (default: all)")
    parser.add_argument("--work", type=Path, default=None, help="scratch directory (default: a temp dir)")
    parser.add_argument("--penalizer", type=float, default=0.0, help="lifetimes penalizer_coef (default 0)")
    args = parser.parse_args()
    unknown = set(args.datasets) - set(PROTOCOLS)
    if unknown:
        parser.error(f"unknown dataset(s) {', '.join(sorted(unknown))}; choose from {', '.join(PROTOCOLS)}")
    work = args.work or Path(tempfile.mkdtemp(prefix="shopper_scores_pp_bench_"))
    print(f"machine: {platform.machine()} {platform.system()}, {os.cpu_count()} cores, python {platform.python_version()}; "
          f"date {dt.date.today()}; dbt-core {version('dbt-core')}, duckdb {version('duckdb')}, "
          f"scikit-learn {version('scikit-learn')}, lifetimes {version('Lifetimes')}")
    for name in args.datasets or PROTOCOLS:
        run(PROTOCOLS[name], work, args.penalizer)


if __name__ == "__main__":
    main()

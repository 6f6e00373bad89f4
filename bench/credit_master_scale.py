"""The credit master scale (seeds/credit_grades.csv) on Taiwan and German credit: grade shares and
observed default rates of out-of-fold PDs, and which score-to-PD map the scorecard chose.

    source scripts/_env.sh && python bench/credit_master_scale.py
    python bench/credit_master_scale.py --datasets taiwan --edges 0.03 0.05 0.08 0.13 0.2 0.32

The PDs are out of fold: stratified 5-fold CV (shuffle, seed 42, as bench/credit_cv.py), each fold
scored by the project scorecard fitted with ``shopper_scores.ml.credit.fit_model`` on the other
four folds (raw + behavioural features on Taiwan, the product's exclusions: no age). Each account
is graded by the master scale's fixed PD bands exactly as ``credit_scores`` grades customers
(``min_pd <= PD < max_pd_exclusive``). ``--edges`` grades by other band edges instead (to compare
candidate scales; the seed is what the product uses). Needs only the project's .venv.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # shared 2-core machine

import argparse  # noqa: E402
import string  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from shopper_scores.adapters import credit_datasets as cd  # noqa: E402
from shopper_scores.ml import credit  # noqa: E402

SEED = 42
N_FOLDS = 5
SCALING = credit.ScoreScaling(base_score=600, base_odds=50, points_to_double_odds=20)  # dbt_project.yml
SEED_FILE = Path(__file__).resolve().parents[1] / "seeds" / "credit_grades.csv"


def master_scale(edges: list[float] | None) -> pd.DataFrame:
    """The seed's bands, or bands A, B, ... between ``edges`` (0 and 1 added)."""
    if edges is None:
        return pd.read_csv(SEED_FILE).sort_values("min_pd").reset_index(drop=True)
    bounds = [0.0, *sorted(edges), 1.0]
    return pd.DataFrame({"grade": list(string.ascii_uppercase[: len(bounds) - 1]),
                         "min_pd": bounds[:-1], "max_pd_exclusive": bounds[1:]})


def out_of_fold_pd(frame: pd.DataFrame, params: credit.CreditParams) -> tuple[np.ndarray, Counter]:
    y = frame["is_default"].to_numpy()
    pd_oof = np.empty(len(frame))
    methods: Counter = Counter()
    folds = StratifiedKFold(n_splits=N_FOLDS, shuffle=True, random_state=SEED)
    for train_idx, test_idx in folds.split(frame, y):
        model = credit.fit_model(credit.SCORECARD, frame.iloc[train_idx].reset_index(drop=True), params)
        methods[model.calibration_method_] += 1
        pd_oof[test_idx] = model.predict_proba(frame.iloc[test_idx].reset_index(drop=True))[:, 1]
    return pd_oof, methods


def grade_table(y: np.ndarray, p: np.ndarray, scale: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for band in scale.itertuples():
        inside = (p >= band.min_pd) & (p < band.max_pd_exclusive)
        n = int(inside.sum())
        rows.append({
            "grade": band.grade, "PD band": f"{band.min_pd:.1%} – {band.max_pd_exclusive:.1%}",
            "accounts": n, "share": f"{n / len(p):.1%}",
            "mean PD": f"{p[inside].mean():.1%}" if n else "",
            "observed default rate": f"{y[inside].mean():.1%}" if n else "",
        })
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["taiwan", "german"], choices=["taiwan", "german"])
    parser.add_argument("--edges", nargs="+", type=float, help="inner PD band edges instead of the seed's")
    args = parser.parse_args()
    scale = master_scale(args.edges)
    for dataset in args.datasets:
        if dataset == "taiwan":
            frame, excluded = cd.load_taiwan_credit(behavioural=True), cd.PRODUCT_EXCLUDED["taiwan_credit"]
        else:
            frame, excluded = cd.load_german_credit(), cd.PRODUCT_EXCLUDED["german_credit"]
        params = credit.CreditParams(random_seed=SEED, scaling=SCALING, excluded_features=excluded)
        p, methods = out_of_fold_pd(frame, params)
        y = frame["is_default"].to_numpy()
        print(f"\n{dataset} (n={len(frame)}, default rate {y.mean():.3f}); out-of-fold PD quantiles "
              f"1/10/25/50/75/90/99 %: {', '.join(f'{q:.3f}' for q in np.quantile(p, [.01, .1, .25, .5, .75, .9, .99]))}")
        print(f"score-to-PD map chosen per fold: {dict(methods)}")
        table = grade_table(y, p, scale)
        try:
            print(table.to_markdown(index=False))
        except ImportError:
            print(table.to_string(index=False))


if __name__ == "__main__":
    main()

"""Credit benchmarks: the project's credit models vs. peer libraries, stratified 5-fold CV.

    bash bench/run_credit.sh            # = source bench/_env.sh && python bench/credit_cv.py
    python bench/credit_cv.py --datasets german --methods project_scorecard optbinning

Datasets (read in place from $SHOPPER_SCORES_SHARED_DATA, see shopper_scores.adapters.credit_datasets):
German credit (1,000 applications) and Taiwan credit-card default (30,000 accounts; raw columns, and
raw + the behavioural features built from the repayment history). Neither has dates, so stratified
5-fold cross-validation (seed 42) replaces the product's out-of-time split.

Every method sees only the training fold: the project models are fitted (binning, WOE, feature
selection, logistic regression / GBM, Platt calibration) through shopper_scores.ml.credit.fit_model,
the function every stage of the dbt model's fit_and_evaluate uses; peers are fitted with their
defaults. Metrics (the project's classification_metrics) are computed on the held-out fold only.
Peer libraries (optbinning, lightgbm) are benchmark-only: they live in .venv-bench, never in the
project's requirements.
"""

from __future__ import annotations

import os

# One thread for every method: the benchmark machine is shared (2 cores), and OpenMP thread pools
# (scikit-learn's histogram GBM, LightGBM) spin badly when another process holds a core.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from importlib.metadata import version  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from shopper_scores.adapters import credit_datasets as cd  # noqa: E402
from shopper_scores.ml import credit  # noqa: E402
from shopper_scores.ml.features import select_features  # noqa: E402
from shopper_scores.ml.metrics import classification_metrics  # noqa: E402

SEED = 42
# The product's score scale (dbt_project.yml); the benchmark compares probabilities, not points.
SCALING = credit.ScoreScaling(base_score=600, base_odds=50, points_to_double_odds=20)
N_FOLDS = 5
METRICS = ("auc", "ks", "gini", "brier")
PEER_LIBRARIES = ("optbinning", "lightgbm")
LIBRARIES = ("numpy", "pandas", "scikit-learn", *PEER_LIBRARIES)


# --------------------------------------------------------------------------- methods
# Each method: (train frame, held-out frame, numeric features, categorical features, params: a
# credit.CreditParams) -> probability of default for the held-out rows.


def project_model(name: str):
    def fit_predict(train, test, numeric, categorical, params):
        model = credit.fit_model(name, train[["is_default", *numeric, *categorical]], params)
        return model.predict_proba(test)[:, 1]
    return fit_predict


def optbinning_scorecard(train, test, numeric, categorical, params):
    from optbinning import BinningProcess, Scorecard

    features = numeric + categorical
    process = BinningProcess(variable_names=features, categorical_variables=categorical or None)
    card = Scorecard(binning_process=process, estimator=LogisticRegression())
    card.fit(train[features], train["is_default"].to_numpy())
    return card.predict_proba(test[features])[:, 1]


def sklearn_logistic(train, test, numeric, categorical, params):
    encode = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric),
        ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
    ])
    model = make_pipeline(encode, LogisticRegression(max_iter=2000))
    model.fit(train[numeric + categorical], train["is_default"].to_numpy())
    return model.predict_proba(test[numeric + categorical])[:, 1]


def lightgbm_default(train, test, numeric, categorical, params):
    from lightgbm import LGBMClassifier

    def frame(part):
        out = part[numeric + categorical].copy()
        for name in categorical:
            out[name] = pd.Categorical(out[name], categories=sorted(train[name].dropna().unique()))
        return out

    model = LGBMClassifier(random_state=SEED, n_jobs=1, verbose=-1)
    model.fit(frame(train), train["is_default"].to_numpy())
    return model.predict_proba(frame(test))[:, 1]


METHODS = {
    "project_scorecard": project_model(credit.SCORECARD),
    "project_gbm": project_model(credit.GBM),
    "optbinning": optbinning_scorecard,
    "sklearn_logistic": sklearn_logistic,
    "lightgbm": lightgbm_default,
}


# --------------------------------------------------------------------------- runs


def feature_sets(dataset: str) -> list[tuple[str, pd.DataFrame, tuple[str, ...]]]:
    """(label, frame, columns the run leaves out) per dataset; features are chosen by the
    project's own select_features, so meta columns and protected attributes never reach a peer."""
    if dataset == "german":
        frame = cd.load_german_credit()
        return [("all attributes", frame, ())]
    frame = cd.load_taiwan_credit(behavioural=True)
    behavioural = tuple(cd.taiwan_behavioural_features(frame.head(1)).columns)
    return [("raw", frame, behavioural), ("raw+behavioural", frame, ())]


def cross_validate(method: str, frame: pd.DataFrame, left_out: tuple[str, ...],
                   params: credit.CreditParams) -> dict:
    spec = select_features(frame, excluded=[*left_out, *params.excluded_features])
    y = frame["is_default"].to_numpy()
    folds = StratifiedKFold(n_splits=N_FOLDS, shuffle=True, random_state=SEED)
    scores = {m: [] for m in METRICS}
    start = time.perf_counter()
    for train_idx, test_idx in folds.split(frame, y):
        train = frame.iloc[train_idx].reset_index(drop=True)
        test = frame.iloc[test_idx].reset_index(drop=True)
        p = METHODS[method](train, test, spec.numeric, spec.categorical, params)
        metrics = classification_metrics(test["is_default"].to_numpy(dtype=float), p)
        for m in METRICS:
            scores[m].append(metrics[m])
    return {"seconds": time.perf_counter() - start, "n_features": len(spec.names), **scores}


def print_header() -> None:
    print(f"machine: {platform.machine()} {platform.system()} {platform.release()}, "
          f"{os.cpu_count()} cpus, python {platform.python_version()}")
    print("versions: " + ", ".join(f"{lib} {version(lib)}" for lib in LIBRARIES))
    print(f"protocol: stratified {N_FOLDS}-fold CV, shuffle, random_state={SEED}; "
          "metrics on the held-out fold; mean ± std (ddof=1) over folds; seconds = fit+predict, all folds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["german", "taiwan"], choices=["german", "taiwan"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--product-exclusions", action="store_true",
                        help="also run the project scorecard without age (the product's default exclusions)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    print_header()
    for dataset in args.datasets:
        rows = []
        for label, frame, left_out in feature_sets(dataset):
            defaults = credit.CreditParams(random_seed=SEED, scaling=SCALING)
            runs = [(m, defaults) for m in args.methods]
            if args.product_exclusions and "project_scorecard" in args.methods:
                key = "german_credit" if dataset == "german" else "taiwan_credit"
                runs.append(("project_scorecard", credit.CreditParams(
                    random_seed=SEED, scaling=SCALING, excluded_features=cd.PRODUCT_EXCLUDED[key])))
            for method, params in runs:
                res = cross_validate(method, frame, left_out, params)
                excluded = params.excluded_features
                row = {"method": method + (f" (no {', '.join(excluded)})" if excluded else ""),
                       "features": f"{label} ({res['n_features']})"}
                for m in METRICS:
                    row[m] = f"{np.mean(res[m]):.3f} ± {np.std(res[m], ddof=1):.3f}"
                row["seconds"] = f"{res['seconds']:.1f}"
                rows.append(row)
                print(f"  done {dataset} / {label} / {row['method']}: auc {row['auc']}", flush=True)
        table = pd.DataFrame(rows)
        print(f"\n{dataset} (n={len(frame)}, default rate {frame['is_default'].mean():.3f})")
        print(table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False))
        print()


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()

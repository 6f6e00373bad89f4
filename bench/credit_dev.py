"""Development of the credit scorecard: variants compared on DEVELOPMENT folds only.

    source bench/_env.sh && python bench/credit_dev.py                 # the adoption path, both datasets
    python bench/credit_dev.py --datasets taiwan --variants v4 v4_drop --taiwan-repeats 2 --peers optbinning

The folds here use ``credit_cv.DEV_SEED`` (never the fresh seed of the final comparison, which
this script refuses): German 5 x 5-fold, Taiwan (raw+behavioural) ``--taiwan-repeats`` x 5-fold.
Every variant gets the product's feature policy (no age). Printed per dataset: AUC and Brier mean
over the folds and the paired AUC / Brier difference against the first variant listed, with its
sd over folds. A variant is a change of the scorecard's parameters (the package's own switches)
and of the Taiwan columns it sees: ``v3`` is the model before issue 10 (old defaults, without the
six Taiwan features added in issue 10), ``v4`` the current defaults and adapter. ``unconstrained``
is a diagnostic only (no sign rule: points may contradict their bins' risk) showing what the rule
costs; ``cand_*`` are candidate Taiwan features that were tried and not adopted.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import credit_cv as cv  # noqa: E402

from shopper_scores.ml import credit  # noqa: E402

# The Taiwan behavioural features issue 10 added (adapter); v3 ran without them.
ISSUE10_TAIWAN = ("bill_growth_1", "credit_headroom_1", "unpaid_bill_1", "state_x_utilisation",
                  "worst_status_x_utilisation", "limit_x_utilisation")
# v3's scorecard defaults; min_category_rows this high = the minimum share alone decides.
V3 = dict(sign_policy="drop", max_features=20, min_information_value=0.02, min_category_rows=10**9)


@dataclasses.dataclass(frozen=True)
class Variant:
    changes: dict  # ScorecardParams / CreditParams fields
    new_features: bool = True  # the Taiwan features of ISSUE10_TAIWAN
    candidates: str | None = None  # extra candidate Taiwan features (candidate_features)
    fit_predict: object = None  # a diagnostic's own fit


def with_changes(base: credit.CreditParams, changes: dict) -> credit.CreditParams:
    card_fields = {f.name for f in dataclasses.fields(credit.ScorecardParams)}
    card = {k: v for k, v in changes.items() if k in card_fields}
    top = {k: v for k, v in changes.items() if k not in card_fields}
    return dataclasses.replace(base, scorecard=dataclasses.replace(base.scorecard, **card), **top)


def unconstrained_fit_predict(train, test, numeric, categorical, params):
    """Diagnostic: the scorecard's binning and WOE, every feature, no sign rule (sklearn LR)."""
    from sklearn.linear_model import LogisticRegression

    model = credit.fit_model(credit.SCORECARD, train[["is_default", *numeric, *categorical]], params)
    lr = LogisticRegression(C=params.scorecard.logit_C, max_iter=params.scorecard.max_iter)
    lr.fit(model._woe(model.bin_indices(train)), train["is_default"].to_numpy(dtype=int))
    p = lr.predict_proba(model._woe(model.bin_indices(test)))[:, 1]
    return p, {"signs_ok": bool((lr.coef_ <= 0).all()), "n_used": int((lr.coef_ != 0).sum())}


def candidate_features(frame: pd.DataFrame, which: str) -> pd.DataFrame:
    """Row-wise Taiwan feature candidates that were tried and not adopted."""
    status = frame[[f"repayment_status_{k}" for k in range(1, 7)]].to_numpy(dtype=float)
    bill = frame[[f"bill_amount_{k}" for k in range(1, 7)]].to_numpy(dtype=float)
    paid = frame[[f"payment_amount_{k}" for k in range(1, 7)]].to_numpy(dtype=float)
    limit = frame["credit_limit"].to_numpy(dtype=float)
    late = status >= 1
    out = {}
    if which == "sums":  # total months of delay over the statements
        out["delay_sum_6m"] = np.clip(status, 0, None).sum(axis=1)
        out["delay_sum_3m"] = np.clip(status[:, :3], 0, None).sum(axis=1)
    elif which == "recency":  # months since the latest late month
        out["months_since_late"] = np.where(late.any(axis=1), late.argmax(axis=1) + 1.0, np.nan)
    elif which == "transition":  # state of month 1 after month 2
        s1, s2 = (np.clip(status[:, k], -2, 3).astype(int) for k in (0, 1))
        out["state_transition"] = np.array([f"{a}<{b}" for a, b in zip(s1, s2)], dtype=object)
        out["status_change_1"] = status[:, 0] - status[:, 1]
    elif which == "patterns":  # the history as a word
        letters = np.array(list("NPRLM"))
        code = np.clip(status, -2, 2).astype(int) + 2
        out["status_pattern_3m"] = np.array(["".join(r) for r in letters[code[:, :3]]], dtype=object)
        out["late_pattern_6m"] = np.array(["".join("L" if v else "-" for v in r) for r in late], dtype=object)
    elif which == "amounts2":  # more amount contrasts
        with np.errstate(divide="ignore", invalid="ignore"):
            out["bill_growth_2"] = np.where(bill[:, 2] > 0, bill[:, 1] / np.where(bill[:, 2] > 0, bill[:, 2], 1), np.nan)
            out["payment_growth_1"] = np.where(paid[:, 1] > 0, paid[:, 0] / np.where(paid[:, 1] > 0, paid[:, 1], 1),
                                               np.nan)
        out["headroom_min_6m"] = (limit[:, None] - bill).min(axis=1)
        out["unpaid_2"] = bill[:, 2] - paid[:, 1]
        out["unpaid_sum_5m"] = (bill[:, 1:] - paid[:, :5]).sum(axis=1)
    elif which == "state_x_payratio":  # current state x payment-ratio band
        with np.errstate(divide="ignore", invalid="ignore"):
            pay = np.where(bill[:, 1] > 0, paid[:, 0] / np.where(bill[:, 1] > 0, bill[:, 1], 1), np.nan)
        band = np.where(np.isnan(pay), -1, np.digitize(np.nan_to_num(pay), [0.02, 0.1, 0.5, 1.0]))
        state = np.clip(status[:, 0], -2, 2).astype(int)
        out["state_x_payratio"] = np.array([f"{a}|{b}" for a, b in zip(state, band)], dtype=object)
    else:
        raise ValueError(f"unknown candidate set {which!r}")
    return pd.DataFrame(out, index=frame.index)


V4 = {}  # the current defaults
VARIANTS = {
    # the adoption path, one change at a time
    "v3": Variant(V3, new_features=False),
    "bound": Variant({**V3, "sign_policy": "bound"}, new_features=False),
    "bound_all": Variant({**V3, "sign_policy": "bound", "max_features": 100}, new_features=False),
    "bound_all_iv0": Variant({**V3, "sign_policy": "bound", "max_features": 100, "min_information_value": 0.0},
                             new_features=False),
    "cat100": Variant({**V3, "sign_policy": "bound", "max_features": 100, "min_information_value": 0.0,
                       "min_category_rows": 100}, new_features=False),
    "v4": Variant(V4),
    # alternatives at v4
    "v4_drop": Variant({"sign_policy": "drop"}),
    "v4_top20": Variant({"max_features": 20}),
    "v4_iv002": Variant({"min_information_value": 0.02}),
    "v4_cat_share": Variant({"min_category_rows": 10**9}),
    "v4_bins10": Variant({"n_bins": 10}),
    "v4_share02_pre50": Variant({"min_bin_share": 0.02, "max_prebins": 50}),
    "v4_C0.1": Variant({"logit_C": 0.1}),
    "v4_smooth2": Variant({"woe_smoothing": 2.0}),
    "unconstrained": Variant(V4, fit_predict=unconstrained_fit_predict),
    **{f"cand_{w}": Variant(V4, candidates=w)
       for w in ("sums", "recency", "transition", "patterns", "amounts2", "state_x_payratio")},
}
DEFAULT_VARIANTS = ["v3", "bound", "bound_all", "bound_all_iv0", "cat100", "v4"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["german", "taiwan"], choices=["german", "taiwan"])
    parser.add_argument("--variants", nargs="+", default=DEFAULT_VARIANTS, choices=list(VARIANTS))
    parser.add_argument("--peers", nargs="*", default=[], choices=[m for m in cv.METHODS if m != "project_scorecard"])
    parser.add_argument("--german-repeats", type=int, default=5)
    parser.add_argument("--taiwan-repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=cv.DEV_SEED)
    args = parser.parse_args(argv)
    if args.seed == cv.FRESH_SEED:
        parser.error("the fresh seed is for the final comparison only (bench/credit_cv.py)")
    warnings.filterwarnings("ignore", category=UserWarning)
    print(f"development folds: seed {args.seed}; German {args.german_repeats} x 5, Taiwan raw+behavioural "
          f"{args.taiwan_repeats} x 5; product feature policy (no age)")
    for dataset in args.datasets:
        label, frame, left_out = cv.feature_sets(dataset)[-1]
        repeats = args.german_repeats if dataset == "german" else args.taiwan_repeats
        folds = cv.make_folds(frame["is_default"].to_numpy(), repeats, args.seed)
        base = credit.CreditParams(random_seed=args.seed, scaling=cv.SCALING,
                                   excluded_features=cv.product_excluded(dataset))
        runs = []
        for name in args.variants:
            variant = VARIANTS[name]
            if dataset != "taiwan" and variant.candidates:
                continue
            data, dropped = frame, left_out
            if dataset == "taiwan" and not variant.new_features:
                dropped = (*left_out, *ISSUE10_TAIWAN)
            if dataset == "taiwan" and variant.candidates:
                data = pd.concat([frame, candidate_features(frame, variant.candidates)], axis=1)
            run = cv.cross_validate("project_scorecard", data, dropped, with_changes(base, variant.changes), folds,
                                    label, fit_predict=variant.fit_predict)
            run.method = name
            runs.append(run)
            print(f"  {dataset} {name}: auc {np.mean(run.scores['auc']):.4f} ({run.seconds:.0f} s)", flush=True)
        for peer in args.peers:
            run = cv.cross_validate(peer, frame, left_out, base, folds, label)
            runs.append(run)
            print(f"  {dataset} {peer}: auc {np.mean(run.scores['auc']):.4f} ({run.seconds:.0f} s)", flush=True)
        ref = runs[0]
        rows = []
        for run in runs:
            d_auc = np.subtract(run.scores["auc"], ref.scores["auc"])
            d_brier = np.subtract(run.scores["brier"], ref.scores["brier"])
            flags = [e["signs_ok"] for e in run.extras if "signs_ok" in e]
            used = [e["n_used"] for e in run.extras if "n_used" in e]
            rows.append({
                "variant": run.method, "features": run.n_features, "auc": f"{np.mean(run.scores['auc']):.4f}",
                "brier": f"{np.mean(run.scores['brier']):.4f}",
                f"Δauc vs {ref.method}": f"{d_auc.mean():+.4f} ± {d_auc.std(ddof=1):.4f}",
                f"Δbrier vs {ref.method}": f"{d_brier.mean():+.4f} ± {d_brier.std(ddof=1):.4f}",
                "signs ok": f"{sum(flags)}/{len(flags)}" if flags else "",
                "with a coefficient": f"{min(used)}-{max(used)}" if used else "",
                "seconds": f"{run.seconds:.0f}",
            })
        table = pd.DataFrame(rows)
        print(f"\n{dataset} ({label}, {len(folds)} dev folds)")
        print(table.to_markdown(index=False) if cv._has_tabulate() else table.to_string(index=False))
        print()


if __name__ == "__main__":
    main()

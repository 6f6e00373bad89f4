"""Typed, frozen parameters of the purchasing-power models.

:class:`PurchasingPowerParams` holds what a run depends on: the scoring context (as_of_date,
horizon H, label window L, window count K, all from ``int_scoring_context``) and the random seed
(the dbt var). It has no defaults for any of them: they live in ``dbt_project.yml`` and reach the
package through :meth:`PurchasingPowerParams.from_dbt`. The hyper-parameters of the candidates are
fixed a priori and declared once here (:data:`GBM_PARAMS`, :data:`LINEAR_PARAMS`,
:data:`BLEND_PARAMS`). Every field is checked, and coerced from dbt's text, in ``__post_init__``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import pandas as pd

from ..params import ParameterError, as_choice, as_date, as_float, as_int

__all__ = [
    "SELECTION_METRICS",
    "LOWER_IS_BETTER",
    "PurchasingPowerParams",
    "GBMParams",
    "LinearParams",
    "BlendParams",
    "GBM_PARAMS",
    "LINEAR_PARAMS",
    "BLEND_PARAMS",
]

# Metrics the champion may be chosen on (on the validation window), and those where lower wins.
SELECTION_METRICS = frozenset({"mae", "rmse", "r2", "spearman", "normalised_gini", "top_decile_capture"})
LOWER_IS_BETTER = frozenset({"mae", "rmse"})

# The columns of int_scoring_context that PurchasingPowerParams.from_dbt reads.
_CONTEXT_COLUMNS = ("as_of_date", "horizon_days", "label_window_days", "n_train_windows")


def _set(obj, name: str, value) -> None:
    object.__setattr__(obj, name, value)


@dataclasses.dataclass(frozen=True)
class PurchasingPowerParams:
    """What one training run depends on.

    ``as_of_date`` the scoring date; ``horizon_days`` H, the forecast horizon; ``label_window_days``
    L, the training label window (labels are the spend over L); ``n_train_windows`` K, the label
    windows stacked into each fit; ``random_seed``; ``selection_metric`` the validation metric the
    champion is chosen on (a package choice, not a dbt var: ``'rmse'`` unless told).
    Values may be given as dbt renders them (text); they are coerced and checked here.
    """

    as_of_date: dt.date
    horizon_days: int
    label_window_days: int
    n_train_windows: int
    random_seed: int
    selection_metric: str = "rmse"

    def __post_init__(self):
        _set(self, "as_of_date", as_date("as_of_date", self.as_of_date, required=True))
        _set(self, "horizon_days", as_int("horizon_days", self.horizon_days, minimum=1))
        _set(self, "label_window_days", as_int("label_window_days", self.label_window_days, minimum=1))
        _set(self, "n_train_windows", as_int("n_train_windows", self.n_train_windows, minimum=1))
        _set(self, "random_seed", as_int("random_seed", self.random_seed, minimum=0))
        _set(self, "selection_metric", as_choice("selection_metric", self.selection_metric, SELECTION_METRICS))

    @classmethod
    def from_dbt(cls, context, *, random_seed, selection_metric: str = "rmse") -> "PurchasingPowerParams":
        """Parameters of a dbt run: ``context`` is ``int_scoring_context`` (its one-row frame, a
        row of it, or a mapping); ``random_seed`` the value of the model's plain
        ``dbt.config.get("random_seed")`` statement."""
        row = _one_row(context)
        missing = [col for col in _CONTEXT_COLUMNS if col not in row]
        if missing:
            raise ParameterError(f"the scoring context lacks column(s) {', '.join(missing)}")
        return cls(**{col: row[col] for col in _CONTEXT_COLUMNS}, random_seed=random_seed,
                   selection_metric=selection_metric)

    def version_params(self) -> dict:
        """The parameters every model version of the run hashes (as_of_date is not one of them:
        the training window's dates are)."""
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
            raise ParameterError(f"the scoring context must have exactly one row, got {len(context)}")
        return context.iloc[0].to_dict()
    if isinstance(context, pd.Series):
        return context.to_dict()
    if isinstance(context, Mapping):
        return context
    raise ParameterError(f"the scoring context must be a one-row frame, a row or a mapping, "
                         f"got {type(context).__name__}")


@dataclasses.dataclass(frozen=True)
class GBMParams:
    """``HistGradientBoostingRegressor`` settings of the GBM candidate (Poisson loss: it learns
    labels clipped at 0)."""

    loss: str = "poisson"
    learning_rate: float = 0.05
    max_iter: int = 200
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 20
    l2_regularization: float = 1.0
    max_bins: int = 255
    early_stopping: bool = False

    def __post_init__(self):
        _set(self, "loss", as_choice("loss", self.loss, {"poisson", "squared_error"}))
        _set(self, "learning_rate", as_float("learning_rate", self.learning_rate, strictly_positive=True))
        _set(self, "max_iter", as_int("max_iter", self.max_iter, minimum=1))
        _set(self, "max_leaf_nodes", as_int("max_leaf_nodes", self.max_leaf_nodes, minimum=2))
        _set(self, "min_samples_leaf", as_int("min_samples_leaf", self.min_samples_leaf, minimum=1))
        _set(self, "l2_regularization", as_float("l2_regularization", self.l2_regularization, minimum=0.0))
        _set(self, "max_bins", as_int("max_bins", self.max_bins, minimum=2))
        if self.max_bins > 255:
            raise ParameterError(f"parameter 'max_bins' must be <= 255, got {self.max_bins}")
        if not isinstance(self.early_stopping, bool):
            raise ParameterError(f"parameter 'early_stopping' must be True or False, got {self.early_stopping!r}")

    def as_dict(self) -> dict:
        """Keyword arguments of ``HistGradientBoostingRegressor`` (and the version's parameters)."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class LinearParams:
    """The linear candidate: signed ``log1p`` of numerics, median imputation with missing
    indicators, standardisation, one-hot categoricals (levels rarer than
    ``onehot_min_frequency`` pooled), Ridge with ``alpha``. ``numeric_transform`` and ``impute``
    name the only transforms implemented; they are part of the model version."""

    alpha: float = 1.0
    numeric_transform: str = "signed_log1p"
    impute: str = "median+indicator"
    onehot_min_frequency: int = 5

    def __post_init__(self):
        _set(self, "alpha", as_float("alpha", self.alpha, strictly_positive=True))
        _set(self, "numeric_transform", as_choice("numeric_transform", self.numeric_transform, {"signed_log1p"}))
        _set(self, "impute", as_choice("impute", self.impute, {"median+indicator"}))
        _set(self, "onehot_min_frequency", as_int("onehot_min_frequency", self.onehot_min_frequency, minimum=1))

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class BlendParams:
    """The blend candidate: ``(1 - btyd_weight) x GBM + btyd_weight x BTYD expected spend``
    (the weight is fixed a priori, not tuned)."""

    btyd_weight: float = 0.5

    def __post_init__(self):
        weight = as_float("btyd_weight", self.btyd_weight, minimum=0.0)
        if weight > 1.0:
            raise ParameterError(f"parameter 'btyd_weight' must be <= 1, got {weight:g}")
        _set(self, "btyd_weight", weight)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


GBM_PARAMS = GBMParams()
LINEAR_PARAMS = LinearParams()
BLEND_PARAMS = BlendParams()

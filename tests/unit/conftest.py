"""What the unit tests of the two model families (credit, purchasing power) share: the result table
of a module's training run (``frame``, from the module's ``result`` fixture), :func:`row`, and for
the credit estimator modules the module's ``accounts`` by split (``parts``) and their features
(``spec``), for the purchasing-power estimator modules the BTYD fit of their ``train`` rows
(``btyd_fit``); a module that defines its own ``parts`` / ``spec`` overrides them."""

from __future__ import annotations

import pytest

from shopper_scores.ml import btyd, credit
from shopper_scores.ml.features import select_features

from .test_ml_purchasing_power_regression import HORIZON


@pytest.fixture(scope="module")
def frame(result):
    """The module's training result (its ``result`` fixture) as the table dbt stores."""
    return result.to_frame()


def row(frame, model, stage):
    """The one row of ``frame`` for ``model`` at ``stage`` (asserts there is exactly one)."""
    rows = frame[(frame.model_name == model) & (frame.stage == stage)]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.fixture(scope="module")
def parts(accounts):
    """The module's credit ``accounts`` fixture, one frame per split."""
    return {s: accounts[accounts.split == s].reset_index(drop=True) for s in credit.SPLITS}


@pytest.fixture(scope="module")
def spec(accounts):
    """The features of the module's credit ``accounts``."""
    return select_features(accounts)


# The BG/NBD fit dominates a candidate's fit on make_frame rows (about a second, its optimum lies on
# a flat ridge): fitted once per module and passed in as ``btyd_fit``, what ``fit`` would compute
# itself (test_constructor_... of the estimator tests checks that a fit without it gives the very
# same model).
@pytest.fixture(scope="module")
def btyd_fit(train):
    """The BTYD fit (seed 42, horizon HORIZON) of the purchasing-power module's ``train`` rows."""
    return btyd.fit(train, HORIZON, 42)

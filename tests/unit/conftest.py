"""What the unit tests of the two model families (credit, purchasing power) share: the result table
of a module's training run (``frame``, from the module's ``result`` fixture), :func:`row`, and for
the credit estimator modules the module's ``accounts`` by split (``parts``) and their features
(``spec``); a module that defines its own ``parts`` / ``spec`` overrides them."""

from __future__ import annotations

import pytest

from shopper_scores.ml import credit
from shopper_scores.ml.features import select_features


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

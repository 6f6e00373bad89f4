"""What the unit tests of the two model families (credit, purchasing power) share: the result table
of a module's training run (``frame``, from the module's ``result`` fixture) and :func:`row`."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def frame(result):
    """The module's training result (its ``result`` fixture) as the table dbt stores."""
    return result.to_frame()


def row(frame, model, stage):
    """The one row of ``frame`` for ``model`` at ``stage`` (asserts there is exactly one)."""
    rows = frame[(frame.model_name == model) & (frame.stage == stage)]
    assert len(rows) == 1
    return rows.iloc[0]

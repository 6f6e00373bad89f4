"""Typed parameters: the checks every parameter object of this package shares.

Each model family declares its parameters once, as a frozen dataclass (e.g.
``PurchasingPowerParams``, ``CreditParams``) whose ``__post_init__`` runs these
checks; defaults live in ``dbt_project.yml`` and reach the package through the
scoring context and the dbt model's config, never repeated here. A dbt Python
model builds its parameter object once, with ``from_dbt(...)``, from the values
its plain ``dbt.config.get("name")`` statements returned (dbt passes vars as
text: the coercion happens in these helpers, nowhere else).
"""

from __future__ import annotations

import datetime as dt

from .features import to_date

__all__ = ["ParameterError", "as_int", "as_float", "as_date", "as_name_list", "as_choice"]


class ParameterError(ValueError):
    """A parameter is missing or out of range; the message names it and what it must be."""


def as_int(name: str, value, minimum: int | None = None) -> int:
    """``value`` (int, or text such as dbt's rendered vars '42') as int, at least ``minimum``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ParameterError(f"parameter {name!r} is required (an integer)")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"parameter {name!r} must be an integer, got {value!r}") from None
    if not number.is_integer():
        raise ParameterError(f"parameter {name!r} must be an integer, got {value!r}")
    result = int(number)
    if minimum is not None and result < minimum:
        raise ParameterError(f"parameter {name!r} must be >= {minimum}, got {result}")
    return result


def as_float(name: str, value, minimum: float | None = None, *, strictly_positive: bool = False,
             below: float | None = None) -> float:
    """``value`` as a finite float; ``minimum`` inclusive, ``below`` exclusive."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ParameterError(f"parameter {name!r} is required (a number)")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"parameter {name!r} must be a number, got {value!r}") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise ParameterError(f"parameter {name!r} must be finite, got {value!r}")
    if strictly_positive and result <= 0:
        raise ParameterError(f"parameter {name!r} must be > 0, got {result:g}")
    if minimum is not None and result < minimum:
        raise ParameterError(f"parameter {name!r} must be >= {minimum:g}, got {result:g}")
    if below is not None and result >= below:
        raise ParameterError(f"parameter {name!r} must be < {below:g}, got {result:g}")
    return result


def as_date(name: str, value, required: bool = False) -> dt.date | None:
    """``value`` (date, timestamp or ISO text) as a date; None allowed unless ``required``."""
    try:
        result = to_date(value)
    except (TypeError, ValueError):
        raise ParameterError(f"parameter {name!r} must be a date, got {value!r}") from None
    if result is None and required:
        raise ParameterError(f"parameter {name!r} is required (a date)")
    return result


def as_name_list(name: str, value) -> tuple[str, ...]:
    """Names as a sorted tuple without blanks or repeats: from a list, or comma-separated text
    (as a dbt var renders, e.g. ``"age_years,region"``)."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    if not all(isinstance(item, str) for item in items):
        raise ParameterError(f"parameter {name!r} must be names (text), got {value!r}")
    return tuple(sorted({item.strip() for item in items if item.strip()}))


def as_choice(name: str, value, choices) -> str:
    """``value`` as text, one of ``choices``."""
    text = str(value)
    if text not in choices:
        raise ParameterError(f"parameter {name!r} must be one of {sorted(choices)}, got {value!r}")
    return text

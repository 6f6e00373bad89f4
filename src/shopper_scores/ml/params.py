"""Typed parameters: the checks every parameter object of this package shares.

Each model family declares its parameters once, as a frozen dataclass (e.g.
``PurchasingPowerParams``, ``CreditParams``) whose ``__post_init__`` runs these
checks; defaults live in ``dbt_project.yml`` and reach the package through the
scoring context and the dbt model's config, never repeated here. A dbt Python
model builds its parameter object once, with ``from_dbt(...)``, from the values
its plain ``dbt.config.get("name")`` statements returned (dbt passes vars as
text: the coercion happens in these helpers, nowhere else).

A field declares its default and its check in one place, ``name: int = checked(as_int, 100,
minimum=1)``; :class:`Checked`'s ``__post_init__`` runs every field's check, in field order, and
stores the coerced value on the frozen object. :class:`HistGBMParams` holds the settings both
families' HistGradientBoosting models share (each family's subclass keeps its own defaults).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

from .features import to_date

__all__ = [
    "ParameterError", "as_int", "as_float", "as_bool", "as_instance", "as_date", "as_name_list", "as_choice",
    "checked", "Checked", "HistGBMParams",
]


class ParameterError(ValueError):
    """A parameter is missing or out of range; the message names it and what it must be."""


def _number(name: str, value, kind: str) -> float:
    """``value`` parsed as a float; ``kind`` ("an integer", "a number") names what it must be."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ParameterError(f"parameter {name!r} is required ({kind})")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"parameter {name!r} must be {kind}, got {value!r}") from None


def as_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` (int, or text such as dbt's rendered vars '42') as int, in [``minimum``, ``maximum``]."""
    number = _number(name, value, "an integer")
    if not number.is_integer():
        raise ParameterError(f"parameter {name!r} must be an integer, got {value!r}")
    result = int(number)
    if minimum is not None and result < minimum:
        raise ParameterError(f"parameter {name!r} must be >= {minimum}, got {result}")
    if maximum is not None and result > maximum:
        raise ParameterError(f"parameter {name!r} must be <= {maximum}, got {result}")
    return result


def as_float(name: str, value, minimum: float | None = None, *, strictly_positive: bool = False,
             below: float | None = None, maximum: float | None = None) -> float:
    """``value`` as a finite float; ``minimum`` and ``maximum`` inclusive, ``below`` exclusive."""
    result = _number(name, value, "a number")
    if result != result or result in (float("inf"), float("-inf")):
        raise ParameterError(f"parameter {name!r} must be finite, got {value!r}")
    if strictly_positive and result <= 0:
        raise ParameterError(f"parameter {name!r} must be > 0, got {result:g}")
    if minimum is not None and result < minimum:
        raise ParameterError(f"parameter {name!r} must be >= {minimum:g}, got {result:g}")
    if maximum is not None and result > maximum:
        raise ParameterError(f"parameter {name!r} must be <= {maximum:g}, got {result:g}")
    if below is not None and result >= below:
        raise ParameterError(f"parameter {name!r} must be < {below:g}, got {result:g}")
    return result


def as_bool(name: str, value) -> bool:
    """``value``, which must be True or False (no coercion)."""
    if not isinstance(value, bool):
        raise ParameterError(f"parameter {name!r} must be True or False, got {value!r}")
    return value


def as_instance(name: str, value, cls: type):
    """``value``, which must be a ``cls``."""
    if not isinstance(value, cls):
        raise ParameterError(f"parameter {name!r} must be a {cls.__name__}, got {value!r}")
    return value


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


def checked(check, default=dataclasses.MISSING, *, default_factory=dataclasses.MISSING, **options):
    """A dataclass field whose value :class:`Checked` coerces with ``check(name, value, **options)``
    (no ``default``: the field is required)."""
    return dataclasses.field(default=default, default_factory=default_factory,
                             metadata={"check": functools.partial(check, **options)})


def _check_of(cls: type, name: str):
    for klass in cls.__mro__:
        field = getattr(klass, "__dataclass_fields__", {}).get(name)
        if field is not None and "check" in field.metadata:
            return field.metadata["check"]
    return None


class Checked:
    """Base of the frozen parameter dataclasses: ``__post_init__`` runs the check of every field
    declared with :func:`checked`, in field order, and stores the value it returns. A subclass
    that redeclares a field with a plain default (``max_iter: int = 200``) keeps its base's check."""

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            check = _check_of(type(self), field.name)
            if check is not None:
                object.__setattr__(self, field.name, check(field.name, getattr(self, field.name)))

    def as_dict(self) -> dict:
        """The fields by name (e.g. an estimator's keyword arguments, a version's parameters)."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class HistGBMParams(Checked):
    """Settings of a scikit-learn ``HistGradientBoosting*`` model (its keyword arguments, see
    :func:`~.features.hist_gbm_pipeline`). ``max_iter``, ``max_leaf_nodes`` and
    ``min_samples_leaf`` default to scikit-learn's values here; each family's subclass sets its own."""

    learning_rate: float = checked(as_float, 0.05, strictly_positive=True)
    max_iter: int = checked(as_int, 100, minimum=1)
    max_leaf_nodes: int = checked(as_int, 31, minimum=2)
    min_samples_leaf: int = checked(as_int, 20, minimum=1)
    l2_regularization: float = checked(as_float, 1.0, minimum=0)
    max_bins: int = checked(as_int, 255, minimum=2, maximum=255)
    early_stopping: bool = checked(as_bool, False)

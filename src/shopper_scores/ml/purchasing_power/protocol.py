"""The out-of-time stage plan: which label windows each stage fits on and evaluates at.

A pure function of the windows present in the training data (``window_index`` ->
``cutoff_role``, both from SQL) and K = ``n_train_windows``, like scikit-learn's splitters: it
fits nothing and runs in microseconds, so the leakage rules are tested on their own.

=============  ==============================  ===================================
stage          fits on                         evaluated at
=============  ==============================  ===================================
validation     the K windows just older than   the ``'validation'`` window
               the validation window
extrapolation  the windows older than its      the second-oldest window, when it is
               evaluation window (up to K)     a ``'training'`` window
test           the K windows just older than   the ``'test'`` window
               the test window
final          the K most recent label         --
               windows (``window_index``
               1 .. K)
=============  ==============================  ===================================

``window_index`` k is the label window k windows before the scoring date, so "just older" and
"most recent" are window-index arithmetic; which window is the test or the validation window is
the data's ``cutoff_role``, never assumed here. The roles must be ordered as SQL writes them
(the test window the most recent, the validation window next, training windows older), which
makes every rule hold by construction: no stage fits on its evaluation window or a later one,
and the validation stage never sees the test window.

The extrapolation stage is a second validation window: the oldest window that still has an
older one to fit on, whose horizon label (``horizon_label_days``, SQL) spans the longest stretch
before the test window, so the champion's choice also sees how forecasts grow towards H.

Short histories: a stage fits on those of its K windows that hold rows (note ``short history:
...``); without any, or without its evaluation window, it is skipped (note ``skipped: ...``).
Without any of the windows 1 .. K the final refit takes the most recent windows there are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["TEST", "VALIDATION", "TRAINING", "LABEL_ROLES", "Stage", "StagePlan", "plan_stages"]

TEST, VALIDATION, TRAINING = "test", "validation", "training"
# The cutoff roles of label windows (int_feature_cutoffs' 'scoring' window has no label).
LABEL_ROLES = (TEST, VALIDATION, TRAINING)


@dataclass(frozen=True)
class Stage:
    """One stage: the windows it fits on (ascending; empty = skipped), the window it is evaluated
    at (None for the final refit and for skipped stages) and the note its rows carry."""

    name: str
    train_windows: tuple[int, ...]
    eval_window: int | None
    note: str | None = None

    @property
    def skipped(self) -> bool:
        return not self.train_windows


@dataclass(frozen=True)
class StagePlan:
    validation: Stage
    test: Stage
    final: Stage
    extrapolation: Stage = Stage("extrapolation", (), None, "skipped: no extrapolation window")

    @property
    def choice_stages(self) -> tuple[Stage, ...]:
        """The stages the champion is chosen on (never the test stage)."""
        return (self.validation, self.extrapolation)

    def __iter__(self):
        return iter((self.validation, self.extrapolation, self.test, self.final))


def _label(windows) -> str:
    return ",".join(str(w) for w in windows) if windows else "none"


def _check_windows(windows: Mapping[int, str]) -> dict[int, str]:
    checked = {}
    for index, role in windows.items():
        if isinstance(index, bool) or int(index) != index or index < 1:
            raise ValueError(f"purchasing power: window_index must be an integer >= 1, got {index!r}")
        if role not in LABEL_ROLES:
            raise ValueError(f"purchasing power: window {index} has cutoff_role {role!r}; "
                             f"training windows must be one of {', '.join(LABEL_ROLES)}")
        checked[int(index)] = role
    for role in (TEST, VALIDATION):
        holders = sorted(w for w, r in checked.items() if r == role)
        if len(holders) > 1:
            raise ValueError(f"purchasing power: more than one {role} window ({_label(holders)})")
    order = sorted(checked, key=lambda w: (LABEL_ROLES.index(checked[w]), w))
    if order != sorted(checked):
        raise ValueError("purchasing power: cutoff roles out of order (the test window must be the most "
                         "recent, then the validation window, then training windows): "
                         + ", ".join(f"{w}={checked[w]}" for w in sorted(checked)))
    return checked


def _window_of(role: str, windows: dict[int, str]) -> int | None:
    return next((w for w, r in windows.items() if r == role), None)


def _absent_window(role: str, cutoff_roles: Mapping[int, str] | None) -> str:
    """How a note names an evaluation window without training rows: by its index in the cut-off
    list (``int_feature_cutoffs``) when given, else by its role -- never by index arithmetic."""
    index = next((w for w, r in (cutoff_roles or {}).items() if r == role), None)
    return f"({role})" if index is None else str(int(index))


def _evaluation_stage(name: str, role: str, windows: dict[int, str], k: int,
                      cutoff_roles: Mapping[int, str] | None) -> Stage:
    eval_window = _window_of(role, windows)
    if eval_window is None:
        return Stage(name, (), None,
                     f"skipped: evaluation window {_absent_window(role, cutoff_roles)} is not available")
    wanted = range(eval_window + 1, eval_window + 1 + k)
    train = tuple(w for w in wanted if w in windows)
    if not train:
        return Stage(name, (), None, f"skipped: no training window among {wanted.start}..{wanted.stop - 1} "
                                     f"(evaluation window {eval_window})")
    note = None
    if len(train) < k:
        note = f"short history: trained on window(s) {_label(train)} of {wanted.start}..{wanted.stop - 1}"
    return Stage(name, train, eval_window, note)


def _extrapolation_stage(windows: dict[int, str], k: int) -> Stage:
    ordered = sorted(windows)
    if len(ordered) < 2 or windows[ordered[-2]] != TRAINING:
        return Stage("extrapolation", (), None,
                     "skipped: no training window with an older window to fit on (short history)")
    eval_window = ordered[-2]
    train = tuple(w for w in ordered if eval_window < w <= eval_window + k)
    note = None if len(train) == k else f"trained on window(s) {_label(train)}"
    return Stage("extrapolation", train, eval_window, note)


def _final_stage(windows: dict[int, str], k: int) -> Stage:
    wanted = range(1, 1 + k)
    train = tuple(w for w in wanted if w in windows)
    note = None
    if not train:
        train = tuple(sorted(windows)[:k])
        note = f"no window among 1..{k}: refit on the most recent available window(s) {_label(train)}"
    elif len(train) < k:
        note = f"short history: refit on window(s) {_label(train)} of 1..{k}"
    return Stage("final", train, None, note)


def plan_stages(windows: Mapping[int, str], n_train_windows: int,
                cutoff_roles: Mapping[int, str] | None = None) -> StagePlan:
    """The stage plan for the label windows holding training rows (``window_index`` ->
    ``cutoff_role``) with K = ``n_train_windows``. ``cutoff_roles``: every cut-off's role as
    ``int_feature_cutoffs`` lists them, rows or not (only used to name an evaluation window that
    holds no rows). Raises ``ValueError`` on no windows, invalid or out-of-order roles, or K < 1."""
    if int(n_train_windows) != n_train_windows or n_train_windows < 1:
        raise ValueError(f"purchasing power: n_train_windows must be an integer >= 1, got {n_train_windows!r}")
    k = int(n_train_windows)
    checked = _check_windows(windows)
    if not checked:
        raise ValueError("purchasing power: no label windows to plan stages on")
    return StagePlan(
        validation=_evaluation_stage("validation", VALIDATION, checked, k, cutoff_roles),
        test=_evaluation_stage("test", TEST, checked, k, cutoff_roles),
        final=_final_stage(checked, k),
        extrapolation=_extrapolation_stage(checked, k),
    )

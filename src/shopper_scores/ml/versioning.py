"""Content-addressed model versions.

A model version is a hash of everything that determines a fitted model: the
code of this package (every ``.py`` file in ``shopper_scores/ml`` and its subpackages), the
hyper-parameters, the feature list and the training window.  It is never a
timestamp, so re-running the same code on the same data reproduces the same
version, and any change to code, parameters, features or window produces a new
one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

__all__ = ["model_version", "package_source_files"]

_ML_DIR = Path(__file__).resolve().parent


def package_source_files() -> list[Path]:
    """Every ``.py`` file below ``shopper_scores/ml`` (subpackages included), sorted by path
    relative to the package: a module moved into a subpackage never drops out of the version."""
    return sorted(_ML_DIR.rglob("*.py"), key=lambda path: path.relative_to(_ML_DIR).as_posix())


def _update(digest: "hashlib._Hash", label: str, payload: bytes) -> None:
    # Length-prefixed, labelled chunks: no two different inputs can produce the
    # same byte stream by shifting content between fields.
    digest.update(f"{label}:{len(payload)}:".encode())
    digest.update(payload)


def model_version(model_name: str, params: dict, feature_names: list, training_window) -> str:
    """First 16 hex characters of a sha256 over code, params, features and window.

    ``training_window`` may be a string or a list (e.g. of ISO dates);
    ``params`` is serialised with ``json.dumps(sort_keys=True, default=str)``.
    The order of ``feature_names`` is significant (it is the model's column
    order).
    """
    digest = hashlib.sha256()
    _update(digest, "model_name", str(model_name).encode())
    for path in package_source_files():
        _update(digest, f"source[{path.relative_to(_ML_DIR).as_posix()}]", path.read_bytes())
    _update(digest, "params", json.dumps(params, sort_keys=True, default=str).encode())
    _update(digest, "features", json.dumps([str(f) for f in feature_names]).encode())
    if isinstance(training_window, str):
        window = training_window
    else:
        window = json.dumps(list(training_window), default=str)
    _update(digest, "window", window.encode())
    return digest.hexdigest()[:16]

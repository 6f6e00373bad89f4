"""Unit tests of shopper_scores.ml.versioning."""

import re
from pathlib import Path

from shopper_scores.ml import versioning
from shopper_scores.ml.versioning import model_version, package_source_files

PARAMS = {"alpha": 1.0, "random_seed": 42, "horizon_days": 90}
FEATURES = ["net_spend_lifetime", "recency_days", "region"]
WINDOW = ["2024-01-01", "2024-04-01"]


def test_version_is_16_hex_and_stable():
    v = model_version("m", PARAMS, FEATURES, WINDOW)
    assert re.fullmatch(r"[0-9a-f]{16}", v)
    assert model_version("m", dict(PARAMS), list(FEATURES), list(WINDOW)) == v
    # key order of params is irrelevant (sort_keys)
    assert model_version("m", dict(reversed(list(PARAMS.items()))), FEATURES, WINDOW) == v


def test_version_changes_with_params_features_window_and_name():
    v = model_version("m", PARAMS, FEATURES, WINDOW)
    assert model_version("m", {**PARAMS, "alpha": 2.0}, FEATURES, WINDOW) != v
    assert model_version("m", {**PARAMS, "extra": None}, FEATURES, WINDOW) != v
    assert model_version("m", PARAMS, FEATURES[:-1], WINDOW) != v
    assert model_version("m", PARAMS, FEATURES + ["tenure_days"], WINDOW) != v
    assert model_version("m", PARAMS, FEATURES, ["2024-01-01"]) != v
    assert model_version("m", PARAMS, FEATURES, "2024-01-01,2024-04-01") != model_version(
        "m", PARAMS, FEATURES, "2024-01-01,2024-07-01"
    )
    assert model_version("other", PARAMS, FEATURES, WINDOW) != v


def test_source_files_cover_the_ml_package():
    root = Path(versioning.__file__).resolve().parent
    names = [p.relative_to(root).as_posix() for p in package_source_files()]
    for expected in ("metrics.py", "versioning.py", "purchasing_power/__init__.py", "credit/scorecard.py"):
        assert expected in names


def test_source_files_include_subpackages():
    root = Path(versioning.__file__).resolve().parent
    relative = [p.relative_to(root).as_posix() for p in package_source_files()]
    assert relative == sorted(relative)
    expected = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))
    assert relative == expected
    assert any("/" in name for name in relative), "no subpackage module is hashed"


def test_version_changes_with_a_subpackage_module(tmp_path, monkeypatch):
    package = tmp_path / "ml"
    (package / "sub").mkdir(parents=True)
    (package / "top.py").write_text("x = 1\n")
    module = package / "sub" / "inner.py"
    module.write_text("y = 1\n")
    monkeypatch.setattr(versioning, "_ML_DIR", package)
    before = model_version("m", PARAMS, FEATURES, WINDOW)
    module.write_text("y = 2\n")
    assert model_version("m", PARAMS, FEATURES, WINDOW) != before

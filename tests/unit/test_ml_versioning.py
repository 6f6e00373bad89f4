"""Unit tests of shopper_scores.ml.versioning."""

import re

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
    names = [p.name for p in package_source_files()]
    assert names == sorted(names)
    for expected in ("metrics.py", "versioning.py", "purchasing_power.py", "credit.py"):
        assert expected in names

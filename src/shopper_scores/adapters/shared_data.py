"""Where the public datasets are: ``$SHOPPER_SCORES_SHARED_DATA`` or ``<repo>/../shared/data``."""

from __future__ import annotations

import os
from pathlib import Path

_REPO_DIR = Path(__file__).resolve().parents[3]
SHARED_DATA_ENV = "SHOPPER_SCORES_SHARED_DATA"


def shared_data_dir() -> Path:
    configured = os.environ.get(SHARED_DATA_ENV)
    return Path(configured) if configured else _REPO_DIR.parent / "shared" / "data"


def dataset_file(dataset: str, file_name: str) -> Path:
    """Path of one file of a shared dataset; a clear error when it is not there."""
    path = shared_data_dir() / dataset / file_name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: the public datasets are read in place from $SHOPPER_SCORES_SHARED_DATA "
            f"(default <repo>/../shared/data); see {dataset}/SOURCE.md there"
        )
    return path

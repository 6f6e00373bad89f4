"""Synthetic online-shop raw data with planted ground truth (see generator.py for the model)."""

from .generator import (
    RAW_SCHEMAS,
    RAW_TABLES,
    TRUTH_SCHEMAS,
    generate,
    generator_params,
    is_up_to_date,
)

__all__ = [
    "RAW_SCHEMAS",
    "RAW_TABLES",
    "TRUTH_SCHEMAS",
    "generate",
    "generator_params",
    "is_up_to_date",
]

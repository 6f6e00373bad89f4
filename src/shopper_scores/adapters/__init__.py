"""Adapters: read public datasets in place and reshape them into the project's input shapes.

Adapters only rename, reshape and derive documented features; they never filter rows for
quality (the dbt layer does that, and counts it). Public datasets live outside the repository,
under ``$SHOPPER_SCORES_SHARED_DATA`` (default ``<repo>/../shared/data``), and are never copied in.
"""

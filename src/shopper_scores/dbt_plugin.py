"""dbt-duckdb plugin (profiles/profiles.yml): a clear message, not a traceback, when another
process holds the warehouse open.

dbt-duckdb calls ``update_connection_config`` just before it opens the file. DuckDB's lock error
there is not a dbt error, so dbt would print it with three stack traces; a ``DbtRuntimeError``
raised first is printed as one message.
"""

from __future__ import annotations

from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError

from shopper_scores.warehouse import lock_problem


class Plugin(BasePlugin):
    def update_connection_config(self, creds, config) -> None:
        if creds.path and creds.path != ":memory:":
            problem = lock_problem(Path(creds.path))
            if problem:
                raise DbtRuntimeError(f"shopper_scores: {problem}")

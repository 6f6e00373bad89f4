"""Publish the BI snapshot: the one way scores reach BI tools, after a complete, tested build.

    python -m shopper_scores.warehouse publish WAREHOUSE [--target-path DIR] [--snapshot FILE]
                                               [--demo] [--customer-ids pseudonym|raw]

Refuses (exit 1, a message naming what is wrong) unless

* ``<target-path>/run_results.json`` is a ``dbt build`` whose every node succeeded or passed (an
  error, fail or skipped node is named), it is the invocation that built the warehouse's scoring
  context, and every test of ``<target-path>/manifest.json`` on a published mart ran in it;
* every customer-level mart carries the scoring context's ``context_run_id`` and ``as_of_date``
  (a build killed mid-way leaves them at different cut-offs).

Then it writes, into a temporary file beside the snapshot (``warehouse.snapshot_path``), only the
BI-facing tables, as plain tables (no views over raw paths, no staging, no model blobs), plus a
``_publication`` row saying what was published, and renames it over the snapshot (``os.replace``).

Privacy: customer ids are keyed pseudonyms by default, HMAC-SHA256 with the key in
``SHOPPER_SCORES_PSEUDONYM_KEY`` (a secret: never commit it; the same key gives the same
pseudonyms in every publication). ``--demo`` (what ``scripts/build.sh`` passes for the generated
demo shop) falls back to the public key :data:`DEMO_PSEUDONYM_KEY`. Raw ids only with
``--customer-ids raw`` (or ``SHOPPER_SCORES_PUBLISH_IDS=raw``). Exact age becomes an age band;
gender and birth year are never in a mart; region (5 broad areas) and city tier (3 tiers) are
kept, coarse, for fairness monitoring. Quarantined rows are published as counts per table and
reason, not their row keys (a customers row's key is a raw customer id).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import yaml

from shopper_scores.dbt_runner import PROJECT_DIR
from shopper_scores.warehouse import snapshot_path

KEY_ENV = "SHOPPER_SCORES_PSEUDONYM_KEY"
IDS_ENV = "SHOPPER_SCORES_PUBLISH_IDS"
# Public on purpose (documented in the README): demo pseudonyms hide nothing from anyone who has
# the demo data. Real data needs its own secret key.
DEMO_PSEUDONYM_KEY = "shopper-scores-public-demo-key"
# Where scripts/build.sh generates the demo shop (the project's default var raw_data_path).
DEMO_RAW_DATA_PATH = "data/demo"
MIN_KEY_LENGTH = 16

# Quality marts that do not read the scoring context: their build_run_id must be the context's.
BUILD_STAMPED_TABLES = ("raw_row_accounting", "quarantined_rows")
# Customer-level marts: must match the scoring context; customer_id is pseudonymised.
CUSTOMER_MARTS = ("purchasing_power_scores", "credit_scores", "credit_offers", "user_features", "unscored_customers")
OK_STATUSES = {"success", "pass", "warn", "no-op"}

AGE_BAND = """
    case
        when age_years is null then null
        when age_years < 25 then 'under 25'
        when age_years < 35 then '25-34'
        when age_years < 45 then '35-44'
        when age_years < 55 then '45-54'
        when age_years < 65 then '55-64'
        else '65+'
    end
"""

# Published table -> select over the attached warehouse (``source``); ``{customer}`` is the
# published customer id. Columns not listed in ``exclude`` travel unchanged.
PUBLISHED = {
    "purchasing_power_scores": "select {customer} as customer_id, s.* exclude (customer_id) "
                               "from source.main.purchasing_power_scores as s",
    "credit_scores": "select {customer} as customer_id, s.* exclude (customer_id) "
                     "from source.main.credit_scores as s",
    "credit_offers": "select {customer} as customer_id, s.* exclude (customer_id) "
                     "from source.main.credit_offers as s",
    "user_features": f"select {{customer}} as customer_id, s.* exclude (customer_id, age_years), "
                     f"{AGE_BAND} as age_band from source.main.user_features as s",
    "unscored_customers": "select {customer} as customer_id, s.* exclude (customer_id) "
                          "from source.main.unscored_customers as s",
    **{table: f"select * from source.main.{table}" for table in (
        # the deployable scorecard and its reports: model-level, no customer rows
        "credit_scorecard", "credit_scorecard_bins", "credit_scorecard_categories", "credit_score_scale",
        "credit_calibration", "credit_grade_summary", "credit_cutoff_tradeoffs", "credit_stability",
        "credit_stability_bins", "credit_fairness",
    )},
    "model_metrics": "select * from source.main.model_metrics",
    "model_metrics_wide": "select * from source.main.model_metrics_wide",
    "raw_row_accounting": "select * from source.main.raw_row_accounting",
    "quarantined_row_counts": "select source_table, rejection_reason, count(*) as n_rows "
                              "from source.main.quarantined_rows group by all order by all",
}
# dbt models behind the published tables (their tests must have run in the published build).
CREDIT_REPORTS = tuple(table for table in PUBLISHED if table.startswith("credit_") and table not in CUSTOMER_MARTS)
PUBLISHED_MODELS = (*CUSTOMER_MARTS, *CREDIT_REPORTS, "model_metrics", "model_metrics_wide", "raw_row_accounting",
                    "quarantined_rows", "int_scoring_context")


class PublishError(RuntimeError):
    """The warehouse must not be published; the message says why and what to do."""


@dataclass(frozen=True)
class PublishParams:
    """How to publish. ``customer_ids``: ``'pseudonym'`` (default) or ``'raw'`` (explicit opt-out).
    ``pseudonym_key``: the HMAC key; None = ``$SHOPPER_SCORES_PSEUDONYM_KEY``, or the public demo
    key when ``demo``. ``target_path``: where the published build wrote its dbt artefacts."""

    customer_ids: str = "pseudonym"
    pseudonym_key: str | None = field(default=None, repr=False)
    demo: bool = False
    target_path: Path = Path("target")

    def __post_init__(self):
        if self.customer_ids not in ("pseudonym", "raw"):
            raise PublishError(f"customer_ids must be 'pseudonym' or 'raw', got {self.customer_ids!r}")

    def key(self) -> bytes | None:
        """The HMAC key, or None when raw ids are published; a PublishError if pseudonyms lack one."""
        if self.customer_ids == "raw":
            return None
        key = self.pseudonym_key or os.environ.get(KEY_ENV) or (DEMO_PSEUDONYM_KEY if self.demo else None)
        if not key:
            raise PublishError(
                f"customer ids are published as keyed pseudonyms, but {KEY_ENV} is not set. Set it to a "
                "secret of your own (e.g. `openssl rand -hex 32`; never commit it, and keep it: another "
                "key gives other pseudonyms), or publish raw ids explicitly with --customer-ids raw "
                f"({IDS_ENV}=raw). Only the demo (--demo) falls back to the public demo key."
            )
        if len(key) < MIN_KEY_LENGTH:
            raise PublishError(f"{KEY_ENV} is too short ({len(key)} characters; at least {MIN_KEY_LENGTH}).")
        return key.encode("utf-8")


def pseudonyms(customer_ids: list[str], key: bytes) -> list[str]:
    """HMAC-SHA256 of each id under ``key``, as 32 hex characters (128 bits: no collision in
    practice). Stable for a key, unrelated across keys, not reversible without the key."""
    return [hmac.digest(key, customer_id.encode("utf-8"), "sha256").hex()[:32] for customer_id in customer_ids]


def key_id(key: bytes) -> str:
    """A short fingerprint of the key (not the key): readers see when pseudonyms changed key."""
    return hmac.digest(key, b"shopper_scores key id", "sha256").hex()[:12]


def _sql_string(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def build_problems(target_path: Path, context_run_id: str) -> list[str]:
    """Why the dbt artefacts in ``target_path`` do not show a complete, passing build of the
    context ``context_run_id`` (empty when they do)."""
    results_file, manifest_file = Path(target_path) / "run_results.json", Path(target_path) / "manifest.json"
    if not results_file.exists():
        return [f"{results_file} does not exist: publish reads the results of the build it publishes "
                "(run `dbt build` first, or pass --target-path where that build wrote them)"]
    results = json.loads(results_file.read_text())
    invocation = results.get("metadata", {}).get("invocation_id")
    command = results.get("args", {}).get("which")
    if invocation != context_run_id:
        return [f"{results_file} records dbt invocation {invocation} (`dbt {command}`), but the warehouse's "
                f"scoring context was built by invocation {context_run_id}: that build did not finish, or "
                "another dbt command ran since. Run `dbt build` and publish right after it."]
    if command != "build":
        return [f"the last dbt command was `dbt {command}`, not `dbt build`: tests did not run with it"]
    problems = [f"{result['unique_id']}: {result['status']}"
                + (f" ({result['message']})" if result.get("message") else "")
                for result in results.get("results", []) if result.get("status") not in OK_STATUSES]
    if problems:
        return [f"the build did not pass ({len(problems)} node(s) not ok): " + "; ".join(problems[:20])]
    if not manifest_file.exists():
        return [f"{manifest_file} does not exist, so publish cannot check that every test of the published "
                "tables ran: publish from the target path of the build (--target-path)"]
    ran = {result["unique_id"] for result in results.get("results", [])}
    nodes = json.loads(manifest_file.read_text()).get("nodes", {})
    published = {unique_id for unique_id, node in nodes.items()
                 if node.get("resource_type") == "model" and node.get("name") in PUBLISHED_MODELS}
    missing = sorted(
        unique_id for unique_id, node in nodes.items()
        if node.get("resource_type") == "test" and unique_id not in ran
        and published & set(node.get("depends_on", {}).get("nodes", []))
    )
    if missing:
        return [f"{len(missing)} test(s) of published tables did not run in this build (a --select or "
                f"--exclude?): {', '.join(missing[:10])}"]
    return []


def build_raw_data_path(target_path: Path) -> Path:
    """The raw data directory the build in ``target_path`` read (var raw_data_path; the project's
    default when the build did not set it), resolved against the project directory as dbt does."""
    results = json.loads((Path(target_path) / "run_results.json").read_text())
    build_vars = results.get("args", {}).get("vars") or {}
    if isinstance(build_vars, str):  # dbt may record --vars as the text given
        build_vars = yaml.safe_load(build_vars) or {}
    return (PROJECT_DIR / str(build_vars.get("raw_data_path", DEMO_RAW_DATA_PATH))).resolve()


def demo_key_problems(target_path: Path, key: bytes | None) -> list[str]:
    """The public demo key hides nothing: it may only publish the generated demo shop."""
    if key != DEMO_PSEUDONYM_KEY.encode("utf-8"):
        return []
    raw = build_raw_data_path(target_path)
    if raw == (PROJECT_DIR / DEMO_RAW_DATA_PATH).resolve():
        return []
    return [f"the build read {raw}, not the generated demo ({DEMO_RAW_DATA_PATH}), but the pseudonyms would use "
            f"the public demo key, which anyone can use to recompute them. Set {KEY_ENV} to a secret key of your "
            "own (and publish without --demo)."]


def context_problems(connection: duckdb.DuckDBPyConnection) -> tuple[dict, list[str]]:
    """The scoring context and the customer-level marts that do not match it."""
    context = connection.execute(
        "select context_run_id, as_of_date from source.intermediate.int_scoring_context").fetchall()
    if len(context) != 1:
        raise PublishError(f"intermediate.int_scoring_context has {len(context)} rows, not 1: rebuild")
    run_id, as_of_date = context[0]
    problems = []
    for mart in CUSTOMER_MARTS:
        stale = connection.execute(
            f"select context_run_id, as_of_date, count(*) from source.main.{mart} "
            "where context_run_id is distinct from ? or as_of_date is distinct from ? group by all",
            [run_id, as_of_date],
        ).fetchall()
        problems += [f"main.{mart} has {n} rows of run {r} as of {d}" for r, d, n in stale]
    for table in BUILD_STAMPED_TABLES:  # quality tables that do not read the context carry their build
        stale = connection.execute(
            f"select build_run_id, count(*) from source.main.{table} "
            "where build_run_id is distinct from ? group by all", [run_id]).fetchall()
        problems += [f"main.{table} has {n} rows of run {r}" for r, n in stale]
    if problems:
        problems = [f"the marts do not all match the scoring context (run {run_id}, as of {as_of_date}); "
                    "a build stopped mid-way? Rebuild. " + "; ".join(problems)]
    return {"context_run_id": run_id, "as_of_date": as_of_date}, problems


def _customer_map(connection: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Table ``customer_map(customer_id, published_id)`` over every customer of the marts, hashed in
    Python once per customer (about a second per million) and joined in DuckDB."""
    ids = [row[0] for row in connection.execute(
        " union ".join(f"select customer_id from source.main.{mart}" for mart in CUSTOMER_MARTS)
    ).fetchall()]
    mapping = pa.table({"customer_id": ids, "published_id": pseudonyms(ids, key)})
    connection.register("customer_map_arrow", mapping)
    connection.execute("create temp table customer_map as select * from customer_map_arrow")
    connection.unregister("customer_map_arrow")
    distinct = connection.execute("select count(distinct published_id), count(*) from customer_map").fetchall()[0]
    if distinct[0] != distinct[1]:
        raise PublishError("two customers got the same pseudonym (a 128-bit collision): use another key")


def publish(warehouse: Path, params: PublishParams = PublishParams(), snapshot: Path | None = None) -> Path:
    """Check the build of ``warehouse`` and replace its BI snapshot atomically; returns the
    snapshot's path. Raises PublishError (nothing published) when a check fails."""
    warehouse = Path(warehouse)
    target = Path(snapshot) if snapshot else snapshot_path(warehouse)
    key = params.key()  # fail on a missing key before any work
    if not warehouse.exists():
        raise PublishError(f"{warehouse} does not exist: run `dbt build` first")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(temporary)) as connection:
            try:
                connection.execute(f"attach {_sql_string(warehouse.resolve())} as source (read_only)")
            except duckdb.IOException as exc:
                raise PublishError(f"cannot read {warehouse} (is a build running?): {exc}") from exc
            context, problems = context_problems(connection)
            problems = build_problems(params.target_path, context["context_run_id"]) + problems
            if not problems:
                problems = demo_key_problems(params.target_path, key)
            if problems:
                raise PublishError("not published: " + "\n  ".join(problems))
            if key is None:
                customer = "s.customer_id"
                from_map = ""
            else:
                _customer_map(connection, key)
                customer = "m.published_id"
                from_map = " inner join customer_map as m on s.customer_id = m.customer_id"
            for table, select in PUBLISHED.items():
                sql = select.format(customer=customer)
                if "{customer}" in select:
                    sql += from_map
                connection.execute(f"create table main.{table} as {sql}")
            versions = connection.execute(
                "select (select string_agg(distinct model_version, ',') from purchasing_power_scores), "
                "(select string_agg(distinct model_version, ',') from credit_scores)").fetchall()[0]
            connection.execute(
                """
                create table main._publication as select
                    now() at time zone 'UTC' as published_at,
                    ? as context_run_id, ?::date as as_of_date,
                    ? as purchasing_power_model_version, ? as credit_model_version,
                    ? as source_warehouse, ? as customer_id_kind, ? as pseudonym_key_id,
                    ? as is_demo_key
                """,
                [context["context_run_id"], context["as_of_date"], versions[0], versions[1],
                 warehouse.name, "raw" if key is None else "hmac_sha256_128",
                 None if key is None else key_id(key),
                 key is not None and key == DEMO_PSEUDONYM_KEY.encode("utf-8")],
            )
            connection.execute("detach source")
            connection.execute("checkpoint")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopper_scores.warehouse publish",
                                     description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--target-path", type=Path, default=Path(os.environ.get("DBT_TARGET_PATH", "target")),
                        help="where the build wrote run_results.json (default: $DBT_TARGET_PATH or target)")
    parser.add_argument("--snapshot", type=Path, default=None, help="default: the warehouse's snapshot path")
    parser.add_argument("--demo", action="store_true", help="the generated demo: the public key may be used")
    parser.add_argument("--customer-ids", choices=["pseudonym", "raw"],
                        default=os.environ.get(IDS_ENV) or "pseudonym")
    args = parser.parse_args(argv)
    try:
        params = PublishParams(customer_ids=args.customer_ids, demo=args.demo, target_path=args.target_path)
        target = publish(args.warehouse, params, snapshot=args.snapshot)
    except PublishError as exc:
        print(f"shopper_scores: {exc}", file=sys.stderr)
        return 1
    print(f"BI snapshot published: {target}")
    return 0

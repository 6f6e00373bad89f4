"""The scale benchmark: the whole `dbt build` beside a bare-DuckDB reference and a pandas peer.

    source scripts/_env.sh && OMP_NUM_THREADS=1 python bench/scale.py --customers 100000 1000000 \
        [--work DIR] [--keep] [--reuse-raw] [--sample 2000]

Per size, in one run and on the same raw files:

1. the demo shop is generated (``python -m shopper_scores.demo_data --seed 42``), timed on its
   own and excluded from every build figure (``--reuse-raw`` reuses a matching raw dir);
2. the **bare DuckDB reference**: one group-by of events.parquet into one row per customer with
   11 aggregates, materialised in a scratch DuckDB file with the profile's settings, in its own
   process;
3. the project's **`dbt build`** (``OMP_NUM_THREADS=1``) into a fresh warehouse, in its own process;
   its per-node times from ``target/run_results.json`` are grouped into stages by the folder of
   each node (``original_file_path`` in ``manifest.json``), never by model name: staging
   (models/staging), features (models/intermediate and the user_features mart), each Python
   model, other marts, tests (data and unit tests), seeds and hooks;
4. **publishing** the BI snapshot (``python -m shopper_scores.warehouse publish``) with a random
   key made for this run (``--demo`` accepts only the project's own data/demo directory);
5. the **pandas peer** (bench/pandas_user_features.py) at the build's scoring date, in its own
   process, then the **agreement check**: the customer sets of the peer and of the warehouse's
   user_features are equal, and for a deterministic sample of customers every column agrees
   (exact for integers, text and dates; doubles within a relative 1e-9). A disagreement is
   printed and makes the benchmark exit non-zero.

Peak RSS is measured per process: ``os.wait4`` returns the resource usage of that one child
(its largest resident set, including any process it waited for), so one measurement never
carries over to the next as the benchmark's own RUSAGE_CHILDREN would.

Without ``--keep`` each size's files are deleted once measured (the raw files stay with
``--reuse-raw``; a size whose generation or build failed keeps its files for inspection); the
logs and results.json stay in the work directory.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from shopper_scores.dbt_runner import PROJECT_DIR, dbt_command, dbt_env
from shopper_scores.demo_data import is_up_to_date

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import pandas_user_features as peer  # noqa: E402  (bench/ is not a package)

PYTHON = sys.executable
SEED = 42
GB = 1024**3
MEMORY_LIMIT = os.environ.get("SHOPPER_SCORES_MEMORY_LIMIT", "8GB")  # the profile's default
TARGETS = {  # the issue's targets (checked at 1M customers; printed at every size)
    "build_over_bare": 40.0, "build_rss_gb": 3.0, "features_over_bare": 10.0,
    "pandas_time_ratio": 5.0, "pandas_rss_ratio": 5.0, "rss_growth": 0.20,
}

BARE_REFERENCE_SQL = """
create or replace table customer_events as
select
    customer_id,
    count(*) as events,
    count(*) filter (where event_type = 'view') as view_events,
    count(*) filter (where event_type = 'search') as search_events,
    count(*) filter (where event_type = 'add_to_cart') as add_to_cart_events,
    count(*) filter (where event_type = 'remove_from_cart') as remove_from_cart_events,
    count(*) filter (where event_type = 'favorite') as favorite_events,
    count(*) filter (where event_type = 'checkout') as checkout_events,
    count(distinct session_id) as sessions,
    count(distinct product_id) as products,
    min(event_at) as first_event_at,
    max(event_at) as last_event_at
from read_parquet($events)
group by customer_id
"""


# ----------------------------------------------------------------------------- measuring
@dataclass
class Measured:
    """One child process: wall seconds, its peak resident set, exit code, where its output is."""

    wall_s: float
    peak_rss_bytes: int
    returncode: int
    log: str
    # (unix time, resident bytes) of the child, sampled while it ran: which step the peak falls in.
    rss_samples: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def peak_gb(self) -> float:
        return self.peak_rss_bytes / GB

    def tail(self, chars: int = 3000) -> str:
        return Path(self.log).read_text(errors="replace")[-chars:]


def _resident_bytes(pid: int) -> int | None:
    """The current resident set of ``pid`` (VmRSS in /proc; None once it has gone or off Linux)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def run_measured(command: list[str], *, env: dict, log: Path, sample_every_s: float | None = None) -> Measured:
    """Run one child with its output in ``log``; wait4 gives that child's own peak RSS (kB on Linux).

    With ``sample_every_s``, a thread also samples the child's resident set while it runs, so the
    peak can be placed in time (and, for dbt, in the nodes running then). The samples only locate
    the peak: wait4's figure is the measurement (a sample can miss a short spike).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    samples: list[tuple[float, int]] = []
    with open(log, "w") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(sample_every_s):
                rss = _resident_bytes(process.pid)
                if rss is not None:
                    samples.append((time.time(), rss))

        sampler = threading.Thread(target=sample, daemon=True) if sample_every_s else None
        if sampler:
            sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        if sampler:
            sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(wall, usage.ru_maxrss * 1024, process.returncode, str(log), samples)


# The reference runs as `python -c` with nothing but duckdb imported, so its time and memory are
# DuckDB's, not those of the benchmark's own imports (pandas, pyarrow, dbt helpers).
BARE_REFERENCE_CHILD = """
import json, sys, time
import duckdb
events, database, memory_limit, sql = sys.argv[1:5]
connection = duckdb.connect(database, config={"memory_limit": memory_limit})
connection.execute("set TimeZone = 'UTC'")  # as the profile (a connect-time TimeZone needs icu loaded first)
start = time.perf_counter()
connection.execute(sql, {"events": events})
query_s = time.perf_counter() - start
rows = connection.execute("select count(*) from customer_events").fetchone()[0]
columns = len(connection.execute("select * from customer_events limit 0").description)
connection.close()
print(json.dumps({"query_s": round(query_s, 3), "rows": rows, "columns": columns}))
"""


def last_json_line(log: str) -> dict:
    for line in reversed(Path(log).read_text(errors="replace").splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}


# ----------------------------------------------------------------------------- dbt artefacts
@dataclass
class Node:
    unique_id: str
    stage: str
    folder: str
    seconds: float
    status: str
    # When the node executed (unix time; None when run_results has no execute timing).
    started: float | None = None
    completed: float | None = None


def _execute_span(result: dict) -> tuple[float | None, float | None]:
    for step in result.get("timing") or []:
        if step.get("name") == "execute" and step.get("started_at") and step.get("completed_at"):
            parse = lambda text: datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()  # noqa: E731
            return parse(step["started_at"]), parse(step["completed_at"])
    return None, None


def node_peaks(nodes: list[Node], samples: list[tuple[float, int]]) -> list[tuple[Node, int]]:
    """Each node with the largest resident set sampled while it executed, largest first.

    dbt runs two nodes at once, so a sample belongs to every node running at that moment: the
    list says where the memory peak happens, not what each node alone would need.
    """
    peaks = []
    for node in nodes:
        if node.started is None:
            continue
        during = [rss for t, rss in samples if node.started <= t <= node.completed]
        if during:
            peaks.append((node, max(during)))
    return sorted(peaks, key=lambda pair: pair[1], reverse=True)


def _stage(unique_id: str, node: dict | None) -> tuple[str, str]:
    """(stage, folder) of a run_results node by resource type and file path, never by name."""
    kind = unique_id.split(".", 1)[0]
    if kind in ("test", "unit_test"):
        return "tests", ""
    if kind != "model" or node is None:
        return "seeds / hooks / other", ""
    path = node.get("original_file_path", "")
    folder = str(Path(path).parent)
    if node.get("language") == "python":
        return f"python model {node['name']}", folder
    if path.startswith("models/staging/"):
        return "staging", folder
    if path.startswith("models/intermediate/") or path == "models/marts/scores/user_features.sql":
        return "features", folder
    if path.startswith("models/marts/"):
        return "other marts", folder
    return "seeds / hooks / other", folder


def build_nodes(target: Path) -> tuple[list[Node], float]:
    """Every node of the build with its stage; and dbt's own elapsed time."""
    results = json.loads((target / "run_results.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    lookup = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    nodes = []
    for result in results["results"]:
        stage, folder = _stage(result["unique_id"], lookup.get(result["unique_id"]))
        nodes.append(Node(result["unique_id"], stage, folder, float(result.get("execution_time") or 0.0),
                          result.get("status", ""), *_execute_span(result)))
    return nodes, float(results.get("elapsed_time") or 0.0)


STAGE_ORDER = ["staging", "features", "other marts", "tests", "seeds / hooks / other"]


def stage_table(nodes: list[Node]) -> list[tuple[str, int, float]]:
    totals: dict[str, list] = {}
    for node in nodes:
        entry = totals.setdefault(node.stage, [0, 0.0])
        entry[0] += 1
        entry[1] += node.seconds
    python = sorted(s for s in totals if s.startswith("python model"))
    order = ["staging", "features", *python, "other marts", "tests", "seeds / hooks / other"]
    return [(s, totals[s][0], totals[s][1]) for s in order if s in totals]


# ----------------------------------------------------------------------------- sizes and rows
def dir_bytes(path: Path, top_level_only: bool = False) -> int:
    files = path.glob("*") if top_level_only else path.rglob("*")
    return sum(f.stat().st_size for f in files if f.is_file())


def file_bytes(path: Path) -> int:
    """A DuckDB file with its write-ahead log, if one was left."""
    wal = path.with_name(path.name + ".wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists())


def raw_rows(raw: Path) -> dict[str, int]:
    return {f.stem: pq.ParquetFile(f).metadata.num_rows for f in sorted(raw.glob("*.parquet"))}


def warehouse_rows(warehouse: Path) -> dict[str, int]:
    """Rows of every table and view of the warehouse, as schema.name (views are counted through)."""
    rows = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        relations = connection.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_catalog = current_database() order by table_schema, table_name").fetchall()
        for schema, name, kind in relations:
            count = connection.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            rows[f"{schema}.{name}" + (" (view)" if kind == "VIEW" else "")] = count
    return rows


def scoring_context(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        run_id, as_of, extracted = connection.execute(
            "select context_run_id, as_of_date, extracted_at from intermediate.int_scoring_context").fetchone()
    return {"context_run_id": str(run_id), "as_of_date": str(as_of), "extracted_at": str(extracted)}


# ----------------------------------------------------------------------------- agreement
def check_agreement(warehouse: Path, peer_file: Path, sample: int) -> tuple[bool, str]:
    """Customer sets equal (all customers), then every column of a deterministic sample."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        path = str(peer_file).replace("'", "''")  # a view cannot take a parameter
        connection.execute(f"create temp view peer_features as select customer_id from read_parquet('{path}')")
        only_w, only_p, w_rows, p_rows, p_distinct = connection.execute("""
            select
                (select count(*) from (select customer_id from main.user_features
                                       except select customer_id from peer_features)),
                (select count(*) from (select customer_id from peer_features
                                       except select customer_id from main.user_features)),
                (select count(*) from main.user_features),
                (select count(*) from peer_features),
                (select count(distinct customer_id) from peer_features)
        """).fetchone()
        # A deterministic sample: the same customers in every run on the same shop, whatever the engine.
        limit = "" if sample <= 0 else f"limit {int(sample)}"
        w = connection.execute(f"select * from main.user_features order by md5(customer_id), customer_id {limit}").df()
    chosen = w["customer_id"].astype(str).tolist()
    p = pd.read_parquet(peer_file, filters=[("customer_id", "in", chosen)]) if chosen else pd.read_parquet(peer_file)
    problems = []
    if only_w or only_p or p_rows != p_distinct:
        problems.append(f"customer sets differ: {only_w:,} only in the warehouse, {only_p:,} only in the peer, "
                        f"{p_rows - p_distinct:,} duplicated in the peer")
    result = peer.agreement(p, w)
    problems += result.problems
    if problems:
        return False, "DISAGREE:\n" + "\n".join(f"  - {line}" for line in problems)
    return True, (f"agree: {result.customers:,} customers × {result.columns} columns (a deterministic sample of the "
                  f"{w_rows:,} customers of user_features; the customer sets are equal; integers, text and dates "
                  f"exact, doubles within a relative {peer.REL_TOLERANCE:g})")


# ----------------------------------------------------------------------------- one size
@dataclass
class SizeResult:
    customers: int
    generate: Measured | None = None
    generate_reused: bool = False
    bare: Measured | None = None
    bare_detail: dict = field(default_factory=dict)
    build: Measured | None = None
    dbt_elapsed_s: float = 0.0
    nodes: list[Node] = field(default_factory=list)
    publish: Measured | None = None
    pandas: Measured | None = None
    pandas_detail: dict = field(default_factory=dict)
    context: dict = field(default_factory=dict)
    agree: bool | None = None
    agreement_text: str = ""
    raw_rows: dict = field(default_factory=dict)
    warehouse_rows: dict = field(default_factory=dict)
    raw_bytes: int = 0
    truth_bytes: int = 0
    warehouse_bytes: int = 0
    snapshot_bytes: int = 0
    failures: list[str] = field(default_factory=list)

    def stage_seconds(self, stage: str) -> float:
        return sum(n.seconds for n in self.nodes if n.stage == stage)

    @property
    def feature_layer_s(self) -> float:
        return self.stage_seconds("staging") + self.stage_seconds("features")


def run_size(n: int, work: Path, args: argparse.Namespace) -> SizeResult:
    result = SizeResult(customers=n)
    size_dir = work / f"customers_{n}"
    raw, logs = size_dir / "raw", work / "logs" / f"customers_{n}"
    warehouse, dbt_dir = size_dir / "warehouse.duckdb", size_dir / "dbt"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    if args.reuse_raw and is_up_to_date(raw, n_customers=n, seed=SEED):
        result.generate_reused = True
    else:
        shutil.rmtree(raw, ignore_errors=True)
        result.generate = run_measured(
            [PYTHON, "-m", "shopper_scores.demo_data", "--out", str(raw), "--customers", str(n), "--seed", str(SEED)],
            env=env, log=logs / "generate.log")
        if not result.generate.ok:
            result.failures.append(f"demo generation failed:\n{result.generate.tail()}")
            return result
    result.raw_rows = raw_rows(raw)
    result.raw_bytes = dir_bytes(raw, top_level_only=True)
    result.truth_bytes = dir_bytes(raw / "truth") if (raw / "truth").exists() else 0

    bare_db = size_dir / "bare_reference.duckdb"
    bare_db.unlink(missing_ok=True)
    result.bare = run_measured(
        [PYTHON, "-c", BARE_REFERENCE_CHILD, str(raw / "events.parquet"), str(bare_db), MEMORY_LIMIT, BARE_REFERENCE_SQL],
        env=env, log=logs / "bare_duckdb.log")
    result.bare_detail = last_json_line(result.bare.log)
    if not result.bare.ok:
        result.failures.append(f"bare DuckDB reference failed:\n{result.bare.tail()}")
    bare_db.unlink(missing_ok=True)

    for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(dbt_dir, ignore_errors=True)
    result.build = run_measured(dbt_command(["build"], raw_dir=raw, work_dir=dbt_dir),
                                env={**dbt_env(warehouse), "OMP_NUM_THREADS": "1"}, log=logs / "dbt_build.log",
                                sample_every_s=0.5)
    if (dbt_dir / "target" / "run_results.json").exists():
        result.nodes, result.dbt_elapsed_s = build_nodes(dbt_dir / "target")
    if not result.build.ok:
        failed = [n.unique_id for n in result.nodes if n.status not in ("success", "pass")]
        result.failures.append(f"dbt build failed (exit {result.build.returncode}; nodes not passing: {failed[:10]}):\n"
                               f"{result.build.tail()}")
        return result
    result.warehouse_bytes = file_bytes(warehouse)

    snapshot = size_dir / "warehouse_bi.duckdb"
    result.publish = run_measured(
        [PYTHON, "-m", "shopper_scores.warehouse", "publish", str(warehouse), "--target-path", str(dbt_dir / "target"),
         "--snapshot", str(snapshot)],
        # A throwaway key: the public demo key is refused for raw data outside data/demo.
        env={**env, "SHOPPER_SCORES_PSEUDONYM_KEY": secrets.token_hex(32)}, log=logs / "publish.log")
    if result.publish.ok:
        result.snapshot_bytes = file_bytes(snapshot)
    else:
        result.failures.append(f"publish failed:\n{result.publish.tail()}")

    result.context = scoring_context(warehouse)
    if args.skip_pandas_above is not None and n > args.skip_pandas_above:
        result.agreement_text = f"pandas peer not run (--skip-pandas-above {args.skip_pandas_above:,})"
        result.warehouse_rows = warehouse_rows(warehouse)
        _clean_up(size_dir, args)
        return result
    peer_file = size_dir / "pandas_user_features.parquet"
    peer_file.unlink(missing_ok=True)
    result.pandas = run_measured(
        [PYTHON, str(HERE / "pandas_user_features.py"), "--raw", str(raw), "--out", str(peer_file),
         "--as-of-date", result.context["as_of_date"], "--extracted-at", result.context["extracted_at"],
         "--context-run-id", result.context["context_run_id"]],
        env=env, log=logs / "pandas_peer.log")
    result.pandas_detail = last_json_line(result.pandas.log)
    if result.pandas.ok:
        result.agree, result.agreement_text = check_agreement(warehouse, peer_file, args.sample)
        if not result.agree:
            result.failures.append(result.agreement_text)
    else:
        hint = " (killed: out of memory?)" if result.pandas.returncode in (-9, 137) else ""
        result.failures.append(f"pandas peer failed (exit {result.pandas.returncode}){hint}:\n{result.pandas.tail()}")
    result.warehouse_rows = warehouse_rows(warehouse)
    _clean_up(size_dir, args)
    return result


def _clean_up(size_dir: Path, args: argparse.Namespace) -> None:
    """Without --keep, a size's files go once measured (its raw files stay with --reuse-raw)."""
    if args.keep:
        return
    for path in size_dir.iterdir():
        if path.name == "raw" and args.reuse_raw:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


# ----------------------------------------------------------------------------- printing
def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _fmt(value: float | None, spec: str = ".1f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def _met(value: float | None, target: float, at_most: bool) -> str:
    if value is None:
        return "n/a"
    return "met" if (value <= target if at_most else value >= target) else "**not met**"


def ratios(r: SizeResult) -> dict[str, float | None]:
    build_s = r.build.wall_s if r.build else None
    bare_s = r.bare.wall_s if r.bare and r.bare.ok else None
    pandas_ok = r.pandas is not None and r.pandas.ok
    return {
        "build_over_bare": _ratio(build_s, bare_s),
        "build_rss_gb": r.build.peak_gb if r.build else None,
        "features_over_bare": _ratio(r.feature_layer_s if r.nodes else None, bare_s),
        "pandas_time_ratio": _ratio(r.pandas.wall_s if pandas_ok else None, r.feature_layer_s if r.nodes else None),
        "pandas_rss_ratio": _ratio(r.pandas.peak_rss_bytes if pandas_ok else None,
                                   r.build.peak_rss_bytes if r.build else None),
    }


def print_size(r: SizeResult) -> None:
    out = []
    out.append(f"\n## {r.customers:,} customers\n")
    out.append("| step (own process) | wall s | peak RSS GB | detail |")
    out.append("|---|---|---|---|")
    if r.generate_reused:
        out.append("| generate demo shop (excluded from the build figures) | reused | – | `--reuse-raw` |")
    elif r.generate:
        out.append(f"| generate demo shop (excluded from the build figures) | {r.generate.wall_s:.1f} | "
                   f"{r.generate.peak_gb:.2f} | seed {SEED} |")
    if r.bare:
        d = r.bare_detail
        out.append(f"| bare DuckDB: one group-by of events.parquet | {r.bare.wall_s:.1f} | {r.bare.peak_gb:.2f} | "
                   f"query {_fmt(d.get('query_s'), '.2f')} s; {d.get('rows', 0):,} rows × {d.get('columns', 0)} columns |")
    if r.build:
        out.append(f"| dbt build | {r.build.wall_s:.1f} | {r.build.peak_gb:.2f} | dbt's own elapsed "
                   f"{r.dbt_elapsed_s:.1f} s, {len(r.nodes)} nodes |")
    if r.publish:
        out.append(f"| publish BI snapshot | {r.publish.wall_s:.1f} | {r.publish.peak_gb:.2f} | "
                   f"{'ok' if r.publish.ok else 'FAILED'} |")
    if r.pandas:
        d = r.pandas_detail
        detail = (f"read + clean {d.get('read_and_clean_s', 0):.1f} s, features {d.get('features_s', 0):.1f} s, "
                  f"write {d.get('write_s', 0):.1f} s; {d.get('rows', 0):,} rows" if r.pandas.ok else "FAILED")
        out.append(f"| pandas peer: user_features at as_of_date | {r.pandas.wall_s:.1f} | {r.pandas.peak_gb:.2f} | "
                   f"{detail} |")
    if r.nodes:
        out.append("\nStages of the dbt build: summed `execution_time` of its nodes (run_results.json). dbt runs "
                   "2 threads, so the sums can exceed the wall time.\n")
        out.append("| stage | nodes | summed node s | share |")
        out.append("|---|---|---|---|")
        total = sum(n.seconds for n in r.nodes) or 1.0
        for stage, count, seconds in stage_table(r.nodes):
            out.append(f"| {stage} | {count} | {seconds:.1f} | {seconds / total:.0%} |")
        out.append(f"| **feature layer** (staging + features) | | **{r.feature_layer_s:.1f}** | "
                   f"{r.feature_layer_s / total:.0%} |")
        out.append(f"| all nodes | {len(r.nodes)} | {total:.1f} | |")
        folders: dict[str, float] = {}
        for n in r.nodes:
            if n.stage == "features":
                folders[n.folder] = folders.get(n.folder, 0.0) + n.seconds
        out.append("\nfeatures stage by folder: " + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(folders.items())))
        slowest = sorted(r.nodes, key=lambda n: n.seconds, reverse=True)[:3]
        out.append("slowest nodes: " + "; ".join(f"{n.unique_id} {n.seconds:.1f} s" for n in slowest))
        if r.build and r.build.rss_samples:
            peaks = node_peaks(r.nodes, r.build.rss_samples)[:5]
            out.append("largest resident set sampled every 0.5 s while a node ran (two nodes run at once, so a "
                       "sample counts for both): " + "; ".join(
                           f"{n.unique_id.split('.')[-1]} {rss / GB:.2f} GB" for n, rss in peaks))
    rs = ratios(r)
    out.append("\n| measure | value | target |")
    out.append("|---|---|---|")
    out.append(f"| dbt build wall / bare DuckDB wall | {_fmt(rs['build_over_bare'], '.1f', '×')} | ≤ 40× "
               f"({_met(rs['build_over_bare'], TARGETS['build_over_bare'], True)}) |")
    out.append(f"| dbt build peak RSS | {_fmt(rs['build_rss_gb'], '.2f', ' GB')} | ≤ 3 GB "
               f"({_met(rs['build_rss_gb'], TARGETS['build_rss_gb'], True)}) |")
    out.append(f"| feature layer (summed node s) / bare DuckDB wall | {_fmt(rs['features_over_bare'], '.1f', '×')} | "
               f"≤ 10× ({_met(rs['features_over_bare'], TARGETS['features_over_bare'], True)}) |")
    out.append(f"| pandas peer wall / feature layer | {_fmt(rs['pandas_time_ratio'], '.2f', '×')} | ≥ 5× "
               f"({_met(rs['pandas_time_ratio'], TARGETS['pandas_time_ratio'], False)}) |")
    out.append(f"| pandas peer peak RSS / dbt build peak RSS | {_fmt(rs['pandas_rss_ratio'], '.2f', '×')} | ≥ 5× "
               f"({_met(rs['pandas_rss_ratio'], TARGETS['pandas_rss_ratio'], False)}) |")
    out.append("\nThe pandas peer computes user_features at the scoring date only; the project's feature layer "
               "also computes the features at every training cut-off and credit opening, and its staging "
               "keeps every rejected row with its reason.")
    if r.context:
        out.append(f"scoring context taken from the build's int_scoring_context: as_of_date {r.context['as_of_date']}, "
                   f"extracted_at {r.context['extracted_at']}.")
    if r.agreement_text:
        out.append(r.agreement_text)
    out.append(f"\nsizes: warehouse {r.warehouse_bytes / GB:.3f} GB, raw {r.raw_bytes / GB:.3f} GB (the tables "
               f"dbt reads; truth/ {r.truth_bytes / GB:.3f} GB beside, not read), BI snapshot "
               f"{r.snapshot_bytes / GB:.3f} GB")
    if r.raw_rows or r.warehouse_rows:
        out.append("\n| table | rows |")
        out.append("|---|---|")
        out += [f"| raw {k}.parquet | {v:,} |" for k, v in r.raw_rows.items()]
        out += [f"| {k} | {v:,} |" for k, v in r.warehouse_rows.items()]
    for failure in r.failures:
        out.append(f"\n**FAILURE**: {failure}")
    print("\n".join(out), flush=True)


def print_summary(results: list[SizeResult], machine: str) -> None:
    out = ["\n## Summary across sizes\n", machine, ""]
    out.append("| customers | raw events | dbt build s | dbt peak GB | dbt RSS vs previous size (≤ +20 % from 1M on) | bare DuckDB s | "
               "bare GB | build / bare (≤ 40) | feature layer s | feature / bare (≤ 10) | pandas s | pandas GB | "
               "pandas / feature time (≥ 5) | pandas RSS / dbt RSS (≥ 5) | agree | warehouse GB | raw GB | "
               "snapshot GB |")
    out.append("|" + "---|" * 18)
    previous = None
    for r in results:
        rs = ratios(r)
        growth = None
        if previous is not None and previous.build and r.build:
            growth = r.build.peak_rss_bytes / previous.build.peak_rss_bytes - 1
        pandas_ok = r.pandas is not None and r.pandas.ok
        cells = [
            f"{r.customers:,}", f"{r.raw_rows.get('events', 0):,}",
            _fmt(r.build.wall_s if r.build else None), _fmt(r.build.peak_gb if r.build else None, ".2f"),
            _fmt(None if growth is None else growth * 100, "+.0f", " %")
            + (f" ({_met(growth, TARGETS['rss_growth'], True)})" if growth is not None and previous.customers >= 1_000_000
               else ""),
            _fmt(r.bare.wall_s if r.bare else None, ".2f"), _fmt(r.bare.peak_gb if r.bare else None, ".2f"),
            _fmt(rs["build_over_bare"], ".1f", "×"), _fmt(r.feature_layer_s if r.nodes else None),
            _fmt(rs["features_over_bare"], ".1f", "×"), _fmt(r.pandas.wall_s if pandas_ok else None),
            _fmt(r.pandas.peak_gb if pandas_ok else None, ".2f"), _fmt(rs["pandas_time_ratio"], ".2f", "×"),
            _fmt(rs["pandas_rss_ratio"], ".2f", "×"),
            {True: "yes", False: "**no**", None: "n/a"}[r.agree],
            f"{r.warehouse_bytes / GB:.3f}", f"{r.raw_bytes / GB:.3f}", f"{r.snapshot_bytes / GB:.3f}",
        ]
        out.append("| " + " | ".join(cells) + " |")
        previous = r
    out.append("\nTargets (issue, at 1M customers): build ≤ 40× bare DuckDB and ≤ 3 GB; feature layer ≤ 10× bare "
               "DuckDB; pandas peer ≥ 5× slower and ≥ 5× more memory than the project; dbt peak RSS within 20 % "
               "between 1M and 5M customers. Feature layer = summed node time of the staging and features "
               "stages (2 dbt threads). Peak RSS = the largest resident set of that process (os.wait4).")
    print("\n".join(out), flush=True)


def machine_line(argv: list[str]) -> str:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GB
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_DIR, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = "?"
    from importlib.metadata import version
    return (f"machine: {platform.machine()} {platform.system()}, {os.cpu_count()} cores, {ram:.0f} GB RAM, "
            f"python {platform.python_version()}, duckdb {duckdb.__version__}, dbt-core {version('dbt-core')}, "
            f"pandas {pd.__version__}; date {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
            f"commit {commit}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; "
            f"command: python bench/scale.py {' '.join(argv)}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--work", type=Path, default=None, help="work directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep raw files, warehouses and snapshots")
    parser.add_argument("--reuse-raw", action="store_true", help="reuse a raw dir generated with the same size and seed")
    parser.add_argument("--sample", type=int, default=2000, help="customers compared value by value (0 = all)")
    parser.add_argument("--skip-pandas-above", type=int, default=None, metavar="N",
                        help="do not run the pandas peer above N customers (it holds every raw table in memory)")
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.customers):
        parser.error("--customers must be positive")
    work = (args.work or Path(tempfile.mkdtemp(prefix="shopper_scores_scale_"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    machine = machine_line(argv)
    print(f"# Scale benchmark\n\n{machine}\nwork directory: {work}", flush=True)
    results = []
    for n in sorted(set(args.customers)):
        result = run_size(n, work, args)
        print_size(result)
        results.append(result)
        (work / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=1, default=str))
    print_summary(results, machine)
    failed = [r.customers for r in results if r.failures]
    if failed:
        print(f"\nFAILED at {', '.join(f'{n:,}' for n in failed)} customers (see above; logs in {work / 'logs'})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

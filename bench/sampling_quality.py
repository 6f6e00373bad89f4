"""Quality of the purchasing-power models fitted on the SQL-drawn sample vs on every row.

    source scripts/_env.sh && OMP_NUM_THREADS=1 python bench/sampling_quality.py --customers 200000 --cap 50000

Builds the same demo shop twice, in the same run: once with caps so large that nothing is sampled
(every training row, weight 1) and once with training_sample_rows = --cap (stratified, weighted).
The evaluation cap stays above the window size in both, so both are scored on the whole, same
test window, which played no part in fitting or choosing. Prints one markdown table of the test
stage's metrics per model, side by side, with wall time and peak RSS of each build.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

from scale import run_measured  # bench/scale.py: one child, its own wall time and peak RSS
from shopper_scores.dbt_runner import dbt_command, dbt_env

METRICS = ["rmse", "mae", "spearman", "normalised_gini", "top_decile_capture", "mean_prediction"]
UNSAMPLED = 10**9


def _build(raw: Path, work: Path, name: str, training_rows: int, evaluation_rows: int) -> tuple[float, float, Path]:
    warehouse = work / f"{name}.duckdb"
    command = dbt_command(["build", "--select", "+ml_purchasing_power_training"], raw_dir=raw, work_dir=work / name,
                          extra_vars={"training_sample_rows": training_rows, "evaluation_sample_rows": evaluation_rows})
    env = {**dbt_env(warehouse), "OMP_NUM_THREADS": "1"}
    measured = run_measured(command, env=env, log=work / f"{name}.log")
    if measured.returncode != 0:
        raise SystemExit(f"dbt build ({name}) failed:\n{Path(measured.log).read_text()[-4000:]}")
    return measured.wall_s, measured.peak_rss_bytes / 1024**3, warehouse


def _test_rows(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.sql("select * from ml.ml_purchasing_power_training where stage = 'test'").df()
    return {row.model_name: row for row in frame.itertuples()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--cap", type=int, default=50_000, help="training_sample_rows of the sampled build")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--raw", type=Path, default=None, help="reuse this demo shop instead of generating one")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="shopper_scores_sampling_"))
    work.mkdir(parents=True, exist_ok=True)
    raw = args.raw or work / "raw"
    if args.raw is None:
        subprocess.run([sys.executable, "-m", "shopper_scores.demo_data", "--out", str(raw),
                        "--customers", str(args.customers), "--seed", "42"], check=True, capture_output=True)
    full_s, full_gb, full_wh = _build(raw, work, "unsampled", UNSAMPLED, UNSAMPLED)
    sample_s, sample_gb, sample_wh = _build(raw, work, "sampled", args.cap, UNSAMPLED)
    full, sampled = _test_rows(full_wh), _test_rows(sample_wh)
    print(f"{args.customers:,} customers; test window scored whole in both builds; "
          f"sampled build: training_sample_rows = {args.cap:,}\n")
    print("| model | n_train full | n_train sampled | n_eval | " + " | ".join(f"{m} full | {m} sampled" for m in METRICS) + " |")
    print("|---|---|---|---|" + "---|---|" * len(METRICS))
    for name in full:
        a, b = full[name], sampled[name]
        cells = " | ".join(f"{getattr(a, m):.4g} | {getattr(b, m):.4g}" for m in METRICS)
        print(f"| {name} | {a.n_train:,} | {b.n_train:,} | {a.n_eval:,} | {cells} |")
    print(f"\n| build | wall s | peak RSS GB |\n|---|---|---|\n| unsampled | {full_s:.1f} | {full_gb:.2f} |"
          f"\n| sampled ({args.cap:,}) | {sample_s:.1f} | {sample_gb:.2f} |")


if __name__ == "__main__":
    main()

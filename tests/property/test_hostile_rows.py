"""Row-level hostile input: every planted bad row is quarantined with its reason, nothing is lost,
and no NaN or infinity reaches a clean, intermediate or mart table.

Each example plants every fault class of ``hostile.FAULTS`` (1-3 rows each, the value drawn from
the class), a few multi-fault rows (expected: the first reason in ``hostile.PRECEDENCE``) and a
conflicting duplicate per table into one small shop, writes it as Parquet or CSV with the storage
variants a real export shows (timestamps as text, integer ids as floats, an extra undocumented
column, an optional column missing), and builds staging + features (``--exclude models/ml+``).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass

import duckdb
import pytest
from hypothesis import given, note, strategies as st

from .conftest import query, run_build, write_manifest
from .hostile import COMBINABLE, FAULTS, KEYS, Planter, Storage, write_table

pytestmark = pytest.mark.dbt

# A plant = (fault indices into FAULTS, the value choice of each); several indices = multi-fault row.
Plant = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class Plan:
    seed: int
    plants: tuple[Plant, ...]
    duplicates: tuple[str, ...]
    storage: tuple[tuple[str, Storage], ...]

    def __repr__(self) -> str:  # compact: the plants as fault names (the full plan is in the blob)
        names = Counter("+".join(f"{FAULTS[i].table}.{FAULTS[i].column}:{FAULTS[i].reason}" for i in ix)
                        for ix, _ in self.plants)
        multi = [name for name in names if "+" in name]
        return (f"Plan(seed={self.seed}, rows={sum(names.values())}, multi_fault={multi}, "
                f"duplicates={Counter(self.duplicates)}, storage={dict(self.storage)})")

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


def _multi_fault(table: str):
    columns = COMBINABLE[table]
    indices = [i for i, f in enumerate(FAULTS) if f.table == table and f.column in columns]
    by_column = {c: [i for i in indices if FAULTS[i].column == c] for c in columns}
    return (st.lists(st.sampled_from(columns), min_size=2, max_size=3, unique=True)
            .flatmap(lambda cs: st.tuples(*(st.sampled_from(by_column[c]) for c in cs)))
            .flatmap(lambda ix: st.tuples(st.just(tuple(ix)), st.tuples(*(st.integers(0, 5) for _ in ix)))))


@st.composite
def plans(draw) -> Plan:
    plants = []
    for index in range(len(FAULTS)):  # every class in every example: a few examples cover them all
        for copy in range(draw(st.integers(1, 3))):
            # Offset by the class's position, so that even the minimal example uses varied values.
            plants.append(((index,), (draw(st.integers(0, 5)) + index + copy,)))
    plants += draw(st.lists(st.sampled_from(sorted(COMBINABLE)).flatmap(_multi_fault), min_size=3, max_size=10))
    duplicates = tuple(table for table in sorted(KEYS) for _ in range(draw(st.integers(1, 2))))
    # Every export variant on in the minimal example (the one a one-example CI run sees).
    variant = st.booleans().map(lambda off: not off)
    storage = tuple((table, draw(st.builds(Storage, variant, variant, variant, variant))) for table in sorted(KEYS))
    return Plan(draw(st.integers(0, 2**32 - 1)), tuple(plants), duplicates, storage)


def _plant(clean_shop, plan: Plan):
    shop = clean_shop.copy()
    planter = Planter(shop, random.Random(plan.seed))
    for indices, choices in plan.plants:
        planter.plant([FAULTS[i] for i in indices], list(choices))
    for table in plan.duplicates:
        planter.duplicate(table)
    planter.shuffle()
    return shop


def failed_nodes(result) -> list[str]:
    """dbt's summary lines of what failed (each failure and the count line that follows it)."""
    if result.returncode == 0:
        return []
    lines = [re.sub(r"^\d\d:\d\d:\d\d\s+", "", re.sub(r"\x1b\[[0-9;]*m", "", line)).strip()
             for line in (result.stdout + result.stderr).splitlines()]
    found = [f"{line} {lines[i + 1] if i + 1 < len(lines) else ''}" for i, line in enumerate(lines)
             if line.startswith(("Failure in", "Error in", "Runtime Error", "Compilation Error"))]
    return found or [f"exit {result.returncode}: " + " | ".join(lines[-15:])]


NUMERIC_OR_TIME = ("DOUBLE", "FLOAT", "REAL", "TIMESTAMP", "DATE", "TIMESTAMP WITH TIME ZONE")


def non_finite_cells(work_dir) -> list[str]:
    """Columns of the built stg_ / int_ / mart relations holding NaN or +-infinity (one query per relation)."""
    found = []
    with duckdb.connect(str(work_dir / "warehouse.duckdb"), read_only=True) as connection:
        columns = connection.execute(f"""
            select table_schema, table_name, column_name, data_type from information_schema.columns
            where table_schema in ('staging', 'intermediate', 'main')
              and not starts_with(table_name, 'base_')
              and data_type in {NUMERIC_OR_TIME!r}
        """).fetchall()
        by_relation = {}
        for schema, table, column, data_type in columns:
            test = f'isinf("{column}")' if data_type.startswith(("TIMESTAMP", "DATE")) else \
                f'(isnan("{column}") or isinf("{column}"))'
            by_relation.setdefault((schema, table), []).append((column, f"count(*) filter (where {test})"))
        for (schema, table), tests in by_relation.items():
            counts = connection.execute(f'select {", ".join(t for _, t in tests)} from "{schema}"."{table}"').fetchone()
            found += [f"{schema}.{table}.{column}: {n} rows" for (column, _), n in zip(tests, counts) if n]
    return found


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
@given(plan=plans())
def test_every_planted_row_is_quarantined_with_its_reason(clean_shop, workspace, file_format, plan):
    shop = _plant(clean_shop, plan)
    work_dir, raw = workspace(file_format)
    storage = dict(plan.storage)
    written = {table: write_table(shop, table, raw / f"{table}.{file_format}", file_format, storage[table])
               for table in shop.tables}
    write_manifest(raw, file_format)

    result = run_build(["build", "--exclude", "models/ml+"], raw=raw, work_dir=work_dir, file_format=file_format)
    # A failed build is one problem among the others: the quarantine is checked whenever it was built.
    problems = [f"the build failed (row-level faults must be quarantined, not stop it): {line}"
                for line in failed_nodes(result)]
    try:
        quarantined = query(work_dir, "select source_table, row_key, rejection_reason from main.quarantined_rows")
    except duckdb.Error as error:  # the build stopped before the quarantine: nothing more to check
        raise AssertionError("\n".join([*problems, str(error)])) from None
    actual = Counter(map(tuple, quarantined.itertuples(index=False)))
    reasons_of = {}
    for table, key, reason in actual:
        reasons_of.setdefault((table, key), []).append(reason)
    expected = Counter((t, k, r) for t, k, r in shop.planted if r is not None)
    wrong = Counter()
    for (table, key, reason), n in (expected - actual).items():
        got = ",".join(sorted(reasons_of.get((table, key), []))) or "clean"
        wrong[(table, reason, got)] += n
        note(f"{table} {key}: expected {reason}, got {got}")
    problems += [f"{n} x {table}: expected {reason}, got {got}" for (table, reason, got), n in sorted(wrong.items())]
    planted_keys = {(t, k) for t, k, _ in shop.planted}
    problems += [f"{n} x {table} {key}: quarantined as {reason}, a row not planted" for (table, key, reason), n in
                 sorted((actual - expected).items()) if (table, key) not in planted_keys]
    for table, key, reason in shop.planted:
        if reason is None and (table, key) in reasons_of:
            problems.append(f"{table} {key}: valid odd row quarantined as {reasons_of[(table, key)]}")

    accounting = query(work_dir, "select * from main.raw_row_accounting").set_index("source_table")
    for table, n in written.items():
        row = accounting.loc[table]
        if not (row["raw_rows"] == n == row["clean_rows"] + row["quarantined_rows"]):
            problems.append(f"accounting {table}: file {n}, raw {row['raw_rows']}, clean {row['clean_rows']}, "
                            f"quarantined {row['quarantined_rows']}")

    for table, column, key, instant in shop.zone_checks:
        key_columns = KEYS[table]
        where = " and ".join(f"cast({c} as varchar) = '{part}'" for c, part in zip(key_columns, key.split("|")))
        got = query(work_dir, f"select {column} as v from staging.stg_shop__{table} where {where}")["v"]
        if len(got) != 1 or got[0].to_pydatetime() != instant:
            problems.append(f"{table} {key}.{column}: a value with a UTC offset should stage as {instant}, got {list(got)}")

    problems += [f"non-finite value in {cell}" for cell in non_finite_cells(work_dir)]
    assert not problems, f"{len(problems)} problem(s) ({file_format}):\n" + "\n".join(problems)

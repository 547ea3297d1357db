"""Compare a `neuromem compare` output folder with a saved one, outside the timing columns.

Usage: python tools/check_compare_baseline.py BASELINE NEW

The rows of the three candidates that issue 19 leaves out must be absent from NEW;
every other row, and the tables of the study folders, must be identical outside timing.
"""

import csv
import json
import sys
from pathlib import Path

TIMING = {"store_ms", "recall_ms", "cost_s", "cpu_s", "task_s", "elapsed_s", "glyphs_s"}
REMOVED = {"hopfield-backprop", "hopfield-temporal-hebbian", "sequence"}


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def strip(row):
    return {k: v for k, v in row.items() if k not in TIMING}


def check_table(name, base, new):
    cols_b, rows_b = read(base / name)
    cols_n, rows_n = read(new / name)
    if cols_b != cols_n:
        print(name, "columns differ:", cols_b, cols_n)
        return False
    kept = [strip(r) for r in rows_b if r["model"] not in REMOVED]
    got = [strip(r) for r in rows_n]
    extra = [r for r in rows_n if r["model"] in REMOVED]
    same = kept == got
    print(
        f"{name}: baseline {len(rows_b)} rows ({len(rows_b) - len(kept)} of removed "
        f"models), new {len(rows_n)}; identical outside timing: {same}; removed rows "
        f"in new: {len(extra)}"
    )
    for i, (a, b) in enumerate(zip(kept, got, strict=False)):
        if a != b:
            diff = {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)}
            print("  first differing row", i, a["model"], diff)
            break
    return same and not extra


def check_study(study, base, new):
    ok = True
    for f in sorted((base / study).glob("*.csv")):
        cols_b, rows_b = read(f)
        cols_n, rows_n = read(new / study / f.name)
        same = cols_b == cols_n and [strip(r) for r in rows_b] == [strip(r) for r in rows_n]
        print(f"{study}/{f.name}: {len(rows_b)} rows, identical outside timing: {same}")
        ok &= same
    for f in sorted((base / study).glob("summary.json")):
        same = json.loads(f.read_text()) == json.loads((new / study / f.name).read_text())
        print(f"{study}/{f.name}: identical: {same}")
        ok &= same
    return ok


def main(base, new):
    ok = all([check_table(n, base, new) for n in ("summary.csv", "evaluations.csv")])
    ok &= all([check_study(s, base, new) for s in ("sequence", "consolidation")])
    print("ALL IDENTICAL" if ok else "DIFFERENCES FOUND")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))

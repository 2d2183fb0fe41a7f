#!/usr/bin/env python3
"""The pandas baseline of `genie-gitops bench`: compare two query results the way a Python
evaluator typically does, by sorting and hashing rows.

Usage: pandas_compare.py GOLD.csv ACTUAL.csv

Both files are read as text first (not timed: genie-gitops receives its results already in
memory). The timed part is what a comparison needs: typed normalization (numbers, dates),
sorting the rows of each side by every column, hashing each row and comparing the two sorted
hash sequences. Like genie-gitops' comparator (src/bench/compare.rs), the comparison is
repeated on fresh copies of the text frames until half a second of timed work has passed
(once for a large pair), and the means are reported. Prints one JSON object: {"seconds": ...,
"cpu_seconds": ..., "runs": ..., "rows": ..., "mismatched_rows": ...} (mean wall-clock and
process CPU time of the timed part).
Exits 3 when pandas is missing, 2 on bad arguments.
"""

import json
import sys
import time

try:
    import pandas as pd
except ImportError:
    print("pandas is not installed", file=sys.stderr)
    sys.exit(3)

# Repeat until this many seconds of timed work, at most MAX_RUNS times (as the Rust side does).
MEASURE_AT_LEAST = 0.5
MAX_RUNS = 1000

NUMERIC = ["id", "amount", "nights"]
DATES = ["day"]


def normalize(frame):
    """Typed values in a fixed column order."""
    for column in NUMERIC:
        frame[column] = pd.to_numeric(frame[column])
    for column in DATES:
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d")
    return frame[sorted(frame.columns)]


def sorted_row_hashes(frame):
    """The row hashes of the frame sorted by every column."""
    ordered = frame.sort_values(by=list(frame.columns), kind="mergesort")
    return pd.util.hash_pandas_object(ordered, index=False).to_numpy()


def compare(gold, actual):
    """How many rows differ, by sorted row hashes."""
    gold_hashes = sorted_row_hashes(normalize(gold))
    actual_hashes = sorted_row_hashes(normalize(actual))
    if len(gold_hashes) == len(actual_hashes):
        return int((gold_hashes != actual_hashes).sum())
    return abs(len(gold_hashes) - len(actual_hashes))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    gold = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
    actual = pd.read_csv(sys.argv[2], dtype=str, keep_default_na=False)
    seconds = cpu_seconds = 0.0
    runs = 0
    while True:
        # Not timed: normalize() converts the columns of its frame in place.
        gold_run, actual_run = gold.copy(), actual.copy()
        started = time.perf_counter()
        cpu_started = time.process_time()
        mismatched = compare(gold_run, actual_run)
        seconds += time.perf_counter() - started
        cpu_seconds += time.process_time() - cpu_started
        runs += 1
        if seconds >= MEASURE_AT_LEAST or runs >= MAX_RUNS:
            break
    print(json.dumps({
        "seconds": seconds / runs,
        "cpu_seconds": cpu_seconds / runs,
        "runs": runs,
        "rows": len(gold),
        "mismatched_rows": mismatched,
    }))


if __name__ == "__main__":
    main()

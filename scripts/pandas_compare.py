#!/usr/bin/env python3
"""The pandas baseline of `genie-gitops bench`: compare two query results the way a Python
evaluator typically does, by sorting and hashing rows.

Usage: pandas_compare.py GOLD.csv ACTUAL.csv

Both files are read as text first (not timed: genie-gitops receives its results already in
memory). The timed part is what a comparison needs: typed normalization (numbers, dates),
sorting the rows of each side by every column, hashing each row and comparing the two sorted
hash sequences. Prints one JSON object: {"seconds": ..., "cpu_seconds": ..., "rows": ...,
"mismatched_rows": ...} (wall-clock and process CPU time of the timed part).
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


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    gold = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
    actual = pd.read_csv(sys.argv[2], dtype=str, keep_default_na=False)
    started = time.perf_counter()
    cpu_started = time.process_time()
    gold_hashes = sorted_row_hashes(normalize(gold))
    actual_hashes = sorted_row_hashes(normalize(actual))
    if len(gold_hashes) == len(actual_hashes):
        mismatched = int((gold_hashes != actual_hashes).sum())
    else:
        mismatched = abs(len(gold_hashes) - len(actual_hashes))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    print(json.dumps({
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rows": len(gold),
        "mismatched_rows": mismatched,
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Polyclear's set-off against Google OR-Tools' min-cost flow, on the same CSV files.

    python3 bench/ortools-net.py [--polyclear PATH] [--runs N] FILE.csv [FILE.csv ...]

Make the files with `polyclear bench net --shape all --parties 10000 --obligations 1000000
--write-csv DIR`. On first use the script makes a virtual environment (bench/.venv-ortools,
ignored by git), installs `ortools` from PyPI into it and runs itself there.

For each file it runs, one after the other on the same machine:
  - `polyclear net FILE --out OUT` as a whole process (wall clock), reading the parse, solve
    and certify times and the optimal set-off from its output;
  - OR-Tools' SimpleMinCostFlow on the same formulation (obligations merged by ordered pair,
    one arc each with capacity = amount and cost 1; each party's supply its net position) in
    a process of its own, timing the solve alone and the whole process (Python start, CSV
    reading, building, solving).
With --runs N the two alternate N times per file and each figure is the median of its N runs
(a shared machine's runs of the same binary differ by a third; medians of alternating runs keep
one slow moment from deciding a ratio).
Set-off = gross - minimum cost. The two optimal values must be equal; the script exits 1 if not.
"""

import argparse
import os
import statistics
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(HERE, ".venv-ortools")


def ensure_venv():
    """Re-runs this script in a virtual environment that has ortools."""
    python = os.path.join(VENV, "bin", "python")
    if os.path.abspath(sys.prefix) == os.path.abspath(VENV):
        return
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "ortools"], check=True)
    os.execv(python, [python] + sys.argv)


def solve_with_ortools(path):
    """Reads the CSV, solves, prints 'gross cost read_s build_s solve_s' (run in its own process)."""
    import numpy as np
    from ortools.graph.python import min_cost_flow

    start = time.perf_counter()
    party_index = {}
    pair_index = {}
    tails, heads, capacities = [], [], []
    gross = 0
    with open(path, newline="") as handle:
        for number, line in enumerate(handle):
            cells = line.rstrip("\r\n").split(",")
            if number == 0 and cells[0] == "id":
                continue
            if len(cells) < 4:
                continue
            debtor = party_index.setdefault(cells[1].strip(), len(party_index))
            creditor = party_index.setdefault(cells[2].strip(), len(party_index))
            amount = int(cells[3])
            gross += amount
            key = (debtor, creditor)
            pair = pair_index.get(key)
            if pair is None:
                pair_index[key] = len(tails)
                tails.append(debtor)
                heads.append(creditor)
                capacities.append(amount)
            else:
                capacities[pair] += amount
    read = time.perf_counter()
    supply = np.zeros(len(party_index), dtype=np.int64)
    tails_array = np.array(tails, dtype=np.int32)
    heads_array = np.array(heads, dtype=np.int32)
    capacity_array = np.array(capacities, dtype=np.int64)
    np.add.at(supply, tails_array, capacity_array)
    np.subtract.at(supply, heads_array, capacity_array)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails_array, heads_array, capacity_array, np.ones(len(tails), dtype=np.int64))
    flow.set_nodes_supplies(np.arange(len(party_index), dtype=np.int32), supply)
    built = time.perf_counter()
    status = flow.solve()
    solved = time.perf_counter()
    if status != flow.OPTIMAL:
        sys.exit(f"OR-Tools: status {status} on {path}")
    print(gross, flow.optimal_cost(), read - start, built - read, solved - built)


def run_polyclear(binary, path):
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        done = subprocess.run(
            [binary, "net", path, "--out", os.path.join(directory, "split.csv")],
            capture_output=True, text=True)
        whole = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"polyclear net failed on {path}: {done.stderr}")
    out = done.stdout

    def number(pattern):
        match = re.search(pattern, out)
        if not match:
            sys.exit(f"unexpected polyclear output: {out}")
        return float(match.group(1))

    return {
        "parse": number(r"parties in ([0-9.]+) ms") / 1e3,
        "solve": number(r"solve ([0-9.]+) ms") / 1e3,
        "certify": number(r"certify and split ([0-9.]+) ms") / 1e3,
        "setoff": int(number(r"optimal set-off ([0-9]+)")),
        "proven": "certificate proven" in out,
        "whole": whole,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--polyclear", default=os.path.join(HERE, "..", ".build-release", "release", "polyclear"))
    parser.add_argument("--runs", type=int, default=1, help="alternating runs per file; medians are reported")
    parser.add_argument("--ortools-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="+")
    arguments = parser.parse_args()
    ensure_venv()
    if arguments.ortools_only:
        solve_with_ortools(arguments.files[0])
        return
    print("file | Polyclear parse, solve, certify, whole (s) | OR-Tools solve, whole (s) | "
          "whole / OR-Tools solve | solve+certify / OR-Tools solve | set-off equal")
    failed = False
    for path in arguments.files:
        runs = []
        for _ in range(max(1, arguments.runs)):
            ours = run_polyclear(arguments.polyclear, path)
            start = time.perf_counter()
            done = subprocess.run([sys.executable, __file__, "--ortools-only", path], capture_output=True, text=True)
            theirs_whole = time.perf_counter() - start
            if done.returncode != 0:
                sys.exit(f"OR-Tools run failed on {path}: {done.stderr}")
            gross, cost, _, _, theirs_solve = done.stdout.split()
            runs.append((ours, theirs_whole, float(theirs_solve)))
        ours = {key: statistics.median(run[0][key] for run in runs) for key in ("parse", "solve", "certify", "whole")}
        ours["setoff"] = runs[0][0]["setoff"]
        ours["proven"] = all(run[0]["proven"] and run[0]["setoff"] == ours["setoff"] for run in runs)
        theirs_whole = statistics.median(run[1] for run in runs)
        theirs_solve = statistics.median(run[2] for run in runs)
        theirs_setoff = int(gross) - int(cost)
        equal = theirs_setoff == ours["setoff"] and ours["proven"]
        failed |= not equal
        print(f"{os.path.basename(path)} | {ours['parse']:.3f}, {ours['solve']:.3f}, {ours['certify']:.3f}, "
              f"{ours['whole']:.3f} | {float(theirs_solve):.3f}, {theirs_whole:.3f} | "
              f"{ours['whole'] / float(theirs_solve):.2f} | "
              f"{(ours['solve'] + ours['certify']) / float(theirs_solve):.2f} | "
              f"{'yes' if equal else 'NO'} ({ours['setoff']} vs {theirs_setoff})", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Builds the Cloud Monitoring development corpus of NAB round 9 (docs/anomaly-detection.md §7.1) in NAB's layout.

Microsoft's Cloud Monitoring Dataset (github.com/microsoft/cloud-monitoring-dataset, MIT licence): 60 real
production series (its README says 67) in 9 folders (8 domains: crash rates come in two folders), labelled point by point by the services' engineers, none of them part of NAB.
Most are hourly (crash rates, purchase counts, API latency and request rates), some per minute (ingress and
MongoDB request rates, service-unavailable counts); six carry no label at all, to test false alerts.

Each source file is data/<domain>/<name>.csv with the columns TimeStamp, Value, Label (0/1); some files quote
their fields and end lines with CRLF, some times end in "Z" or "+00:00" (all are read as UTC). A few hourly
files repeat a time: the first row of a time is kept and the repeats are dropped, with a warning naming the
file and line when a dropped row differs (in app1-04, app1-08 and api-01 some do: a label 1 then 0, or another
value). Each run of labelled points becomes a NAB window exactly as
external_kpi_corpus.py sizes them (10% of the file split among the runs, merged where they overlap). The folder
becomes the NAB category, so `--per-file` lists domain/name.csv.

Usage:
  git clone https://github.com/microsoft/cloud-monitoring-dataset /tmp/cmd
  Benchmarks/cloud_monitoring_corpus.py /tmp/cmd /tmp/cmd-corpus
  tally-nab score --nab /tmp/cmd-corpus --held-out --per-file    # "all" is the corpus score

The data stay outside the repository; only this script is committed.
"""
import csv
import datetime
import io
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from external_kpi_corpus import git_dir_of, read_committed, write_series, write_windows  # noqa: E402


def committed_csv_files(repo):
    listing = subprocess.run(["git", "--git-dir", git_dir_of(repo), "ls-tree", "-r", "--name-only", "HEAD", "data"],
                             capture_output=True, text=True, check=True).stdout
    return sorted(path for path in listing.splitlines() if path.endswith(".csv"))


def read_rows(repo, path):
    """(time, value text, label) per row, repeated times dropped, with file:line errors."""
    text = read_committed(repo, path)
    records = list(csv.reader(io.StringIO(text)))
    if not records or [field.strip() for field in records[0]] != ["TimeStamp", "Value", "Label"]:
        sys.exit(f"{path}:1: expected the header TimeStamp,Value,Label")
    rows = []
    for number, fields in enumerate(records[1:], start=2):
        if len(fields) != 3:
            sys.exit(f"{path}:{number}: expected 3 fields, found {len(fields)}")
        try:
            stamp = datetime.datetime.fromisoformat(fields[0].strip().replace("Z", "+00:00"))
        except ValueError:
            sys.exit(f"{path}:{number}: column TimeStamp: {fields[0]!r} is not an ISO 8601 time")
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        label = {"0": 0, "1": 1}.get(fields[2].strip())
        if label is None:
            sys.exit(f"{path}:{number}: column Label: expected 0 or 1, found {fields[2]!r}")
        if rows and stamp == rows[-1][0]:
            if (fields[1].strip(), label) != rows[-1][1:]:
                print(f"{path}:{number}: repeats time {stamp} with value {fields[1].strip()} and label {label}; "
                      f"the first row's ({rows[-1][1]}, {rows[-1][2]}) is kept", file=sys.stderr)
            continue
        if rows and stamp < rows[-1][0]:
            sys.exit(f"{path}:{number}: time {stamp} is earlier than the row before")
        rows.append((stamp, fields[1].strip(), label))
    return rows


def nab_text(stamp):
    return stamp.strftime("%Y-%m-%d %H:%M:%S")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: cloud_monitoring_corpus.py CLOUD_MONITORING_REPO OUT_DIR")
    repo, out = sys.argv[1], sys.argv[2]
    windows = {}
    for path in committed_csv_files(repo):
        rows = read_rows(repo, path)
        folder, name = path.split("/")[-2:]
        write_series(out, f"{folder}/{name}", [nab_text(t) for t, _, _ in rows], [v for _, v, _ in rows],
                     [label for _, _, label in rows], windows)
    write_windows(out, windows)


if __name__ == "__main__":
    main()

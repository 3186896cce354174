#!/usr/bin/env python3
"""Builds the Cloud Monitoring development corpus of NAB round 9 (docs/anomaly-detection.md §7.1) in NAB's layout.

Microsoft's Cloud Monitoring Dataset (github.com/microsoft/cloud-monitoring-dataset, MIT licence): 67 real
production series in 8 domains, labelled point by point by the services' engineers, none of them part of NAB.
Most are hourly (crash rates, purchase counts, API latency and request rates), some per minute (ingress and
MongoDB request rates, service-unavailable counts); six carry no label at all, to test false alerts.

Each source file is data/<domain>/<name>.csv with the columns TimeStamp, Value, Label (0/1); some files quote
their fields and end lines with CRLF, some times end in "Z" or "+00:00" (all are read as UTC). A few hourly files repeat rows: a row whose time equals the previous row's is dropped
(the repeats seen have the same value and label). Each run of labelled points becomes a NAB window exactly as
external_kpi_corpus.py sizes them (10% of the file split among the runs, merged where they overlap). The domain
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
from external_kpi_corpus import write_series, write_windows  # noqa: E402


def git_dir_of(repo):
    """The git directory of a checkout or of a bare mirror."""
    return os.path.join(repo, ".git") if os.path.isdir(os.path.join(repo, ".git")) else repo


def committed_csv_files(git_dir):
    listing = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "--name-only", "HEAD", "data"],
                             capture_output=True, text=True, check=True).stdout
    return sorted(path for path in listing.splitlines() if path.endswith(".csv"))


def read_rows(git_dir, path):
    """(time, value text, label) per row, repeated times dropped, with file:line errors."""
    text = subprocess.run(["git", "--git-dir", git_dir, "show", "HEAD:" + path],
                          capture_output=True, text=True, check=True).stdout
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
        label = int(fields[2])
        if label not in (0, 1):
            sys.exit(f"{path}:{number}: column Label: expected 0 or 1, found {fields[2]}")
        if rows and stamp == rows[-1][0]:
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
    git_dir, out = git_dir_of(sys.argv[1]), sys.argv[2]
    windows = {}
    for path in committed_csv_files(git_dir):
        rows = read_rows(git_dir, path)
        domain, name = path.split("/")[-2:]
        write_series(out, f"{domain}/{name}", [nab_text(t) for t, _, _ in rows], [v for _, v, _ in rows],
                     [label for _, _, label in rows], windows)
    write_windows(out, windows)


if __name__ == "__main__":
    main()

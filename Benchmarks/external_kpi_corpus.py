#!/usr/bin/env python3
"""Builds the external development corpus of NAB round 7 (docs/anomaly-detection.md §7.1) in NAB's layout.

Four real five-minute KPIs with operators' point labels, from two MIT-licensed repositories of the NetManAIOps group
(Tsinghua University), none of them part of NAB:

  NetManAIOps/donut  sample_data/cpu4.csv                          -> kpi/cpu4.csv
  NetManAIOps/donut  sample_data/server_res_eth1out_curve_6.csv    -> kpi/eth1out_6.csv
  NetManAIOps/donut  sample_data/server_res_eth1out_curve_61.csv   -> kpi/eth1out_61.csv
  NetManAIOps/Bagel  sample_data.csv                               -> kpi/bagel_sample.csv

Each source file has the columns timestamp (Unix seconds), value, label (0/1). The labels mark segments of
anomalous points; NAB marks windows around anomalies, so each labelled segment becomes a window the way NAB sizes
them: 10% of the file's length split equally among the segments, centred on the segment's first point, stretched
to cover the whole segment, and merged with an overlapping neighbour.

Usage:
  git clone https://github.com/NetManAIOps/donut /tmp/donut
  git clone https://github.com/NetManAIOps/Bagel /tmp/bagel
  Benchmarks/external_kpi_corpus.py /tmp/donut /tmp/bagel /tmp/ext-corpus
  tally-nab score --nab /tmp/ext-corpus --held-out --per-file    # "all" is the corpus score

The data stay outside the repository; only this script is committed.
"""
import datetime
import json
import os
import subprocess
import sys

SOURCES = [
    ("donut", "sample_data/cpu4.csv", "kpi/cpu4.csv"),
    ("donut", "sample_data/server_res_eth1out_curve_6.csv", "kpi/eth1out_6.csv"),
    ("donut", "sample_data/server_res_eth1out_curve_61.csv", "kpi/eth1out_61.csv"),
    ("bagel", "sample_data.csv", "kpi/bagel_sample.csv"),
]


def git_dir_of(repo):
    """The git directory of a checkout, or the repository itself when it is one (a bare mirror, a .git folder)."""
    return os.path.join(repo, ".git") if os.path.isdir(os.path.join(repo, ".git")) else repo


def read_committed(repo, path):
    """The file as committed at HEAD (works on a bare mirror as well as a checkout)."""
    return subprocess.run(["git", "--git-dir", git_dir_of(repo), "show", "HEAD:" + path],
                          capture_output=True, text=True, check=True).stdout


def nab_time(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def labelled_segments(labels):
    """(first, last) row of each run of label 1."""
    segments, i = [], 0
    while i < len(labels):
        if labels[i]:
            j = i
            while j < len(labels) and labels[j]:
                j += 1
            segments.append((i, j - 1))
            i = j
        else:
            i += 1
    return segments


def windows_for(segments, count):
    """NAB-sized windows (rows) around the segments, merged where they overlap."""
    width = int(0.1 * count / max(len(segments), 1))
    spans = []
    for first, last in segments:
        lo, hi = max(0, first - width // 2), min(count - 1, max(first + width // 2, last))
        if spans and lo <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], hi)
        else:
            spans.append([lo, hi])
    return spans


def write_series(out, key, stamps, values, labels, windows):
    """Writes OUT/data/KEY in NAB's CSV layout (stamps as YYYY-MM-DD HH:MM:SS) and adds KEY's windows to `windows`."""
    path = os.path.join(out, "data", key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("timestamp,value\n")
        f.writelines(f"{stamp},{value}\n" for stamp, value in zip(stamps, values))
    segments = labelled_segments(labels)
    spans = windows_for(segments, len(stamps))
    windows[key] = [[stamps[lo] + ".000000", stamps[hi] + ".000000"] for lo, hi in spans]
    print(f"{key}: {len(stamps)} points, {len(segments)} labelled segments, {len(spans)} windows")


def write_windows(out, windows):
    """Writes OUT/labels/combined_windows.json, NAB's label file."""
    os.makedirs(os.path.join(out, "labels"), exist_ok=True)
    with open(os.path.join(out, "labels", "combined_windows.json"), "w") as f:
        json.dump(windows, f, indent=1)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: external_kpi_corpus.py DONUT_REPO BAGEL_REPO OUT_DIR")
    repos = {"donut": sys.argv[1], "bagel": sys.argv[2]}
    out = sys.argv[3]
    windows = {}
    for repo, path, key in SOURCES:
        lines = read_committed(repos[repo], path).splitlines()
        if not lines or lines[0].strip() != "timestamp,value,label":
            sys.exit(f"{repo}:{path}: expected the header 'timestamp,value,label'")
        times, values, labels = [], [], []
        for number, line in enumerate(lines[1:], start=2):
            fields = line.split(",")
            if len(fields) != 3:
                sys.exit(f"{repo}:{path}:{number}: expected 3 fields, found {len(fields)}")
            times.append(int(fields[0]))
            values.append(fields[1])
            labels.append(int(fields[2]))
        write_series(out, key, [nab_time(t) for t in times], values, labels, windows)
    write_windows(out, windows)


if __name__ == "__main__":
    main()

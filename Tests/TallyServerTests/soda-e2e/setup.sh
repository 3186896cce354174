#!/usr/bin/env bash
# Builds, once, the Python virtualenv the Soda end-to-end test runs: soda-core 3.5.6 and soda-core-duckdb 3.5.6,
# plus soda-core-scientific 3.5.6 (anomaly detection: Prophet) when it installs.
#
#   Tests/TallyServerTests/soda-e2e/setup.sh [VENV]      (default: $TALLY_SODA_VENV, else /tmp/tally-soda-venv)
#
# Prints the venv path on its last line. The venv is reused while its marker file exists; delete the
# directory to rebuild it. Writes VENV/.tally-soda-ready with "scientific=yes" or "scientific=no".
set -euo pipefail

VENV="${1:-${TALLY_SODA_VENV:-/tmp/tally-soda-venv}}"
MARKER="$VENV/.tally-soda-ready"
SODA_VERSION="3.5.6"

if [[ -f "$MARKER" && -x "$VENV/bin/soda" ]]; then
    echo "$VENV"
    exit 0
fi

# soda-core-scientific 3.5.6 needs pandas<2 and numpy<2, which have wheels up to Python 3.11.
PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
    for candidate in python3.11 python3.10 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then PYTHON="$candidate"; break; fi
    done
fi
[[ -n "$PYTHON" ]] || { echo "setup.sh: no python3 found" >&2; exit 1; }

rm -rf "$VENV"
"$PYTHON" -m venv "$VENV" || { echo "setup.sh: '$PYTHON -m venv' failed (install python3-venv)" >&2; exit 1; }
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --no-input -q)
"${PIP[@]}" install --upgrade pip >&2 || true
"${PIP[@]}" install "soda-core==$SODA_VERSION" "soda-core-duckdb==$SODA_VERSION" >&2 \
    || { echo "setup.sh: pip install soda-core==$SODA_VERSION soda-core-duckdb==$SODA_VERSION failed" >&2; exit 1; }

scientific=no
if timeout "${SODA_SCIENTIFIC_TIMEOUT:-1200}" "${PIP[@]}" install "soda-core-scientific==$SODA_VERSION" >&2; then
    if "$VENV/bin/python" -c "import prophet, soda.scientific.anomaly_detection_v2" >/dev/null 2>&1; then
        scientific=yes
    else
        echo "setup.sh: soda-core-scientific installed but does not import; anomaly checks will be skipped" >&2
    fi
else
    echo "setup.sh: soda-core-scientific==$SODA_VERSION did not install; anomaly checks will be skipped" >&2
fi

"$VENV/bin/soda" --help >/dev/null || { echo "setup.sh: the soda CLI does not run" >&2; exit 1; }
"$VENV/bin/python" -c "import duckdb" || { echo "setup.sh: duckdb does not import" >&2; exit 1; }
echo "scientific=$scientific" > "$MARKER"
echo "$VENV"

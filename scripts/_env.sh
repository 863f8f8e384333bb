# Sourced by the scripts: finds Python 3.11+, creates .venv, installs the project when
# pyproject.toml changed, and sets the environment every command here needs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export RUNTIME__DLTHUB_TELEMETRY=false
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
export DO_NOT_TRACK=1
export PYTHONUNBUFFERED=1

find_python() {
  for candidate in python3.11 python3.12 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] < (3, 13) else 1)'; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Python 3.11 or 3.12 is needed (found none on PATH)" >&2
  return 1
}

VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  PY="$(find_python)"
  echo "creating $VENV with $("$PY" --version)" >&2
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  echo "installing the project and its pinned dependencies into .venv (about a minute)" >&2
  LOG="$VENV/install.log"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -e "$ROOT[dev,offline,spark]" >"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    echo "pip install failed; the whole log is in $LOG" >&2
    exit 1
  fi
  rm -f "$VENV"/.installed-*
  touch "$STAMP"
fi
export PATH="$VENV/bin:$PATH"

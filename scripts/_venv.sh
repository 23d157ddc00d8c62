# Shared by scripts/demo and scripts/test: create .venv if missing and install the pinned set.
# Sourced, not run. Needs only python3 (>= 3.11) on the machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

ensure_venv() {
  local extras="$1"  # "" or "[test]"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> .venv を作成します / creating .venv" >&2
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed${extras}"
  # reinstall only when the pins changed, so a second run is quick
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ] || [ "$ROOT/requirements.lock" -nt "$stamp" ]; then
    echo "==> 依存パッケージをインストールします / installing dependencies" >&2
    local log="$VENV/install.log"
    # the installer's chatter goes to a log; it is shown only when something fails
    if ! { "$VENV/bin/python" -m pip install --quiet --upgrade pip \
           && "$VENV/bin/python" -m pip install --quiet -c "$ROOT/requirements.lock" -e "$ROOT$extras"; } >"$log" 2>&1; then
      cat "$log" >&2
      echo "インストールに失敗しました / installation failed (log: $log)" >&2
      exit 1
    fi
    touch "$stamp"
  fi
}

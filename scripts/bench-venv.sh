#!/usr/bin/env bash
# A side venv for the SDV comparison in `make bench-synth`: sdv needs pandas < 3, which the
# project's venv must not get. It reuses the project venv's packages (torch among them) for
# whatever sdv does not pin, through a .pth file placed after its own site-packages.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.state/bench-venv"
if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c "import sdv" 2>/dev/null; then
  exit 0
fi
PY="$(command -v python3.11 || command -v python3)"
"$PY" -m venv "$VENV"
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
MAIN="$("$ROOT/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$MAIN" > "$SITE/zz_project_venv.pth"
"$VENV/bin/python" -m pip install -q sdv

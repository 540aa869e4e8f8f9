# Shared by demo.sh and test.sh: a project virtualenv with pinned requirements.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
install_requirements() {
  # $1: base, dev or prod. uv (pinned in requirements/tools.txt) installs the hash-checked lock file
  # requirements/lock/$1.txt on x86_64 Linux (what the lock was compiled for), else requirements/$1.txt;
  # pip installs requirements/$1.txt when uv cannot be installed. The lock and the .txt pin the same versions
  # (tests/test_requirements_lock.py).
  local env="$1" lock="requirements/lock/$1.txt"
  if .venv/bin/python -m uv --version >/dev/null 2>&1 \
    || .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements/tools.txt >/dev/null 2>&1; then
    if [ "$(uname -m)" = x86_64 ] && [ -f "$lock" ]; then
      .venv/bin/python -m uv pip install -q --python .venv/bin/python --require-hashes -r "$lock" && return 0
    else
      .venv/bin/python -m uv pip install -q --python .venv/bin/python -r "requirements/$env.txt" && return 0
    fi
    echo "uv could not install the requirements; trying pip." >&2
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "requirements/$env.txt"
}
ensure_postgres() {
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then return 0; fi
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it." >&2
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
  echo "PostgreSQL did not start." >&2
  return 1
}
ensure_redis() {
  if command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return 0; fi
  if command -v redis-server >/dev/null; then
    echo "Redis is not answering on 127.0.0.1:6379; starting it." >&2
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
  fi
}
ensure_chromium() {
  # Chromium, and a Chinese font so screenshots show characters rather than empty boxes.
  if [ -x /usr/bin/chromium ] && fc-list :lang=zh-tw 2>/dev/null | grep -q .; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests." >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  fi
}

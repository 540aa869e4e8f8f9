#!/usr/bin/env bash
# Command two: install into .venv and run lint, migration check and the whole test suite on PostgreSQL.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
install_requirements dev
ensure_postgres
# The fault tests run real Celery workers on Redis.
ensure_redis
ensure_chromium
export DJANGO_SETTINGS_MODULE=config.settings.test
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/youthrisk}"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# The house's import rules (docs/architecture.md, contracts in .importlinter).
.venv/bin/lint-imports --no-cache
.venv/bin/python manage.py makemigrations --check --dry-run
.venv/bin/pytest "$@"

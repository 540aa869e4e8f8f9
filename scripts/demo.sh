#!/usr/bin/env bash
# Command one: install into .venv, build the demo city on the embedded defaults, and serve the app.
#   SQLite file db.sqlite3 unless DATABASE_URL is set; Celery tasks run eagerly unless CELERY_BROKER_URL is set.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
install_requirements base
export DJANGO_SETTINGS_MODULE=config.settings.dev
# Like production where a user can tell: real 404 and 500 pages, no technical page (DEBUG=1 to debug).
export DEBUG="${DEBUG:-0}"
.venv/bin/python manage.py migrate --no-input -v 0
.venv/bin/python manage.py seed_demo
PORT="${PORT:-8000}"
echo "Serving on http://127.0.0.1:${PORT}/  (Ctrl-C to stop)"
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT}" --noreload

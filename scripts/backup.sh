#!/usr/bin/env bash
# Back up the platform's PostgreSQL database into one file (docs/operations.md, "Backup and restore").
#
#   DATABASE_URL=postgres://user@host:5432/youthrisk scripts/backup.sh [OUTPUT.dump]
#
# Writes a pg_dump custom-format archive (compressed; restorable table by table) with the owners and grants,
# the access log's append-only triggers and their functions, and every trained risk model (models are stored
# in the database, table riskmodel_riskmodel: there are no model files to copy). Next to it, OUTPUT.sha256:
# restore.sh refuses an archive whose checksum does not match. The archive holds personal data: keep it
# encrypted and on the city's own storage only.
set -euo pipefail

if [ -z "${DATABASE_URL:-}" ]; then
  echo "backup.sh: set DATABASE_URL (postgres://user@host:port/database)." >&2
  exit 2
fi
OUTPUT="${1:-youthrisk-$(date -u +%Y%m%dT%H%M%SZ).dump}"
PARTIAL="${OUTPUT}.partial"
trap 'rm -f "$PARTIAL"' EXIT

# One consistent snapshot of the whole database (pg_dump runs in one repeatable-read transaction), so a
# backup taken while imports or scoring run holds each batch and each scoring run whole or not at all.
pg_dump --dbname="$DATABASE_URL" --format=custom --compress=6 --no-password --file="$PARTIAL"
# A dump that pg_restore cannot list is not a backup: check before calling it done.
pg_restore --list "$PARTIAL" >/dev/null
mv "$PARTIAL" "$OUTPUT"
sha256sum "$OUTPUT" | awk '{print $1}' >"$OUTPUT.sha256"
echo "backup.sh: wrote $OUTPUT ($(du -h "$OUTPUT" | cut -f1)) and $OUTPUT.sha256"

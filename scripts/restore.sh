#!/usr/bin/env bash
# Restore a backup made by backup.sh into a NEW, EMPTY database (docs/operations.md, "Backup and restore").
#
#   scripts/restore.sh BACKUP.dump postgres://user@host:5432/youthrisk_restored
#
# The target database is created when it does not exist; one that already holds tables is refused, so a
# restore never mixes with, or overwrites, live data. The archive's checksum is verified first; the restore
# runs in one transaction (all or nothing) and stops at the first error. Afterwards the access log's
# append-only triggers are checked to be in place.
#
# Owners and grants: by default objects keep the owners and grants they had, so the roles must exist on the
# target server (create them first: see docs/operations.md). To restore onto a server without those roles,
# e.g. a scratch copy, set RESTORE_OWNER=<role>: every object is then owned by that role and grants are not
# restored (apply the production grants again before an application connects).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: restore.sh BACKUP.dump TARGET_DATABASE_URL" >&2
  exit 2
fi
ARCHIVE="$1"
TARGET="$2"

if [ ! -f "$ARCHIVE" ]; then
  echo "restore.sh: no such archive: $ARCHIVE" >&2
  exit 2
fi
if [ -f "$ARCHIVE.sha256" ]; then
  if [ "$(sha256sum "$ARCHIVE" | awk '{print $1}')" != "$(cat "$ARCHIVE.sha256")" ]; then
    echo "restore.sh: $ARCHIVE does not match $ARCHIVE.sha256: refusing a damaged archive." >&2
    exit 1
  fi
else
  echo "restore.sh: warning: no $ARCHIVE.sha256 next to the archive; its integrity is not checked." >&2
fi

# The database name is the URL's path; the server's maintenance database "postgres" is used to create it.
NAME="${TARGET##*/}"
NAME="${NAME%%\?*}"
SERVER="${TARGET%/*}/postgres"
if [ -z "$NAME" ] || [[ ! "$NAME" =~ ^[A-Za-z0-9_]+$ ]]; then
  echo "restore.sh: the target URL must name a database (letters, digits and _ only)." >&2
  exit 2
fi
exists="$(psql "$SERVER" -X -tA -v ON_ERROR_STOP=1 -c "SELECT 1 FROM pg_database WHERE datname = '$NAME'")"
if [ "$exists" = "1" ]; then
  tables="$(psql "$TARGET" -X -tA -v ON_ERROR_STOP=1 -c \
    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')")"
  if [ "$tables" != "0" ]; then
    echo "restore.sh: database $NAME already holds $tables tables: restore only into a new, empty database." >&2
    exit 1
  fi
else
  psql "$SERVER" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$NAME\""
fi

OPTIONS=(--exit-on-error --single-transaction --no-password)
if [ -n "${RESTORE_OWNER:-}" ]; then
  OPTIONS+=(--no-owner --no-privileges --role="$RESTORE_OWNER")
fi
pg_restore "${OPTIONS[@]}" --dbname="$TARGET" "$ARCHIVE"

# The access log must come back append-only: its three triggers are part of the data's guarantees.
triggers="$(psql "$TARGET" -X -tA -v ON_ERROR_STOP=1 -c \
  "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'casework_auditentry'::regclass AND tgenabled <> 'D'
   AND tgname IN ('casework_auditentry_append_only', 'casework_auditentry_no_truncate')")"
if [ "$triggers" != "2" ]; then
  echo "restore.sh: the access log's append-only triggers are missing or disabled in $NAME." >&2
  exit 1
fi
echo "restore.sh: restored $ARCHIVE into $NAME (the access log is append-only)."

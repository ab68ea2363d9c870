#!/usr/bin/env bash
# Proves that a database built by an older commit migrates forward with every record, scan file and
# audit row intact: seeds the demo at OLD (default: the parent of HEAD) into a scratch database on
# PostgreSQL (PG_URL, default the machine's 127.0.0.1:5432), fingerprints it, migrates it with this
# checkout, fingerprints it again and compares. Usage: scripts/migration-forward-check.sh [OLD]
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:-HEAD~1}
pg=${PG_URL:-postgres://postgres@127.0.0.1:5432}
db=civreg_migration_check
work=$(mktemp -d)
trap 'git worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q "$work/old" "$old"
ln -s "$PWD/.venv" "$work/old/.venv"
py="$PWD/.venv/bin/python"
"$py" - "$pg" "$db" <<'PY'
import sys, psycopg2
conn = psycopg2.connect(f"{sys.argv[1]}/postgres"); conn.autocommit = True
with conn.cursor() as cur:
    cur.execute(f'DROP DATABASE IF EXISTS "{sys.argv[2]}"'); cur.execute(f'CREATE DATABASE "{sys.argv[2]}"')
PY
export DATABASE_URL="$pg/$db" DATA_DIR="$work/data" DEBUG=1 DJANGO_SETTINGS_MODULE=config.settings
(cd "$work/old" && "$py" manage.py migrate -v0 && "$py" manage.py load_units >/dev/null && "$py" manage.py seed_demo >/dev/null)
before=$(PYTHONPATH="$work/old" "$py" scripts/database_fingerprint.py)
"$py" manage.py migrate -v1
after=$(PYTHONPATH="$PWD" "$py" scripts/database_fingerprint.py)
echo "before ($old): $before"
echo "after  (HEAD): $after"
[ "$before" = "$after" ] && echo "OK: every record, audit row and scan file is intact" || { echo "MISMATCH" >&2; exit 1; }

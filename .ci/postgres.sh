#!/usr/bin/env bash
# Starts the local PostgreSQL cluster(s) unless one already answers on
# 127.0.0.1. Used by .ci/install.sh and scripts/test.sh; safe to run again.
set -euo pipefail

if pg_isready -q -h 127.0.0.1; then
  exit 0
fi
if ! command -v pg_ctlcluster >/dev/null; then
  echo "postgres.sh: PostgreSQL is not installed: run .ci/install.sh" >&2
  exit 1
fi
for config in /etc/postgresql/*/main; do
  version=$(basename "$(dirname "$config")")
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
done
for _ in $(seq 1 30); do
  if pg_isready -q -h 127.0.0.1; then
    exit 0
  fi
  sleep 1
done
echo "postgres.sh: PostgreSQL did not start; see /var/log/postgresql/" >&2
exit 1

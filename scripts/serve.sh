#!/usr/bin/env bash
# Builds the office pages and runs the sync server with its embedded SQLite
# file (./odnowa.sqlite), serving sync and the office pages on
# http://127.0.0.1:8080. Needs a machine prepared by .ci/install.sh.
# Extra arguments go to `odnowa-sync serve` (e.g. --listen 0.0.0.0:8080).
# With --demo (and no ODNOWA_DATABASE_URL) it uses ./odnowa-demo.sqlite,
# filled once with a fictional demo consortium whose logins it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=.ci/env.sh
source .ci/env.sh
database="sqlite:odnowa.sqlite"
for argument in "$@"; do
  if [ "$argument" = "--demo" ]; then
    database="sqlite:odnowa-demo.sqlite"
  fi
done
(cd ui && trunk build --offline)
exec cargo run --release -p odnowa-sync-server --bin odnowa-sync -- \
  --database-url "${ODNOWA_DATABASE_URL:-$database}" serve --ui-dir ui/dist "$@"

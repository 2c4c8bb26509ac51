#!/usr/bin/env bash
# The command-line tour: builds dutyclock, creates a data directory,
# imports the example week (deploy/example) and the 2026 holiday calendar,
# and prints a day's summary and the week's report.
set -euo pipefail
cd "$(dirname "$0")/.."

. deploy/packages.sh
need build-essential pkg-config

cargo build --release --locked --bin dutyclock
bin=target/release/dutyclock
data=${DUTYCLOCK_DEMO_DIR:-demo-data}
if [ -e "$data/dutyclock.sqlite3" ]; then
  echo "demo: using the existing $data (remove it to start over)"
else
  "$bin" --data-dir "$data" init --kiosk-id demo-hall-1 --unit 办公室 --unit 经济发展局
  cp deploy/example/config.toml "$data/config.toml"
  "$bin" --data-dir "$data" staff import deploy/example/staff.csv
  "$bin" --data-dir "$data" calendar import deploy/holiday-cn/2026.json
  "$bin" --data-dir "$data" roster import deploy/example/roster.csv
  "$bin" --data-dir "$data" leave import deploy/example/leave.csv
  "$bin" --data-dir "$data" punches import deploy/example/punches.csv
  "$bin" --data-dir "$data" spotcheck import deploy/example/spotchecks.csv
  "$bin" --data-dir "$data" correction add --staff 1002 --at "2026-09-23 17:35" --reason 忘打卡 --by 科长
fi
echo
"$bin" --data-dir "$data" summary --date 2026-09-23
echo
"$bin" --data-dir "$data" report --from 2026-09-23 --to 2026-09-29
"$bin" --data-dir "$data" verify

#!/usr/bin/env bash
# Measures the touchscreen kiosk (`run --demo`, release build) under Xvfb:
# resident memory idle and after 1,000 scans, and CPU while idle.
# Needs: xvfb, xauth, bc (apt). Prints one line of figures at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/dutyclock
[ -x "$bin" ] || cargo build --release --locked --bin dutyclock
size=${SIZE:-800x480}
fifo=$(mktemp -u); mkfifo "$fifo"
export SIZE=$size BIN=$bin FIFO=$fifo
xvfb-run -a -s "-screen 0 ${size}x24" bash -c '
  "$BIN" run --demo < "$FIFO" > /dev/null 2> /tmp/dutyclock-measure.err &
  pid=$!
  exec 3> "$FIFO"
  rss() { awk "/VmRSS/ {print \$2}" /proc/$pid/status; }
  ticks() { awk "{print \$14 + \$15}" /proc/$pid/stat; }
  sleep 10
  idle_rss=$(rss)
  t0=$(ticks); sleep 30; t1=$(ticks)
  hz=$(getconf CLK_TCK)
  idle_cpu=$(echo "scale=3; 100 * ($t1 - $t0) / $hz / 30" | bc)
  cards=(4F68DD7CAD 13641440C8 D8F96B35C6 6DA3DEB74C F5AACF3F87 68B4B92E53 777E5FCAED B5A1214B91 DEADBEEF01)
  for i in $(seq 1 1000); do echo "${cards[$((i % 9))]}" >&3; sleep 0.02; done
  sleep 8
  after_rss=$(rss)
  t2=$(ticks); sleep 30; t3=$(ticks)
  idle_cpu_after=$(echo "scale=3; 100 * ($t3 - $t2) / $hz / 30" | bc)
  kill $pid
  echo "idle_rss_kb=$idle_rss idle_cpu_percent=$idle_cpu rss_after_1000_scans_kb=$after_rss idle_cpu_after_scans_percent=$idle_cpu_after size=$SIZE"
'
rm -f "$fifo"

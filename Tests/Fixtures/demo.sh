#!/bin/sh
# make demo: two registries on loopback, a sample tree of images, and a replication between them.
# Usage: demo.sh PATH/TO/freightliner
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=${DEMO_DIR:-$(mktemp -d /tmp/freightliner-demo-XXXXXX)}
source_port=${DEMO_SOURCE_PORT:-5101}
target_port=${DEMO_TARGET_PORT:-5102}
pids=""
cleanup() { for pid in $pids; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

start_registry() { # name port
  mkdir -p "$work/$1"
  cat > "$work/$1/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/$1/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
YAML
  docker-registry serve "$work/$1/config.yml" > "$work/$1/log" 2>&1 &
  pids="$pids $!"
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$2),0.2)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "registry $1 did not start on port $2; see $work/$1/log" >&2; exit 1
}

echo "demo: registries on 127.0.0.1:$source_port (source) and 127.0.0.1:$target_port (destination), files in $work"
start_registry source "$source_port"
start_registry target "$target_port"
python3 "$here/corpus.py" --registry "127.0.0.1:$source_port" --profile demo --workdir "$work/corpus"
echo
echo "source tree:"
"$bin" ls "127.0.0.1:$source_port"
echo
# On a terminal this is the live dashboard; piped, plain progress lines.
"$bin" sync "127.0.0.1:$source_port" "127.0.0.1:$target_port/mirror" --checkpoint-dir "$work/runs" --ui "${DEMO_UI:-auto}" || status=$?
echo
echo "destination:"
"$bin" ls "127.0.0.1:$target_port/mirror"
"$bin" ls "127.0.0.1:$target_port/mirror/team/web"
echo
"$bin" checkpoints list --checkpoint-dir "$work/runs"
exit "${status:-0}"

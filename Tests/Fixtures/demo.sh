#!/bin/sh
# make demo: a replication between registries on loopback, slow enough (about 30 s) to watch the
# live dashboard, with every panel in use:
#   - the source sits behind Tests/Fixtures/slow_proxy.py, a link of DEMO_RATE bytes/s;
#   - two of its repositories have uncompressed layers, and the sync runs with --compress gzip;
#   - the destination requires basic auth, and its password lives only in an AWS Secrets Manager
#     secret in a local moto_server the demo starts (never printed, never on a command line).
# DEMO_FAST=1 is the quick run of before: two open registries, the sample tree, a one-second sync.
#
# Usage: demo.sh PATH/TO/freightliner
# Environment: DEMO_FAST=1, DEMO_UI=auto|tui|plain|json (default auto: the dashboard on a
# terminal), DEMO_RATE (bytes/s, default 1900000), DEMO_DIR (kept afterwards; default a temp dir
# that is removed), DEMO_SOURCE_PORT/DEMO_TARGET_PORT/DEMO_PROXY_PORT/DEMO_MOTO_PORT
# (5101/5102/5103/5104), DEMO_TRACE=1 (set -x).
set -eu
[ -n "${DEMO_TRACE:-}" ] && set -x
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${DEMO_DIR:-}" ]; then work=$DEMO_DIR; keep_work=1; mkdir -p "$work"
else work=$(mktemp -d /tmp/freightliner-demo-XXXXXX); keep_work=0; fi
source_port=${DEMO_SOURCE_PORT:-5101}
target_port=${DEMO_TARGET_PORT:-5102}
proxy_port=${DEMO_PROXY_PORT:-5103}
moto_port=${DEMO_MOTO_PORT:-5104}
rate=${DEMO_RATE:-1900000}
ui=${DEMO_UI:-auto}
pids=""

cleanup() {
  trap - EXIT INT TERM
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for pid in $pids; do wait "$pid" 2>/dev/null || true; done
  if [ "$keep_work" = 0 ]; then rm -rf "$work"; fi
}
# The shell runs these traps once the command in the foreground has returned: a Ctrl-C during the
# sync first lets freightliner save its checkpoint, then stops the servers.
trap cleanup EXIT
trap 'interrupted; cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

interrupted() {
  echo
  if [ "${syncing:-0}" = 1 ]; then
    echo "demo: interrupted. The run's checkpoint is saved, but the registries, the proxy and moto_server"
    echo "stop with the demo, so it cannot be resumed afterwards: \`make demo\` starts afresh."
    echo "(q in the dashboard instead of Ctrl-C lets the demo offer to resume the run.)"
  else
    echo "demo: interrupted; stopping the servers."
  fi
}

listening() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; }

wait_for() { # name port log [tries of 0.1 s]
  for _ in $(seq 1 "${4:-100}"); do
    if listening "$2"; then return 0; fi
    sleep 0.1
  done
  echo "demo: $1 did not start on port $2; see $3" >&2; exit 1
}

check_free() { # port variable
  if listening "$1"; then
    echo "demo: port $1 is already in use; choose another with $2=PORT" >&2; exit 1
  fi
}

start_registry() { # name port [htpasswd file]
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
  if [ -n "${3:-}" ]; then
    printf 'auth:\n  htpasswd:\n    realm: freightliner-demo\n    path: %s\n' "$3" >> "$work/$1/config.yml"
  fi
  docker-registry serve "$work/$1/config.yml" > "$work/$1/log" 2>&1 &
  pids="$pids $!"
  wait_for "registry $1" "$2" "$work/$1/log"
}

# The quick run: two open registries, the sample tree, one sync.
if [ "${DEMO_FAST:-0}" = 1 ]; then
  check_free "$source_port" DEMO_SOURCE_PORT
  check_free "$target_port" DEMO_TARGET_PORT
  echo "demo: registries on 127.0.0.1:$source_port (source) and 127.0.0.1:$target_port (destination), files in $work"
  start_registry source "$source_port"
  start_registry target "$target_port"
  python3 "$here/corpus.py" --registry "127.0.0.1:$source_port" --profile demo --workdir "$work/corpus"
  echo
  echo "source tree:"
  "$bin" ls "127.0.0.1:$source_port"
  echo
  # On a terminal this is the live dashboard; piped, plain progress lines.
  status=0
  "$bin" sync "127.0.0.1:$source_port" "127.0.0.1:$target_port/mirror" --checkpoint-dir "$work/runs" --ui "$ui" || status=$?
  echo
  echo "destination:"
  "$bin" ls "127.0.0.1:$target_port/mirror"
  "$bin" ls "127.0.0.1:$target_port/mirror/team/web"
  echo
  "$bin" checkpoints list --checkpoint-dir "$work/runs"
  exit "$status"
fi

for tool in docker-registry htpasswd moto_server curl; do
  command -v "$tool" > /dev/null || { echo "demo: $tool is not installed: run \`make deps\`" >&2; exit 1; }
done
for pair in "$source_port DEMO_SOURCE_PORT" "$target_port DEMO_TARGET_PORT" "$proxy_port DEMO_PROXY_PORT" "$moto_port DEMO_MOTO_PORT"; do
  check_free $pair
done
source=127.0.0.1:$proxy_port
target=127.0.0.1:$target_port
secret=aws-sm://demo/registry
checkpoints=$work/runs

echo "demo: files in $work"
# AWS Secrets Manager: moto_server with SigV4 checking on (as the tests run it): the first four
# calls, unsigned, create an IAM identity; every later one must be signed with its key.
mkdir -p "$work/moto"
INITIAL_NO_AUTH_ACTION_COUNT=4 moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto/log" 2>&1 &
pids="$pids $!"
start_registry source "$source_port"
python3 "$here/slow_proxy.py" --port "$proxy_port" --upstream "127.0.0.1:$source_port" --rate "$rate" > "$work/proxy.log" 2>&1 &
pids="$pids $!"
wait_for "slow proxy" "$proxy_port" "$work/proxy.log"
python3 "$here/demo_corpus.py" --registry "127.0.0.1:$source_port" --workdir "$work/corpus"

# The destination's password: made here, kept in the secret and (bcrypt) in the registry's
# htpasswd file, passed through pipes only.
password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
mkdir -p "$work/target"
printf '%s\n' "$password" | htpasswd -Bin demo > "$work/target/htpasswd" 2>/dev/null
start_registry target "$target_port" "$work/target/htpasswd"

wait_for moto_server "$moto_port" "$work/moto/log" 300
keys=$(python3 "$here/moto_bootstrap.py" "http://127.0.0.1:$moto_port")
AWS_ACCESS_KEY_ID=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key_id"])')
AWS_SECRET_ACCESS_KEY=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret_access_key"])')
AWS_ENDPOINT_URL=http://127.0.0.1:$moto_port
AWS_REGION=us-east-1
AWS_EC2_METADATA_DISABLED=true
AWS_SHARED_CREDENTIALS_FILE=$work/moto/no-credentials
AWS_CONFIG_FILE=$work/moto/no-config
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL AWS_REGION AWS_EC2_METADATA_DISABLED \
  AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_SECRETS_MANAGER 2>/dev/null || true
printf '{"username": "demo", "password": "%s"}' "$password" | "$bin" secrets put "$secret"
unset password keys

echo
echo "source      127.0.0.1:$source_port, reached through a $((rate / 1000)) kB/s link at $source"
echo "destination $target/mirror: basic auth ($(curl -s -o /dev/null -w '%{http_code}' "http://$target/v2/") without credentials)"
echo "secret      $secret in moto_server at $AWS_ENDPOINT_URL holds its username and password"
echo
echo "source tree:"
"$bin" ls "$source"
echo

# The command as the user would type it here: relative to the current directory when it can be.
case $bin in "$(pwd)"/*) shown_bin=${bin#"$(pwd)"/} ;; *) shown_bin=$bin ;; esac
resume_command="$shown_bin resume --checkpoint-dir $checkpoints"
interactive=0
if [ -t 0 ] && [ -t 1 ]; then interactive=1; fi
dashboard=0
case $ui in
  tui) dashboard=1 ;;
  auto) if [ "$interactive" = 1 ] && [ -n "${TERM:-}" ] && [ "${TERM:-}" != dumb ]; then dashboard=1; fi ;;
esac

echo "$shown_bin sync $source $target/mirror --compress gzip --dest-creds-secret $secret --checkpoint-dir $checkpoints"
if [ "$dashboard" = 1 ]; then
  cat <<EOF

The sync takes about half a minute. In the dashboard, try:
  p      pause: no new tag starts, transfers in flight finish; p again continues
  q      quit: transfers in flight finish (q again abandons them), the checkpoint is saved,
         and the demo offers to continue the run with
           $resume_command
  ?      help: every key (? again closes it)
  j k    select a repository; Enter shows its tags; t changes the colour theme
When the sync is done the dashboard stays on its final state: q leaves it.
EOF
  if [ "$interactive" = 1 ]; then
    printf '\nPress Enter to start. '
    read -r _ || true
  fi
else
  echo "Ctrl-C stops the sync once the transfers in flight finish (the checkpoint is saved)."
fi
echo

status=0
syncing=1
"$bin" sync "$source" "$target/mirror" --compress gzip --dest-creds-secret "$secret" \
  --checkpoint-dir "$checkpoints" --ui "$ui" || status=$?
ended_by_user=0
while [ "$status" = 3 ]; do
  echo
  echo "demo: stopped with work left; the checkpoint is saved. To continue the run:"
  echo "  $resume_command"
  if [ "$interactive" = 0 ]; then break; fi
  echo "The demo's registries, proxy and moto_server stop when the demo ends, so continue it here."
  printf 'Press Enter to run it now, or q and Enter to end the demo: '
  answer=q
  read -r answer || answer=q
  case $answer in q* | Q*) ended_by_user=1; break ;; esac
  status=0
  "$bin" resume --checkpoint-dir "$checkpoints" --ui "$ui" || status=$?
done
syncing=0

echo
echo "destination (listed with the same secret):"
"$bin" ls "$target/mirror" --src-creds-secret "$secret"
"$bin" ls "$target/mirror/legacy/reports" --src-creds-secret "$secret"
echo
"$bin" checkpoints list --checkpoint-dir "$checkpoints"
if [ "$ended_by_user" = 1 ]; then
  echo
  echo "demo: ended with the run unfinished, as asked."
  exit 0
fi
exit "$status"

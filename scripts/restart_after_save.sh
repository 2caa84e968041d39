#!/usr/bin/env bash
# Wait for a training run's next checkpoint, stop that run's process, and start it
# again with --resume (to pick up new code without losing work).
# Usage: restart_after_save.sh PID RUN_DIR -- semcom args...
set -euo pipefail
pid=$1; run=$2; shift 2; [ "$1" = "--" ] && shift
before=$(stat -c %Y "$run/checkpoint.pt")
while [ "$(stat -c %Y "$run/checkpoint.pt")" = "$before" ]; do sleep 2; done
sleep 2
kill "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
nohup "$@" >> "$run/train.out" 2>&1 &
echo "restarted $run as $!"

# Shared by the scripts: paths, logging, and waiting with a deadline.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/var"
RUN="$VAR/run"
LOGS="$VAR/log"

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }

# wait_for URL SECONDS: polls URL until it answers 2xx, or fails after SECONDS.
wait_for() {
  local url=$1 deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "timed out waiting for $url" >&2
      return 1
    fi
    sleep 0.2
  done
}

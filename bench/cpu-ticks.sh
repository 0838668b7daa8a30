# Sourced by the benchmarks that split a figure's CPU by program (bench/bulk-jobs.sh, bench/post-cpu.sh).

# The programs of the stack, each counted over every process of its name.
STACK_PROCESSES="command-api nginx postgres redis-server projector relay beam.smp query-api worker"

# Prints "<program> <CPU ticks>" for each program of the stack: the CPU its processes have used so far,
# with that of their children that ended (cutime, cstime): a Postgres backend that a pool recycles
# mid-run counts towards the postmaster, where it would otherwise drop out of the sum.
stack_cpu_ticks() {
  local total pid name
  for name in $STACK_PROCESSES; do
    total=0
    for pid in $(pgrep -x "$name"); do
      total=$((total + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$name $total"
  done
}

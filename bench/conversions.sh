# Sourced by bench/run.sh (which defines say, rows, OUT, BENCH_TOKEN): the converter beside plain
# ffmpeg on the same 60 s sample, a 20 MB upload end to end, and 8 queued videos on the machine's cores.

sample() { # sample <seconds> <size> <video bitrate> <path>
  [ -s "$4" ] || ffmpeg -v error -y -f lavfi -i "testsrc=duration=$1:size=$2:rate=25" \
    -f lavfi -i "sine=frequency=440:duration=$1" -shortest -c:v mpeg4 -b:v "$3" -minrate "$3" -maxrate "$3" -bufsize "$3" -c:a aac "$4"
}
# upload <file> <name>: prints the conversion id
upload() {
  curl -fsS -H "Authorization: Bearer $BENCH_TOKEN" -F "file=@$1;type=video/mp4;filename=$2" \
    http://127.0.0.1:8080/v1/conversions | python3 -c 'import json,sys; print(json.load(sys.stdin)["conversionId"])'
}
# finished <id>: waits until the job is final and prints it
finished() {
  local job
  for _ in $(seq 1 120); do
    job=$(curl -fsS -H "Authorization: Bearer $BENCH_TOKEN" -H 'Prefer: wait=30' "http://127.0.0.1:8080/v1/jobs/$1")
    case "$job" in *'"status":"succeeded"'* | *'"status":"failed"'*) echo "$job"; return;; esac
  done
  echo "conversion $1 did not finish" >&2; return 1
}
seconds_between() { python3 -c 'import sys; from datetime import datetime as d; f=lambda s: d.fromisoformat(s.replace("Z","+00:00")); print("%.3f" % (f(sys.argv[2])-f(sys.argv[1])).total_seconds())' "$1" "$2"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

say "conversions: the converter vs plain ffmpeg on a 60 s sample (median of 3 each, warm)"
sample 60 640x360 1M "$OUT/sample-60s.mp4"
median() { sort -n | sed -n 2p; }
plain=$(for _ in 1 2 3; do
  started=$(date +%s.%N)
  ffmpeg -nostdin -v error -y -i "$OUT/sample-60s.mp4" -vn -c:a libmp3lame -q:a 4 "$OUT/plain.mp3"
  awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.3f\n", b-a}'
done | median)
converter=$(for n in 1 2 3; do
  job=$(finished "$(upload "$OUT/sample-60s.mp4" "sample-60s-$n.mp4")")
  seconds_between "$(echo "$job" | field startedAt)" "$(echo "$job" | field finishedAt)"
done | median)
rows+=("| converter wall time, 60 s sample ($(du -h "$OUT/sample-60s.mp4" | cut -f1)): ConversionStarted → ConversionSucceeded (download, probe, ffmpeg, store, commit), median of 3 | $converter s | plain \`ffmpeg -vn -c:a libmp3lame\`, median of 3: $plain s | $(awk -v a="$converter" -v b="$plain" 'BEGIN {printf "%.2f×", a/b}') (target ≤ 1.15×) |")

say "conversions: a 20 MB video from upload to succeeded"
sample 20 1280x720 8M "$OUT/sample-20mb.mp4"
started=$(date +%s.%N)
id=$(upload "$OUT/sample-20mb.mp4" sample-20mb.mp4)
finished "$id" >/dev/null
total=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b-a}')
rows+=("| a $(du -h "$OUT/sample-20mb.mp4" | cut -f1) video (20 s, 720p) through nginx: upload start → job succeeded | $total s | — | — |")

say "conversions: 8 queued videos on $(nproc) cores"
started=$(date +%s.%N)
ids=()
for n in $(seq 1 8); do ids+=("$(upload "$OUT/sample-60s.mp4" "queued-$n.mp4")"); done
for id in "${ids[@]}"; do finished "$id" >/dev/null; done
total=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b-a}')
rows+=("| 8 queued 60 s videos, converter with parallel = cores ($(nproc)) | all succeeded after $total s ($(awk -v t="$total" 'BEGIN {printf "%.1f", 8*60/t}') s of media per second) | one plain ffmpeg: $plain s per video | $(awk -v t="$total" -v p="$plain" 'BEGIN {printf "%.2f×", t/(8*p)}') of 8 sequential ffmpeg runs |")

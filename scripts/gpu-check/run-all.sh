#!/usr/bin/env bash
# The whole GPU check in one call, for a GPU machine lent for minutes: the device, op parity, the PyTorch golden
# fixtures in fp32 / TF32 / bf16, the CUDA jest suite (every op, training steps with dropout, determinism, memory on
# dispose), the benchmark beside PyTorch in bf16 / TF32 / fp32, and compute-sanitizer's memcheck over op parity.
# Most valuable first; each step under its own cap and all under one deadline, so a hang costs only its share and
# the steps that did not fit are named. Logs go to one folder; a summary table is printed last.
#
# Usage: bash scripts/gpu-check/run-all.sh <log folder> [deadline seconds, default 420]
# Needs node on PATH, node_modules (jest, ts-jest), build/Release/bertnode.node and the CUDA addons
# (node scripts/build-cuda.js --tests); python3 with torch + transformers for the benchmark's peer (else no peer).
set -u
logs=${1:?usage: run-all.sh <log folder> [deadline seconds]}
deadline=$(( $(date +%s) + ${2:-420} ))
mkdir -p "$logs"
summary=()

# step <name> <cap seconds> <command...>: runs it with its output in $logs/<name>.log, capped by the deadline.
step() {
  local name=$1 cap=$2 left start rc
  shift 2
  left=$(( deadline - $(date +%s) - 5 ))
  if (( left < 10 )); then summary+=("$(printf '%-22s not run (deadline)' "$name")"); return; fi
  (( cap > left )) && cap=$left
  start=$(date +%s)
  timeout --kill-after=5 "$cap" "$@" > "$logs/$name.log" 2>&1
  rc=$?
  summary+=("$(printf '%-22s exit %-3s %4ss  %s' "$name" "$rc" "$(( $(date +%s) - start ))" \
    "$( (( rc == 124 || rc == 137 )) && echo "TIMED OUT at ${cap}s" || tail -n 1 "$logs/$name.log" | cut -c1-150)")")
}

step device 30 bash -c 'nvidia-smi; node -v; node -e "console.log(JSON.stringify(require(\"./build-cuda/Release/bertnode_cuda.node\").cudaProbe()))"'
step op-parity 60 node scripts/gpu-check/op-parity.js
for p in fp32 tf32 bf16; do step "golden-$p" 60 node scripts/gpu-check/golden-parity.js --precision "$p"; done
step jest-cuda 200 node node_modules/jest/bin/jest.js --selectProjects cuda --ci --json --outputFile="$logs/jest-cuda.json"
for p in bf16 tf32 fp32; do step "bench-$p" 120 node scripts/bench-gpu.js --precision "$p"; done
if command -v compute-sanitizer > /dev/null; then
  step memcheck-ops 120 compute-sanitizer --tool memcheck --error-exitcode 9 node scripts/gpu-check/op-parity.js
fi

echo
echo "== failures"
grep -h '"passed":false' "$logs"/op-parity.log "$logs"/golden-*.log 2>/dev/null | head -20
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`jest cuda: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  for (const f of r.testResults) for (const t of f.assertionResults)
    if (t.status === "failed") console.log("  FAILED", t.fullName, "::", (t.failureMessages[0] || "").split("\n")[0].slice(0, 200));
' "$logs/jest-cuda.json" 2>/dev/null || echo "jest cuda: no result file"
grep -h 'ERROR SUMMARY\|Invalid' "$logs"/memcheck-ops.log 2>/dev/null | head -5
echo "== benchmark (examples/s; ratio = PyTorch seconds / ours)"
grep -h '^{"metric":"\(train_step\|forward\)' "$logs"/bench-*.log 2>/dev/null | node -e '
  for (const line of require("fs").readFileSync(0, "utf8").trim().split("\n").filter(Boolean)) {
    const r = JSON.parse(line);
    const f = (x, d) => (x == null ? "-" : x.toFixed(d));
    console.log(`${r.metric.padEnd(44)} ours ${f(r.ours, 1).padStart(8)}  peer ${f(r.peer, 1).padStart(8)}  ratio ${f(r.ratio, 2)}  ${f(r.msPerStep, 1)} ms  mfu ${f(r.mfu, 3)}`);
  }' || true
echo "== steps"
printf '%s\n' "${summary[@]}"

#!/usr/bin/env bash
# Builds heed's libFuzzer targets with clang, makes their seed corpora from
# real files (heed's own checkpoints, the head of each file of a shared
# dataset, the README's command lines) and runs each target for
# HEED_FUZZ_SECONDS seconds (default 60), all side by side. A crash,
# leak or sanitizer report fails the script; the input that caused it is
# left in build-fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${HEED_FUZZ_SECONDS:-60}"
build=build-fuzz
data="${HEED_FUZZ_DATA:-../shared/data/cora}"

# HEED_FUZZ_TESTS=ON builds the test suite too, for CI to run it under the
# same sanitizers (the instrumentation for coverage does not change what a
# test computes); it is off by default, as the targets do not need it.
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DHEED_FUZZ=ON \
  -DHEED_BUILD_TESTS="${HEED_FUZZ_TESTS:-OFF}" \
  -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" >/dev/null
cmake --build "$build"

corpus="$build/corpus"
rm -rf "$corpus" "$build/artifacts"
mkdir -p "$corpus/checkpoint" "$corpus/dataset" "$corpus/command_line" "$corpus/safetensors" \
  "$corpus/graph_dataset" "$corpus/pickle" \
  "$build/artifacts"

# Checkpoints written by heed itself: a GAT, a deep GCN stack, a GATv2 with
# its training state.
heed="$build/tools/heed/heed"
export ASAN_OPTIONS=detect_leaks=0
"$heed" train --nodes 120 --features 8 --classes 3 --epochs 3 --heads 2 --hidden 4 \
  --save "$corpus/checkpoint/gat.heed" >/dev/null 2>&1 || true
"$heed" train --model gcn --layers 3 --residual --norm layer --nodes 120 --features 8 \
  --classes 3 --epochs 3 --save "$corpus/checkpoint/gcn-stack.heed" >/dev/null 2>&1 || true
"$heed" train --model gatv2 --nodes 120 --features 8 --classes 3 --epochs 4 --heads 2 --hidden 4 \
  --checkpoint "$corpus/checkpoint/gatv2-state.heed" --checkpoint-every 2 >/dev/null 2>&1 || true
# safetensors files written by heed's PyG export: a GAT and a GATv2.
"$heed" export --pyg --model "$corpus/checkpoint/gat.heed" --out "$build/export-gat" >/dev/null 2>&1 &&
  cp "$build/export-gat/model.safetensors" "$corpus/safetensors/gat" || true
"$heed" train --model gatv2 --nodes 120 --features 4 --classes 2 --epochs 1 --heads 2 --hidden 2 \
  --save "$build/gatv2-small.heed" >/dev/null 2>&1 &&
  "$heed" export --pyg --model "$build/gatv2-small.heed" --out "$build/export-gatv2" >/dev/null 2>&1 &&
  cp "$build/export-gatv2/model.safetensors" "$corpus/safetensors/gatv2" || true
unset ASAN_OPTIONS

# Dataset files: the first byte picks the file (see dataset_fuzz.cpp): k for
# file k's text, gzipped by the target; k + 6 for its compressed bytes.
if [ -d "$data" ]; then
  files=(meta.json edge.csv.gz node-feat.csv.gz node-label.csv.gz split/public/train.csv.gz
         split/public/test.csv.gz)
  for k in "${!files[@]}"; do
    f="$data/${files[$k]}"
    [ -f "$f" ] || continue
    if [ "$k" = 0 ]; then
      { printf "\\x00"; cat "$f"; } > "$corpus/dataset/meta"
    else
      { printf "\\x$(printf %02x "$k")"; head -n 40 < <(zcat "$f"); } > "$corpus/dataset/text-$k"
      { printf "\\x$(printf %02x $((k + 6)))"; head -c 2000 "$f"; } > "$corpus/dataset/gzip-$k"
    fi
  done
fi

# Whole-graph and text datasets (see graph_dataset_fuzz.cpp): byte k < 5
# for a TUDataset's file k, 5 for a SMILES CSV, 15 for AG News's CSV as text;
# the heads of the shared MUTAG, ESOL and AG News files.
shared="$(dirname "$data")"
tu=(A graph_indicator graph_labels node_labels edge_labels)
for k in "${!tu[@]}"; do
  f="$shared/mutag/MUTAG_${tu[$k]}.txt"
  if [ -f "$f" ]; then
    { printf "\\x$(printf %02x "$k")"; head -n 40 "$f"; } > "$corpus/graph_dataset/tu-$k"
  fi
done
if [ -f "$shared/esol/delaney-processed.csv" ]; then
  { printf "\\x05"; head -n 30 "$shared/esol/delaney-processed.csv"; } > "$corpus/graph_dataset/smiles"
fi
if [ -f "$shared/ag-news/test.csv.gz" ]; then
  { printf "\\x0f"; zcat "$shared/ag-news/test.csv.gz" | head -n 20 || true; } \
    > "$corpus/graph_dataset/ag-news"
fi
# The fallbacks when ../shared is absent: one valid line each.
printf '\x05smiles,y\nCCO,1.0\n' > "$corpus/graph_dataset/smiles-min"
printf '\x0flabel,title,description\n1,"A","b c"\n' > "$corpus/graph_dataset/ag-news-min"

# Pickles as Planetoid's files hold them (written by Python with numpy, a
# stand-in for scipy's csr_matrix under its name, and a defaultdict), and one
# minimal pickle when Python or numpy is missing.
python3 - "$corpus/pickle" <<'PY' || true
import collections, pickle, sys, types
import numpy as np
class csr_matrix: pass
csr_matrix.__module__ = "scipy.sparse.csr"
for p in ("scipy", "scipy.sparse", "scipy.sparse.csr"):
    sys.modules[p] = types.ModuleType(p)
sys.modules["scipy.sparse.csr"].csr_matrix = csr_matrix
m = csr_matrix()
m.__dict__.update({"_shape": (2, 3), "indptr": np.array([0, 1, 3], np.int32),
                   "indices": np.array([1, 0, 2], np.int32),
                   "data": np.array([1, 2, 3], np.float32), "format": "csr"})
g = collections.defaultdict(list, {0: [1, 2], 1: [0], 2: [0]})
seeds = {"csr": m, "onehot": np.eye(3, dtype=np.int64), "graph": g,
         "fortran": np.arange(6.0).reshape(2, 3).T}
for name, obj in seeds.items():
    for protocol in (2, 4):
        open("%s/%s-%d" % (sys.argv[1], name, protocol), "wb").write(pickle.dumps(obj, protocol=protocol))
PY
printf '\x80\x02K\x01.' > "$corpus/pickle/minimal"

# Command lines from the README, arguments separated by NUL bytes.
n=0
grep -E '^heed ' README.md | sed 's/ *#.*//' | while read -r line; do
  n=$((n + 1))
  printf '%s' "${line#heed }" | tr ' ' '\0' > "$corpus/command_line/readme-$n"
done

# The targets run side by side (each for the full time) to keep CI
# short; each has its own log.
pids=()
targets=(checkpoint dataset graph_dataset pickle command_line safetensors)
for target in "${targets[@]}"; do
  "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$target-" -rss_limit_mb=4096 \
    "$corpus/$target" >"$build/fuzz_$target.log" 2>&1 &
  pids+=($!)
done
status=0
for k in "${!targets[@]}"; do
  target="${targets[$k]}"
  log="$build/fuzz_$target.log"
  if ! wait "${pids[$k]}"; then
    echo "fuzz_$target FAILED; its log:"
    tail -n 60 "$log"
    status=1
  fi
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  echo "fuzz_$target: $runs executions in $seconds s, corpus $(ls "$corpus/$target" | wc -l) inputs"
done
exit "$status"

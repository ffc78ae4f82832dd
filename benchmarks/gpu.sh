#!/usr/bin/env bash
# The GPU figures in one call (issue 24, item 5), for a lent GPU machine:
#   bash benchmarks/gpu.sh            # writes $OUT (default benchmarks/gpu-out/) and prints
# What it measures, each with its own time limit so one slow figure cannot eat the lease:
#   the devices TensorFlow sees (ktui devices), one GPU's samples/s, mirrored over every GPU
#   (scaling efficiency), mixed_float16 ÷ float32, steps_per_execution 16 ÷ 1 (all from
#   python -m benchmarks.distributed), XLA (--jit) ÷ default for fashion-mlp, and the fused
#   Adam ÷ Keras' Adam in ktui's step (python -m benchmarks.fused_adam).
# It needs a Python with TensorFlow ≥ 2.20 and ktui's dependencies (PY=...). The lent machines
# of this workplace ship PyTorch and JAX but no TensorFlow, and a TensorFlow wheel (~600 MB)
# is over what a call may carry (64 MiB): the script then says so and stops (exit 3).
set -u
OUT=${OUT:-benchmarks/gpu-out}
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
mkdir -p "$OUT"
say() { printf '%s\n' "$*" | tee -a "$OUT/summary.txt"; }
: > "$OUT/summary.txt"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/nvidia-smi.csv" 2>&1 \
  && say "GPUs: $(tail -n +2 "$OUT/nvidia-smi.csv" | paste -sd';')" || say "no nvidia-smi"
if ! "$PY" -c 'import tensorflow, textual, numpy' 2> "$OUT/import-error.txt"; then
  say "no TensorFlow in $PY ($(tail -1 "$OUT/import-error.txt")): nothing to measure"
  exit 3
fi
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"
timeout 60 "$PY" -m ktui devices --json > "$OUT/devices.json" 2>&1 || say "ktui devices failed"
say "devices: $(tr '\n' ' ' < "$OUT/devices.json" | cut -c1-300)"
timeout 360 "$PY" -m benchmarks.distributed --quick --json > "$OUT/distributed.json" \
  2> "$OUT/distributed.err" || say "benchmarks.distributed: exit $? (see distributed.err)"
say "distributed: $(cat "$OUT/distributed.json" 2>/dev/null)"
spec="$OUT/mlp.toml"
"$PY" -m ktui presets show fashion-mlp > "$spec" 2>> "$OUT/jit.err"
for jit in "" "--jit"; do
  start=$(date +%s.%N)
  timeout 150 "$PY" -m ktui train --spec "$spec" --epochs 3 --jsonl $jit --runs-dir "$OUT/runs" \
    > "$OUT/jit${jit:+-on}.jsonl" 2>> "$OUT/jit.err" || say "train ${jit:-default}: exit $?"
  rate=$(grep '"epoch_done"' "$OUT/jit${jit:+-on}.jsonl" | tail -1 \
    | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read() or "{}").get("samples_per_s"))')
  say "fashion-mlp ${jit:-default}: $rate samples/s (last epoch; $(echo "$(date +%s.%N) - $start" | bc) s)"
done
# Adam in one kernel a variable ÷ Keras' Adam in ktui's step, on the first GPU (TensorFlow's
# default device there): fashion-mlp, then fashion-cnn (needs Fashion-MNIST, like the above).
timeout 150 "$PY" -m benchmarks.fused_adam fashion-mlp fashion-cnn > "$OUT/fused_adam.txt" \
  2> "$OUT/fused_adam.err" || say "benchmarks.fused_adam: exit $? (see fused_adam.err)"
say "fused Adam: $(paste -sd';' "$OUT/fused_adam.txt" 2>/dev/null)"

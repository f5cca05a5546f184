#!/usr/bin/env bash
# Run on a lent GPU machine from the repo root. Wheels the image lacks travel in .whl/ (see README.md).
set -u
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  && export PYTHONPATH=/tmp/site:$PWD || exit 1
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=4 HF_HUB_OFFLINE=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 launch/device/check_gpu.py "$@" 2>&1 | tee "${OUT:-.}/device_check.log"

#!/usr/bin/env bash
# Wheels the GPU image lacks (it has torch, transformers, peft, accelerate, tokenizers, pandas, ...),
# downloaded here for Python 3.12 / x86_64 into .whl/ (git-ignored), carried with the device call.
set -euo pipefail
cd "$(dirname "$0")/../.."
plat=(--python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
mkdir -p .whl
python3 -m pip download -q --no-deps --only-binary=:all: "${plat[@]}" -d .whl \
  trl==1.16.0 hydra-core==1.3.2 omegaconf==2.3.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 \
  math-verify==0.9.0 latex2sympy2_extended==1.11.0 pyarrow==26.0.1
python3 -m pip wheel -q --no-deps -w .whl antlr4-python3-runtime==4.9.3  # sdist only on PyPI
# DeepSpeed for the ZeRO-3 check: pure Python (its ops JIT-compile on first use), sdist only on PyPI
DS_BUILD_OPS=0 python3 -m pip wheel -q --no-deps --no-build-isolation -w .whl deepspeed==0.19.8
du -sh .whl

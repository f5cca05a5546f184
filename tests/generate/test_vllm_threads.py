"""vLLM-CPU's OpenMP binding: every core the process may use unless OMP_NUM_THREADS says otherwise. With a
default of one thread, a mini_paper run on 2 cores evaluated on one core while its training used both."""
from __future__ import annotations

import os

from omegaconf import OmegaConf

from numina_exp.generate.vllm import _cpu_env, omp_bind


def test_unset_omp_threads_binds_every_allowed_core():
    assert omp_bind({}, {0, 1}) == "0,1"
    assert omp_bind({"OMP_NUM_THREADS": ""}, {0, 1, 2, 3}) == "0,1,2,3"


def test_omp_num_threads_caps_the_binding():
    assert omp_bind({"OMP_NUM_THREADS": "1"}, {0, 1}) == "0"
    assert omp_bind({"OMP_NUM_THREADS": "8"}, {0, 1}) == "0,1"  # no more threads than cores


def test_binding_uses_the_cores_of_a_cpuset_not_zero_upwards():
    assert omp_bind({}, {6, 4, 5}) == "4,5,6"
    assert omp_bind({"OMP_NUM_THREADS": "2"}, {9, 3, 7}) == "3,7"


def test_cpu_env_sets_the_binding_only_where_unset(monkeypatch):
    cfg = OmegaConf.create({"backend": {"cpu_kvcache_gb": 1}})
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("VLLM_CPU_OMP_THREADS_BIND", raising=False)
    _cpu_env(cfg)
    assert os.environ["VLLM_CPU_OMP_THREADS_BIND"] == ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
    monkeypatch.setenv("VLLM_CPU_OMP_THREADS_BIND", "nobind")
    _cpu_env(cfg)
    assert os.environ["VLLM_CPU_OMP_THREADS_BIND"] == "nobind"  # a user's own setting wins

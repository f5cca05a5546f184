"""Evaluation: suites, seeds, resume, N x M grid from one pass, Kaggle simulation.

    load_suite(eval_cfg) -> list[dict]          # rows {id, problem, answer, suite, ...}
    run(cfg, run_dir)                           # method=evaluate (numina_exp.evaluate.runner)
    nm_grid(per_problem, ...)                   # numina_exp.evaluate.nm_grid
    simulate(...)                               # numina_exp.evaluate.kaggle_sim
"""
from .suites import SuiteError, load_suite, suite_config, suite_names

__all__ = ["SuiteError", "load_suite", "suite_config", "suite_names"]

"""Model merging on mergekit's Python API (`run_merge`): linear, slerp, task_arithmetic, ties, dare_ties,
dare_linear, and warp (a composite of two mergekit steps).

    inputs.py    references (run dir, pipeline stage name, hub id) -> model directories; architecture checks
                 from config.json alone, so bad input fails before any tensor is read
    plan.py      what to merge: the checked request and the mergekit configuration(s) it becomes
    run.py       run the plan through mergekit into final/, with lineage
"""
from .inputs import InputError, ModelInput, check_same_architecture, resolve_ref
from .plan import TASK_VECTOR_METHODS, MergeMethod, MergeRequest, build_plan, check_request
from .run import merge

__all__ = ["InputError", "ModelInput", "check_same_architecture", "resolve_ref", "MergeMethod", "MergeRequest",
           "TASK_VECTOR_METHODS", "build_plan", "check_request", "merge"]

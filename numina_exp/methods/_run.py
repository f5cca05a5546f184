"""Dispatch one method in a prepared run dir. A launched method (Method.launched) that needs several
processes is re-launched through `accelerate launch`; each worker (methods/_worker.py) calls the
same `run`, and rank 0's result reaches the entrypoint through result.json."""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..core.io import atomic_write_json
from ..core.registry import method

RESULT = "result.json"


def execute(cfg, run_dir: Path):
    from ..train import launch

    m = method(cfg.method.name)
    run_dir = Path(run_dir)
    if m.launched and launch.needs_launcher(cfg) and not launch.inside_launcher():
        launch.relaunch(cfg, run_dir)
        path = run_dir / RESULT
        return json.loads(path.read_text()) if path.exists() else {}
    result = m.run(cfg, run_dir)
    if os.environ.get("RANK", "0") == "0":
        atomic_write_json(run_dir / RESULT, result if isinstance(result, (dict, list)) else {"result": result})
    return result

"""method=info: show what a run would do, load nothing (useful to check an experiment file)."""
from omegaconf import OmegaConf

from ..core.registry import Method, methods


def run(cfg, run_dir):
    print(OmegaConf.to_yaml(cfg, resolve=True))
    m = methods()[cfg.method.name]
    print(f"# method={m.name}: {m.doc}; run dir {run_dir}")
    return {"run_dir": str(run_dir)}


METHOD = Method(name="info", run=run, doc="print the resolved config and the plan, load nothing")

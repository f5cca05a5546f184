"""method=info: show what a run would do, load nothing (useful to check an experiment file)."""
from omegaconf import OmegaConf


def run(cfg, run_dir):
    print(OmegaConf.to_yaml(cfg, resolve=True))
    print(f"# method={cfg.method.name}; run dir {run_dir}")
    return {"run_dir": str(run_dir)}

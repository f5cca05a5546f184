"""The golden resolved config of an experiment: composed at scale=full, interpolations resolved, the
package's own path written as <pkg> so the files do not depend on where the checkout is. Sections that
other methods own (Method.section) are left out: adding a method must not rewrite every golden file."""
from pathlib import Path

from helpers import compose_cfg
from omegaconf import OmegaConf

from numina_exp.config import PACKAGE_DIR
from numina_exp.core.registry import methods

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def golden_text(experiment: str) -> str:
    cfg = compose_cfg([f"experiment={experiment}", "scale=full"])
    data = OmegaConf.to_container(cfg, resolve=True)
    for m in methods().values():
        if m.section and m.name != cfg.method.name:
            data.pop(m.section, None)
    text = OmegaConf.to_yaml(OmegaConf.create(data))
    return f"# golden: +experiment={experiment} scale=full (scripts/update_golden_configs.py rewrites this)\n" + \
        text.replace(str(PACKAGE_DIR), "<pkg>")

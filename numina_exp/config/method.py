"""Schema of the `method` group (what a run does) and of `pipeline` (several stages in one run)."""
from dataclasses import dataclass, field


@dataclass
class MethodConfig:
    name: str = "evaluate"  # a name in numina_exp.registry.METHODS


@dataclass
class PipelineConfig:
    # Experiment names (conf/experiment/*.yaml), run in order in sub-directories of the run dir.
    # Each training stage's final/ becomes the next stage's model (train.init_from / model.path).
    stages: list = field(default_factory=list)
    # Extra overrides applied to every stage (e.g. scale=cpu is passed on automatically).
    overrides: list = field(default_factory=list)

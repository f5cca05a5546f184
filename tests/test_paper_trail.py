"""docs/paper_trail.md: every experiment and sweep it names exists and composes — each exact command of
its tables (placeholders like <run> left out), every stage of a pipeline, every job of a sweep — and
each number of the write-up and model card has its row. Names the doc lists as pending (methods other
issues bring) may be missing; once they exist they are checked like the others."""
import itertools
import re
import shlex

import pytest
from helpers import CONF, REPO, compose_cfg
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import open_dict

from numina_exp.config.scaling import apply_scale
from numina_exp.methods._validate import validate

DOC = REPO / "docs" / "paper_trail.md"
SWEEPS = REPO / "sweeps"
# The write-up's and the model card's numbers (the list); each must appear in a table row.
NUMBERS = ["8/50", "16/50", "27/50", "29/50", "56.3", "68.2", "46.8", "57.4", "51.7", "58.8", "84.6",
           "20/40", "31/40", "5/30", "10/30", "2–3x"]
CLAIMS = ["RLOO", "PPO", "Merges", "Larger models", "LoRA", "Static KV cache", "GPTQ", "warmup", "Learning rate",
          "temperature", "Seeds", "N=48, M=4"]


def _rows() -> list[list[str]]:
    rows = []
    for line in DOC.read_text().splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if len(cells) in (5, 6) and cells[0] != "claim":  # the 6th: the generated mini-AIMO column
                rows.append(cells[:5])
    return rows


def _pending() -> set[str]:
    """Names under "## Not yet in this project"; the section is there only while some method is missing
    (none is now), so without it every name must exist."""
    text = DOC.read_text()
    if "## Not yet in this project" not in text:
        return set()
    section = text[text.index("## Not yet in this project"):]
    names = set()
    for line in section.splitlines():
        if line.startswith("- "):
            names |= set(re.findall(r"`(\w+)`", re.sub(r"\(.*?\)", "", line.split(" — ")[0])))
    return names


def _commands() -> list[list[str]]:
    """Each `python -m numina_exp ...` of the command column, as argv after the module name."""
    out = []
    for row in _rows():
        for cmd in re.findall(r"`(python -m numina_exp [^`]+)`", row[3]):
            out.append(shlex.split(cmd)[3:])
    return out


def _experiments() -> set[str]:
    names = set()
    for row in _rows():
        names |= {t for t in re.findall(r"`([a-z0-9_]+)`", row[2])}
    for argv in _commands():
        names |= {a.split("=", 1)[1] for a in argv if a.startswith("+experiment=")}
    return names


def _sweeps() -> set[str]:
    names = set()
    for row in _rows():
        names |= set(re.findall(r"sweeps/(\w+)\.yaml", row[2]))
    for argv in _commands():
        if "--config-name" in argv:
            names.add(argv[argv.index("--config-name") + 1])
    return names


def _exists(name: str) -> bool:
    return (CONF / "experiment" / f"{name}.yaml").is_file()


def _check(cfg, what: str) -> None:
    apply_scale(cfg)
    try:
        validate(cfg)
    except Exception as err:  # noqa: BLE001 - name the doc's command in the failure
        raise AssertionError(f"{what}: {err}") from err


def _check_pipeline_stages(cfg, what: str, pending: set[str]) -> None:
    if cfg.method.name != "pipeline":
        return
    for stage in cfg.pipeline.stages:
        stage = stage if isinstance(stage, str) else stage["experiment"]
        if stage in pending and not _exists(stage):
            continue
        assert _exists(stage), f"{what}: pipeline stage {stage} is no experiment"
        _check(compose_cfg([f"experiment={stage}", "scale=cpu"]), f"{what}, stage {stage}")


def _compose_sweep(name: str, overrides: list[str]):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(SWEEPS), version_base="1.3"):
        return compose(name, overrides=[f"hydra.searchpath=[file://{CONF}]", *overrides], return_hydra_config=True)


def _sweep_axes(name: str, extra: list[str]) -> list[list[str]]:
    params = _compose_sweep(name, extra).hydra.sweeper.params or {}
    parsed = OverridesParser.create().parse_overrides([f"{k}={v}" for k, v in params.items()])
    return [[f"{o.key_or_group}={v}" for v in (o.sweep_string_iterator() if o.is_sweep_override() else [o.get_value_element_as_str()])]
            for o in parsed]


def _covering_jobs(axes: list[list[str]]) -> list[list[str]]:
    """Jobs in which every value of every axis occurs at least once (the full grid's composition adds
    nothing: each axis is one key)."""
    jobs = []
    for i, axis in enumerate(axes):
        for value in axis:
            jobs.append([value if j == i else other[0] for j, other in enumerate(axes)])
    return jobs


def _sweep_base(name: str) -> str | None:
    m = re.search(r"override experiment: (\w+)", (SWEEPS / f"{name}.yaml").read_text())
    return m.group(1) if m else None


def test_every_number_and_claim_has_a_row():
    rows = [" | ".join(r) for r in _rows()]
    for number in NUMBERS:
        assert any(number in r for r in rows), f"no row for {number}"
    for claim in CLAIMS:
        assert any(claim in r for r in rows), f"no row for {claim!r}"
    for row in _rows():
        assert row[4] and "MEASURED_" not in row[4], f"row {row[0]!r} says nothing about what was measured"
        assert "ANCHOR" not in " ".join(row) and "../shared" not in " ".join(row)


def test_only_pending_names_are_missing():
    """A name the doc uses is an experiment file, or listed as pending (a method another branch brings);
    a pending name that exists is composed like every other (the tests below)."""
    pipelines = [c for c in _experiments() if _exists(c) and "/method: pipeline" in (CONF / "experiment" / f"{c}.yaml").read_text()]
    named = _experiments() | {s if isinstance(s, str) else s["experiment"]
                              for c in pipelines for s in compose_cfg([f"experiment={c}"]).pipeline.stages}
    missing = {n for n in named if not _exists(n)}
    assert missing <= _pending(), f"named in docs/paper_trail.md but no experiment file: {sorted(missing - _pending())}"
    stale = sorted(n for n in _pending() if _exists(n))
    assert not stale, f"docs/paper_trail.md lists {stale} as not yet in this project, but they exist: measure their rows"


@pytest.mark.parametrize("argv", [a for a in _commands() if "-m" not in a], ids=lambda a: " ".join(a)[:80])
def test_each_command_composes_and_validates(argv):
    pending = _pending()
    args = [a for a in argv if "<" not in a and ">" not in a]  # <run> placeholders: a directory only a previous run makes
    exp = next((a.split("=", 1)[1] for a in args if a.startswith("+experiment=")), None)
    if exp in pending and not _exists(exp):
        return
    cfg = compose_cfg([a[1:] if a.startswith("+experiment=") else a for a in args] + ["scale=cpu"])
    _check(cfg, " ".join(argv))
    _check_pipeline_stages(cfg, " ".join(argv), pending)


@pytest.mark.parametrize("name", sorted(p.stem for p in SWEEPS.glob("*.yaml")))
def test_every_sweep_is_named_opens_with_its_row_and_composes(name):
    assert name in _sweeps(), f"sweeps/{name}.yaml is not named in docs/paper_trail.md"
    assert (SWEEPS / f"{name}.yaml").read_text().startswith("#"), f"sweeps/{name}.yaml must open with its paper-trail row"
    base = _sweep_base(name)
    if base in _pending() and not _exists(base):
        return
    extra = next(([a for a in argv if "<" not in a and ">" not in a and a not in ("-m", "--config-dir", "sweeps", "--config-name", name)
                   and not a.startswith("hydra/launcher")]
                  for argv in _commands() if name in argv), [])
    axes = _sweep_axes(name, extra)
    assert len(list(itertools.product(*axes))) >= 2, f"sweeps/{name}.yaml sweeps nothing"
    for job in _covering_jobs(axes):
        cfg = _compose_sweep(name, [*extra, *job, "scale=cpu"])
        with open_dict(cfg):
            del cfg["hydra"]
        _check(cfg, f"sweeps/{name}.yaml job {job}")
        assert cfg.experiment_name != "default"


def test_named_sweeps_exist():
    for name in _sweeps():
        assert (SWEEPS / f"{name}.yaml").is_file(), f"docs/paper_trail.md names sweeps/{name}.yaml"

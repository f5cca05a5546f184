"""No method, decoding strategy or backend is named outside the module that owns it: code asks the
declaration (Method, RLSpec) or the class's capability flags (decode/strategies.py, generate/base.py),
never `if name == ...`. Every string literal in numina_exp/ that equals a registered name is found by
parsing the sources; the few that must stay are listed below with the reason."""
import ast
import re
from pathlib import Path

import helpers  # noqa: F401  (registers the methods)

from numina_exp.config.backend import BackendName
from numina_exp.config.decoding import DecodingStrategy
from numina_exp.core.registry import methods
from numina_exp.decode.strategies import STRATEGIES
from numina_exp.generate.backends import BACKENDS

PKG = Path(__file__).resolve().parent.parent / "numina_exp"

# (file relative to numina_exp/, the literal): why it is not a method/strategy/backend named out of place
ALLOWED = {
    ("config/decoding.py", "greedy"): "DecodingStrategy, the schema's closed choice (config sits below decode/)",
    ("config/decoding.py", "maj_k"): "DecodingStrategy",
    ("config/decoding.py", "sc_tir_numina"): "DecodingStrategy",
    ("config/decoding.py", "sc_tir"): "DecodingStrategy",
    ("config/backend.py", "hf"): "BackendName, the schema's closed choice (config sits below generate/)",
    ("config/backend.py", "vllm"): "BackendName",
    ("config/backend.py", "replay"): "BackendName",
    ("config/backend.py", "openai"): "BackendName",
    ("core/rundir.py", "vllm"): "the PyPI package whose version a run records",
    ("evaluate/plan.py", "vllm"): "the PyPI package whose version a result depends on",
    ("evaluate/plan.py", "evaluate"): "the subpackage numina_exp.evaluate, hashed as code a result depends on",
    ("data/load.py", "decontaminate"): "the data.decontaminate key (filter rows), not the method",
    ("merge/__init__.py", "merge"): "__all__: the function merge.run.merge",
    ("merge/run.py", "merge"): "a merged model's lineage kind (what produced the weights)",
}


def _owner(kind: str, name: str, path: str) -> bool:
    if kind == "method":
        return path == f"methods/{name}.py"
    return path.startswith("decode/" if kind == "strategy" else "generate/")


def _names() -> dict[str, str]:
    names = {m: "method" for m in methods()}
    names.update({s.value: "strategy" for s in STRATEGIES})
    names.update({b.value: "backend" for b in BACKENDS})
    return names


def names_out_of_place(root: Path = PKG) -> list[str]:
    names = _names()
    found = []
    for file in sorted(root.rglob("*.py")):
        rel = file.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                kind = names[node.value]
                if not _owner(kind, node.value, rel) and (rel, node.value) not in ALLOWED:
                    found.append(f"numina_exp/{rel}:{node.lineno}: {kind} {node.value!r}")
    return found


def test_no_method_strategy_or_backend_name_outside_its_module():
    found = names_out_of_place()
    assert not found, "names written outside their module (ask the declaration or a capability flag):\n" + "\n".join(found)


def test_the_scan_finds_a_planted_name(tmp_path):
    """The scan itself bites: a name comparison in a shared module is reported with file and line."""
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "rl.py").write_text('def f(method):\n    return method == "rloo"\n')
    (tmp_path / "methods").mkdir()
    (tmp_path / "methods" / "rloo.py").write_text('NAME = "rloo"\n')  # its own module: fine
    (tmp_path / "evaluate").mkdir()
    (tmp_path / "evaluate" / "x.py").write_text('if backend == "hf" or strategy in ("maj_k",): pass\n')
    assert names_out_of_place(tmp_path) == ["numina_exp/evaluate/x.py:1: backend 'hf'",
                                            "numina_exp/evaluate/x.py:1: strategy 'maj_k'",
                                            "numina_exp/train/rl.py:2: method 'rloo'"]


def test_every_allowed_literal_is_still_there():
    """An allow-list entry whose literal is gone is removed, so the list cannot grow stale."""
    for rel, literal in ALLOWED:
        text = (PKG / rel).read_text()
        assert re.search(rf"""["']{re.escape(literal)}["']""", text), (rel, literal)


def test_enum_members_and_tables_hold_the_same_names():
    assert set(DecodingStrategy) == set(STRATEGIES)
    assert set(BackendName) == set(BACKENDS)
    for name, cls in STRATEGIES.items():
        assert cls.name is name
    assert len({cls for cls in BACKENDS.values()}) == len(BACKENDS)


def test_registry_discovery_is_the_only_dynamic_import():
    """core/registry holds a table and imports nothing above core; methods are found by the methods
    package itself (numina_exp.methods.discover). Import strings would hide layer violations from
    import-linter, so the only import_module call is that discovery (its own modules and plugins)."""
    calls = []
    for file in sorted(PKG.rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "import_module":
                calls.append(file.relative_to(PKG).as_posix())
    assert calls == ["methods/__init__.py"]
    registry = (PKG / "core" / "registry.py").read_text()
    assert not re.search(r"^\s*(from|import) (numina_exp|\.\.)", registry, re.M)

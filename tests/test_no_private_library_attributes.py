"""Our code reaches TRL / transformers / torch objects only through their public interfaces: no
`obj._name` read or write of an object that is not ours, no `getattr(obj, "_name")`. A private attribute
changes without notice between releases (TRL 1.16's `trainer._metrics` was how the RL log lines got
their sandbox and time numbers; they now go through the reward functions' `log_metric` and the trainer's
`log`). The scan parses numina_exp/; the private names that are ours or have no public way yet are
listed with the reason."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "numina_exp"

# (file relative to numina_exp/, the expression as ast.unparse writes it): why it may stay
ALLOWED = {
    ("methods/__init__.py", "registry._METHODS"): "our own registry module's table",
    ("train/rewards.py", "s._answers"): "our own Scored's per-step cache",
    ("train/rewards.py", "s._correct"): "our own Scored's per-step cache",
    ("report/kto_curves.py", "ws._spec"): "wandb-workspaces' serialisation of a view (what save() uploads), "
                                          "written offline; the library has no public one",
    ("generate/hf.py", "cc._compile_all_devices"): "transformers 5.x CompileConfig: a class-level flag, no "
                                                   "constructor argument, for compiling generate() on CPU",
    ("quantize/gptq.py", "loop_processor._PROJECT_LOG_DIR"): "gptqmodel's log dir (a module global, checked to "
                                                             "exist), kept out of the checkout",
    ("quantize/gptq.py", "hasattr(loop_processor, '_PROJECT_LOG_DIR')"): "the check that it exists",
    ("sandbox/zygote.py", "os._exit"): "documented in the os module: how a forked child ends",
    ("sandbox/zygote.py", "atexit._clear"): "a forked worker drops its parent's exit handlers",
    ("sandbox/zygote.py", "atexit._run_exitfuncs"): "a forked worker runs its own exit handlers",
    ("sandbox/zygote.py", "threading._shutdown"): "a forked worker waits for its threads as the interpreter does",
}


def private_uses(root: Path = PKG) -> list[tuple[str, int, str]]:
    """(file, line, expression) of every `x._name` with x not self/cls, and every get/has/setattr(x, "_name")."""
    found = []
    for file in sorted(root.rglob("*.py")):
        rel = file.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Attribute) and _private(node.attr) and ast.unparse(node.value) not in ("self", "cls"):
                found.append((rel, node.lineno, ast.unparse(node)))
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ("getattr", "hasattr", "setattr", "delattr") and len(node.args) >= 2
                  and isinstance(node.args[1], ast.Constant) and _private(node.args[1].value)):
                found.append((rel, node.lineno, ast.unparse(ast.Call(node.func, node.args[:2], []))))
    return sorted(found)


def _private(name) -> bool:
    return isinstance(name, str) and name.startswith("_") and not name.startswith("__")


def test_no_private_attribute_of_a_library_object():
    found = [f"numina_exp/{rel}:{line}: {expr}" for rel, line, expr in private_uses() if (rel, expr) not in ALLOWED]
    assert not found, "private attributes of library objects (use the public interface):\n" + "\n".join(found)


def test_the_scan_finds_planted_private_uses(tmp_path):
    """The scan bites on what this test guards against: TRL's private metrics, read or written."""
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "x.py").write_text(
        'def f(trainer, self):\n'
        '    trainer._metrics["train"]["k"].append(1)\n'
        '    m = getattr(trainer, "_metrics", None)\n'
        '    return self._mine, trainer.state.__dict__\n')
    assert private_uses(tmp_path) == [("train/x.py", 2, "trainer._metrics"),
                                      ("train/x.py", 3, "getattr(trainer, '_metrics')")]


def test_every_allowed_expression_is_still_there():
    """An allow-list entry the scan no longer finds is removed, so the list cannot grow stale."""
    assert set(ALLOWED) <= {(rel, expr) for rel, _, expr in private_uses()}, set(ALLOWED) - {(r, e) for r, _, e in private_uses()}

"""method=decontaminate through the CLI, and data.decontaminate=true in the training-data loader."""
import json

from helpers import compose_cfg, run_cli

from numina_exp.config import PACKAGE_DIR
from numina_exp.data.decontaminate import read_rows

SAMPLES = PACKAGE_DIR / "data" / "samples"


def _planted(tmp_path):
    """40 clean MATH-train rows with an AIME and an AMC problem planted (copy-edited) at rows 10 and 30."""
    rows = read_rows(SAMPLES / "cot_sample.jsonl")[:40]
    aime = read_rows(PACKAGE_DIR / "data" / "suites" / "aime.jsonl")[3]
    amc = read_rows(PACKAGE_DIR / "data" / "suites" / "amc.jsonl")[7]
    rows[10] = {"id": "planted-aime", "problem": aime["problem"].upper().replace("$", ""), "solution": "x"}
    rows[30] = {"id": "planted-amc", "problem": "  ".join(amc["problem"].split()), "solution": "y"}
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, rows, aime, amc


def test_cli_reports_every_hit_and_writes_the_cleaned_dataset(tmp_path):
    path, rows, aime, amc = _planted(tmp_path)
    run_dir = tmp_path / "run"
    res = run_cli(["+experiment=decontaminate_training_sets", f"decontaminate.files=[{path}]",
                   "decontaminate.suites=[aime,amc]", "decontaminate.progress=false", f"hydra.run.dir={run_dir}"], timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    hits = [json.loads(x) for x in (run_dir / "hits.jsonl").read_text().splitlines()]
    assert {(h["train_row"], h["suite"], h["problem_id"]) for h in hits} == {(10, "aime", aime["id"]), (30, "amc", amc["id"])}
    for h in hits:
        assert h["train_file"] == str(path) and h["ngram_score"] > 0.9 and h["span"]
    clean = [json.loads(x) for x in (run_dir / "clean.jsonl").read_text().splitlines()]
    assert [r["id"] for r in clean] == [r["id"] for i, r in enumerate(rows) if i not in (10, 30)]
    report = (run_dir / "report.md").read_text()
    assert "| train.jsonl | 40 | 2 | 38 | 1 | 1 |" in report
    assert json.loads((run_dir / "result.json").read_text())["dataset"] == "clean.jsonl"


def test_bad_threshold_is_a_config_error(tmp_path):
    res = run_cli(["+experiment=decontaminate_training_sets", "decontaminate.minhash_threshold=1.5",
                   f"hydra.run.dir={tmp_path}"], timeout=120)
    assert res.returncode == 2 and "decontaminate.minhash_threshold" in res.stderr


def test_loader_drops_contaminated_rows_when_asked(tmp_path):
    from numina_exp.data.load import load_raw
    path, rows, _, _ = _planted(tmp_path)
    base = ["data=jsonl", f"data.path={path}"]
    assert len(load_raw(compose_cfg(base))["train"]) == 40
    kept = load_raw(compose_cfg(base + ["data.decontaminate=true"]))["train"]
    assert len(kept) == 38 and "planted-aime" not in kept["id"] and "planted-amc" not in kept["id"]


def test_report_cells_from_the_data_are_inert(tmp_path):
    """Row ids and the matched training text are data: in report.md each is one inert cell (a newline must not
    add table rows; `<script>`, NUL, bidi overrides and zero-width characters appear escaped)."""
    from numina_exp.methods.decontaminate import run

    aime = read_rows(PACKAGE_DIR / "data" / "suites" / "aime.jsonl")[3]
    words = aime["problem"].split()
    text = " ".join(words[:3]) + " <script>x</script>\u202e\u200b\x00 \n| forged | row |\n" + " ".join(words[3:])
    rows = [{"id": "planted\n| forged | id |<b>\u202e", "problem": text, "solution": "x"}]
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(rows[0]) + "\n")
    cfg = compose_cfg(["experiment=decontaminate_training_sets", f"decontaminate.files=[{path}]",
                       "decontaminate.suites=[aime]", "decontaminate.progress=false"])
    run(cfg, tmp_path / "run")
    md = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    hits = md.split("## Every hit", 1)[1].strip().splitlines()
    assert len(hits) == 3, hits  # header, separator, the one hit
    assert "planted" in hits[2] and "&lt;b&gt;" in hits[2] and "\\u202e" in hits[2]
    assert "<script>" not in md and "<b>" not in md
    assert not any(c in md for c in "\u202e\u200b\x00")
    assert not any(line.startswith("| forged") for line in md.splitlines())

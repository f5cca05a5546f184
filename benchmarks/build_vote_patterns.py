"""Build benchmarks/data/qwen_math_cot_8.jsonl: real sampled vote patterns for the early-stop curves.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/build_vote_patterns.py SOURCE.jsonl

SOURCE: QwenLM/Qwen2.5-Math `evaluation/data/eval_rm_maj_example/math_cot_100.jsonl` (MIT) as one row per
sample (`problem_idx`, `sample_index`, `completion`, `pred`, `correct`, `answer`): 8 sampled CoT
completions per MATH-test problem, graded by Qwen's grader. Kept per sample: the extracted answer
(`pred`), its correctness, and its length in tokens (SmolLM2's tokenizer; the generating model's is not
stated). The completions themselves are not copied.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "qwen_math_cot_8.jsonl"


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from recorded import cfg_for_model

    from numina_exp.models import load_tokenizer, resolve_model_source

    cfg = cfg_for_model("smollm2_135m")
    tok = load_tokenizer(cfg, resolve_model_source(cfg))
    rows = [json.loads(line) for line in Path(sys.argv[1]).read_text().splitlines() if line.strip()]
    rows.sort(key=lambda r: (int(r["problem_idx"]), int(r["sample_index"])))
    out = [{"problem": int(r["problem_idx"]), "sample": int(r["sample_index"]), "pred": str(r["pred"]),
            "correct": bool(r["correct"]), "answer": str(r["answer"]),
            "num_tokens": len(tok(r["completion"], add_special_tokens=False).input_ids)} for r in rows]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(r) + "\n" for r in out))
    print(f"{len(out)} samples of {len({r['problem'] for r in out})} problems -> {OUT}")


if __name__ == "__main__":
    main()

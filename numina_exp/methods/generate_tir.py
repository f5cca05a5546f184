"""method=generate_tir: problems with reference answers -> a teacher -> the TIR loop with the sandbox ->
keep a solution whose answer is equivalent to the reference -> retry the rest up to R times with fresh
seeds -> tir.jsonl in the NuminaMath-TIR schema (`problem`, `solution`, `messages`) + provenance
(teacher, attempt, seed, copy, source, source row).

The loop is SC-TIR's (numina_exp.decode, `decoding=sc_tir`/`sc_tir_numina`: generate until the
code-output stop string, run the last python block in the sandbox, append its output, continue, up to
decoding.m steps, decoding.n copies per attempt); only the prompt differs: the ToRA-style instruction
(generate_tir.prompt_file) rendered with the teacher's own chat template. Teachers: backend=vllm (local)
or backend=openai (any OpenAI-compatible endpoint). Attempt a decodes problem `<id>#a<a>` with seed
`seed + a`, so every attempt has fresh per-request seeds and its own generation-log keys.

Resumable after kill -9: the journal (attempts.jsonl, numina_exp.data.tir_generation) records each
finished attempt; a resumed run skips finished problems and continues a problem at its next attempt."""
from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Optional

from ..config.eval import AnswerKind
from ..core.errors import ConfigError
from ..core.registry import Method
from ..decode import Decoder

log = logging.getLogger("numina_exp")


class TeacherTemplate(str, Enum):
    teacher = "teacher"  # the teacher tokenizer's own chat template, as is
    numina = "numina"
    chatml = "chatml"
    none = "none"


@dataclass
class GenerateTIRConfig:
    source: Optional[str] = None  # jsonl of problems (problem + answer or solution); null: the data= group
    limit: Optional[int] = None  # the first k source rows (scale=cpu caps it at scale.max_problems)
    retries: int = 2  # R: further attempts, each with fresh seeds, for problems without a kept solution
    prompt_file: str = "${pkg:data/prompts/tora_instruction.txt}"  # instruction with one {problem}
    chat_template: TeacherTemplate = TeacherTemplate.teacher
    answer_kind: AnswerKind = AnswerKind.math  # equivalence of the teacher's \boxed answer and the reference
    teacher: Optional[str] = None  # provenance name; null: the served model (openai) or model.hub_id/path
    price_prompt_token: float = 0.0  # USD per prompt token, for the cost estimate
    price_completion_token: float = 0.0  # USD per completion token
    resume: bool = True  # false: start over in this run dir
    progress: bool = True


def validate(cfg) -> None:
    from ..core import planned
    from ..data.tir_generation import load_instruction
    from ..decode.strategies import strategy_class, with_flag

    g, d = cfg.generate_tir, cfg.decoding
    if g.source is not None and not planned.exists(g.source):
        raise ConfigError("generate_tir.source", f"file not found: {g.source}", "give a jsonl with problem + answer (or solution) per line, or null for the data= group")
    if g.retries < 0:
        raise ConfigError("generate_tir.retries", f"must be >= 0, got {g.retries}", "use e.g. 2")
    if g.limit is not None and g.limit < 1:
        raise ConfigError("generate_tir.limit", f"must be >= 1, got {g.limit}", "use null for every row")
    if g.price_prompt_token < 0 or g.price_completion_token < 0:
        raise ConfigError("generate_tir.price_prompt_token", "prices must be >= 0", "give USD per token, e.g. 2.5e-6")
    try:
        load_instruction(g.prompt_file)
    except (OSError, ValueError) as err:
        raise ConfigError("generate_tir.prompt_file", str(err), "point it at a text file with one {problem} and no ```") from None
    if not strategy_class(d.strategy).runs_code:
        raise ConfigError("decoding.strategy", f"generate_tir runs the TIR loop; decoding.strategy={d.strategy} runs no code",
                          f"use decoding={' or '.join(with_flag('runs_code'))}")
    if d.answer_rule == "numina":
        raise ConfigError("decoding.answer_rule", "the numina rule reads the whole text, prompt included, and the instruction "
                          "itself shows \\boxed", "use decoding.answer_rule=boxed")
    if d.early_stop:
        raise ConfigError("decoding.early_stop", "early stop ends copies once the vote is decided; generate_tir keeps any "
                          "correct copy, so every copy must finish", "set decoding.early_stop=none")
    if g.retries > 0 and d.temperature == 0:
        raise ConfigError("decoding.temperature", f"{g.retries} retries at temperature 0 repeat the same greedy text",
                          "set decoding.temperature > 0 (e.g. 0.8) or generate_tir.retries=0")


# --- inputs --------------------------------------------------------------------------------------------
def source_rows(cfg) -> tuple[list[dict], str]:
    """(rows, source name): generate_tir.source, else the data= group (its shipped sample at scale=cpu)."""
    from ..data.decontaminate import read_rows
    from ..data.load import load_raw, source_of

    g = cfg.generate_tir
    if g.source:
        return read_rows(g.source), str(g.source)
    kind, ref = source_of(cfg)
    if kind == "json":
        return read_rows(ref), str(ref)
    return [dict(r) for r in load_raw(cfg)[cfg.data.train_split]], str(ref)


def prompt_renderer(cfg):
    """problem text -> the full prompt: the instruction as the user turn, in the teacher's chat template."""
    from ..data.tir_generation import instruction_for, load_instruction
    from ..models.chat_template import render_prompt

    g = cfg.generate_tir
    template = load_instruction(g.prompt_file)
    mode = TeacherTemplate(g.chat_template)
    if mode != TeacherTemplate.teacher:
        return lambda problem: render_prompt(instruction_for(template, problem), mode.value)
    from transformers import AutoTokenizer

    from ..models import resolve_model_source

    source = resolve_model_source(cfg)
    tok = AutoTokenizer.from_pretrained(source, trust_remote_code=bool(cfg.model.trust_remote_code))
    if not tok.chat_template:
        raise ConfigError("generate_tir.chat_template", f"the teacher's tokenizer ({source}) has no chat template",
                          "set generate_tir.chat_template=numina|chatml|none")

    def render(problem: str) -> str:
        return tok.apply_chat_template([{"role": "user", "content": instruction_for(template, problem)}],
                                       tokenize=False, add_generation_prompt=True)
    return render


def teacher_name(cfg, backend) -> str:
    if cfg.generate_tir.teacher:
        return str(cfg.generate_tir.teacher)
    if backend.served_model:  # a remote endpoint: the model it serves
        return f"{backend.served_model} @ {cfg.backend.url}"
    if cfg.model.path:
        return str(cfg.model.path)
    return f"{cfg.model.hub_id} (tiny twin)" if cfg.scale.tiny_model else str(cfg.model.hub_id)


# --- the run ---------------------------------------------------------------------------------------------
def run(cfg, run_dir) -> dict:
    from ..data.tir_generation import Journal, outcome, prune_log, stats, tir_row, yield_table
    from ..generate.capture import CopyCapture, copy_texts
    from ..generate.openai import EndpointError
    from ..grading import is_equivalent
    from ..grading.gold import gold_answer, problem_text

    g = cfg.generate_tir
    run_dir = Path(run_dir)
    if not g.resume:
        for name in ("attempts.jsonl", "tir.jsonl", "generations.jsonl", "endpoint_errors.jsonl"):
            (run_dir / name).unlink(missing_ok=True)
    rows, source_name = source_rows(cfg)
    if g.limit is not None:
        rows = rows[: int(g.limit)]
    journal = Journal(run_dir, g.retries)
    gen_log = run_dir / "generations.jsonl"
    dropped = prune_log(gen_log, journal.attempted_ids())
    if dropped:
        log.info("resume: dropped %d generation-log lines of an attempt in flight", dropped)
    (run_dir / "endpoint_errors.jsonl").unlink(missing_ok=True)  # this run's failures only; they are retried

    todo, skipped = [], {"no_problem": 0, "no_reference": 0}
    for i, row in enumerate(rows):
        problem, reference = problem_text(row), gold_answer(row)
        if problem is None or reference is None:
            skipped["no_problem" if problem is None else "no_reference"] += 1
            continue
        pid = str(row.get("id") if row.get("id") is not None else f"row{i}")
        if not journal.state(pid)[1]:
            todo.append((i, pid, problem, reference, str(row.get("source") or Path(source_name).stem)))

    kind = g.answer_kind

    def grade(pred: str, ref: str) -> bool:
        return is_equivalent(pred, ref, kind)

    endpoint_errors = 0
    decoder = None
    bar = None
    t0 = time.time()
    try:
        if todo:
            render = prompt_renderer(cfg)
            decoder = _TIRDecoder(cfg)
            teacher = teacher_name(cfg, decoder.backend)
            if g.progress:
                from tqdm.auto import tqdm
                bar = tqdm(total=len(todo), desc="generate_tir", unit="problem", dynamic_ncols=True)
        for i, pid, problem, reference, src in todo:
            attempt, done = journal.state(pid)
            prompt = render(problem)
            while not done:
                seed = int(cfg.seed) + attempt
                capture = CopyCapture(gen_log)
                usage = decoder.backend.usage
                before = dict(usage) if usage is not None else None
                try:
                    [result] = [r.to_json() for r in decoder.decode(
                        [{"id": f"{pid}#a{attempt}", "problem": problem, "prompt": prompt, "answer": reference}],
                        seed=seed, gen_log=capture)]
                except EndpointError as err:
                    endpoint_errors += 1
                    with open(run_dir / "endpoint_errors.jsonl", "a", encoding="utf-8") as f:
                        f.write(json.dumps({"id": pid, "attempt": attempt, "reason": err.reason, "error": str(err)}) + "\n")
                    log.warning("generate_tir: %s attempt %d failed at the endpoint (%s); a resume retries it", pid, attempt, err.reason)
                    break
                texts = copy_texts(result["copies"], capture.pop(f"{pid}#a{attempt}"))
                outs = {str(c["copy"]): outcome(c, grade, reference) for c in result["copies"]}
                line = {"id": pid, "attempt": attempt, "seed": seed, "source": src, "source_row": i,
                        "outcomes": dict(sorted(Counter(outs.values()).items())),
                        "copy_outcomes": outs, "completion_tokens": int(result["tokens"]),
                        "prompt_tokens": None if before is None else usage["prompt_tokens"] - before["prompt_tokens"]}
                good = [c for c in result["copies"] if outs[str(c["copy"])] == "correct"]
                if good:
                    c = good[0]
                    line["row"] = tir_row(problem, texts[int(c["copy"])].strip(), {
                        "teacher": teacher, "attempt": attempt, "seed": seed, "copy": int(c["copy"]),
                        "source": src, "source_row": i, "source_id": pid, "answer": c["answer"], "reference": reference})
                journal.append(line)
                attempt, done = journal.state(pid)
            if bar is not None:
                kept = sum(1 for x in journal.lines if x.get("row"))
                bar.set_postfix(kept=kept)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        if decoder is not None:
            decoder.close()
    st = stats(journal.lines, g.retries, g.price_prompt_token, g.price_completion_token, endpoint_errors, skipped)
    st["source"] = source_name
    st["wall_s_this_process"] = round(time.time() - t0, 2)
    (run_dir / "stats.json").write_text(json.dumps(st, indent=2))
    table = yield_table(st)
    (run_dir / "yield.md").write_text(table)
    print(table, flush=True)
    print(f"[generate_tir] {st['kept']} rows -> {run_dir / 'tir.jsonl'}", flush=True)
    return {"dataset": "tir.jsonl", "kept": st["kept"], "problems": st["problems"], "yield": st["yield"],
            "endpoint_errors": endpoint_errors}


class _TIRDecoder(Decoder):
    """The configured decoder; the prompt is the rendered instruction, not the recipe's `### Problem:`."""

    def prompt(self, problem: dict) -> str:
        return problem["prompt"]


METHOD = Method(
    name="generate_tir", run=run, validate=validate, needs=("model", "data", "decoding", "backend"),
    section="generate_tir", schema=GenerateTIRConfig, consumes={"model": "model.path"}, produces={"dataset": "tir.jsonl"},
    scale_caps={"generate_tir.limit": "max_problems"},
    doc="teacher model + sandbox -> TIR solutions whose answers match the reference (NuminaMath-TIR schema), resumable",
)

"""What the trainer sees: the training text is the decoding prompt followed by the solution; loss masking
trains exactly the intended spans of a packed batch; bfd isolates samples, wrapped lets them attend
across (as TRL 0.8.1 did for NuminaMath)."""
import json

import pytest
import torch

from numina_exp.data.format import to_messages
from numina_exp.methods.sft import build_trainer
from numina_exp.models.chat_template import render_prompt

from .conftest import TINY, compose

SOLUTION_TAIL = "\n</s>"


def _trainer(tmp_path, *extra):
    cfg = compose(["+experiment=stage2_tir", *TINY, "train.logging_steps=1", *extra])
    trainer, ctx = build_trainer(cfg, tmp_path)
    return cfg, trainer, ctx


def _rows(cfg):
    return [json.loads(line) for line in open(cfg.data.sample_path)]


def test_rows_keep_messages_with_empty_system_turn():
    msgs = to_messages({"problem": "P", "solution": "S"})
    assert msgs == [{"role": "system", "content": ""}, {"role": "user", "content": "P"}, {"role": "assistant", "content": "S"}]
    row = {"messages": [{"role": "user", "content": "P"}, {"role": "assistant", "content": "S"}], "source": "x"}
    assert to_messages(row) == msgs


def test_training_text_is_decoding_prompt_then_solution(tmp_path):
    cfg, trainer, _ = _trainer(tmp_path, "train.packing=false", "train.block_size=4096")
    tok = trainer.processing_class
    by_problem = {r["problem"]: r for r in _rows(cfg)}
    for ex in trainer.train_dataset.select(range(5)):
        ids = ex["input_ids"]
        assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
        text = tok.decode(ids[1:])
        problem = text[len("### Problem: "):text.index("\n### Solution: ")]
        row = by_problem[problem]
        assert text == render_prompt(row["problem"]) + row["solution"] + SOLUTION_TAIL
        # Same tokens as the decoding prompt tokenized the way generation does (BOS from the tokenizer).
        prompt_ids = tok(render_prompt(row["problem"])).input_ids
        assert ids[:len(prompt_ids) - 1] == prompt_ids[:-1]  # the trailing space merges with the solution's first word


def _trained_spans(trainer):
    """Decode the labelled (trained) tokens of the first packed batch, per packed sample."""
    batch = next(iter(trainer.get_train_dataloader()))
    tok = trainer.processing_class
    ids, labels = batch["input_ids"], batch["labels"]
    return tok, ids, labels, batch


@pytest.mark.parametrize("mode", ["none", "assistant_only", "completion_only"])
def test_loss_masking_trains_the_intended_spans(tmp_path, mode):
    cfg, trainer, _ = _trainer(tmp_path, f"train.loss_masking={mode}", "train.packing_strategy=bfd",
                                "train.block_size=1024")  # no sample is truncated
    tok, ids, labels, batch = _trained_spans(trainer)
    flat_ids, flat_labels = ids.flatten().tolist(), labels.flatten().tolist()
    # Split the (padding-free) packed row into samples at BOS.
    starts = [i for i, t in enumerate(flat_ids) if t == tok.bos_token_id] + [len(flat_ids)]
    assert len(starts) > 2
    for a, b in zip(starts, starts[1:]):
        sample, lab = flat_ids[a:b], flat_labels[a:b]
        full = tok.decode(sample, skip_special_tokens=False)
        trained = tok.decode([t for t, l in zip(sample, lab) if l != -100], skip_special_tokens=False)
        if mode == "none":  # NuminaMath: every token, EOS included; bfd's collator masks each sample's first
            assert full.startswith("<s>") and trained == full[len("<s>"):]  # label (BOS: no cross-sample prediction)
        else:  # the solution and EOS only (the prompt `### Problem: ...### Solution:` is masked)
            solution = full[full.index("### Solution:") + len("### Solution:"):]
            assert trained.strip() == solution.strip() and trained.endswith("</s>")
            assert "### Problem" not in trained


def test_bfd_isolates_samples(tmp_path):
    cfg, trainer, _ = _trainer(tmp_path, "train.packing_strategy=bfd", "train.block_size=1024")
    tok, ids, labels, batch = _trained_spans(trainer)
    assert "attention_mask" not in batch  # padding-free: one flattened row, boundaries from position_ids
    pos = batch["position_ids"][0].tolist()
    bos = [i for i, t in enumerate(ids[0].tolist()) if t == tok.bos_token_id]
    assert [i for i, p in enumerate(pos) if p == 0] == bos  # positions restart at every sample
    # No cross-sample attention: a sample's logits are the same packed as alone.
    model = trainer.model.eval()
    with torch.no_grad():
        packed = model(input_ids=ids, position_ids=batch["position_ids"], use_cache=False).logits[0]
        a, b = bos[1], bos[2]
        alone = model(input_ids=ids[:, a:b], use_cache=False).logits[0]
    assert torch.allclose(packed[a:b], alone, atol=1e-4)
    stats = trainer.train_dataset["seq_lengths"]
    assert sum(map(len, stats)) > len(stats)  # several samples per row


def test_wrapped_concatenates_and_cuts_with_cross_attention(tmp_path):
    """TRL 0.8.1 / NuminaMath: EOS between samples, fixed-length chunks, remainder dropped, and attention
    crosses sample boundaries (documented behaviour, not a bug of this repo)."""
    cfg, trainer, ctx = _trainer(tmp_path, "train.packing_strategy=wrapped")
    assert all(len(x) == cfg.train.block_size for x in trainer.train_dataset["input_ids"])
    assert ctx["metrics"]["packing"]["non_pad_fraction"] == 1.0
    tok, ids, labels, batch = _trained_spans(trainer)
    assert "position_ids" not in batch and bool(batch["attention_mask"].all())
    rows = trainer.train_dataset["input_ids"]
    inner = [(r, i) for r in rows for i, t in enumerate(r) if t == tok.eos_token_id and 2 < i < len(r) - 3]
    assert inner, "some chunk holds the end of one sample and the start of the next"
    assert all(r[i + 1] == tok.bos_token_id for r, i in inner)  # EOS, then the next sample's BOS
    row, e = inner[0]
    # Cross attention: the next sample's logits change when the previous sample's tokens change.
    model = trainer.model.eval()
    x = torch.tensor([row])
    changed = x.clone()
    changed[0, 1:e - 1] = tok.eos_token_id
    with torch.no_grad():
        base, other = model(input_ids=x).logits[0, e + 1:], model(input_ids=changed).logits[0, e + 1:]
    assert not torch.allclose(base, other, atol=1e-4)

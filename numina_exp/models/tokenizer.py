"""The offline tokenizer for tiny twins: a byte-level BPE trained with `tokenizers` on the samples
shipped in the repo. Deterministic (same corpus and size -> same vocabulary), cached on disk by a hash
of its inputs, with the NuminaMath chat template and BOS/EOS/PAD. Byte-level, so any text (code, LaTeX,
unicode) round-trips even where the small vocabulary has no merge for it."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .chat_template import CHAT_TEMPLATES, PROBLEM, SOLUTION

BOS, EOS, PAD = "<s>", "</s>", "<pad>"
TOKENIZER_VERSION = "1"  # bump when the training recipe below changes
SAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "samples"


def cache_root() -> Path:
    return Path(os.environ.get("NUMINA_EXP_CACHE", Path.home() / ".cache" / "numina_exp"))


def _corpus() -> list[str]:
    """Rendered training texts of every shipped sample, in a fixed order."""
    texts = []
    for path in sorted(SAMPLES_DIR.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            texts.append(f"{PROBLEM}{row['problem']}\n{SOLUTION}{row['solution']}\n")
    if not texts:
        raise FileNotFoundError(f"no sample data in {SAMPLES_DIR}: the offline tokenizer is trained on it")
    return texts


def build_tokenizer(vocab_size: int = 4096, template: str = "numina", out_dir: str | Path | None = None):
    """Train (or load from cache) and return a transformers fast tokenizer."""
    from transformers import PreTrainedTokenizerFast

    corpus = _corpus()
    key = hashlib.sha256(json.dumps([TOKENIZER_VERSION, vocab_size, corpus]).encode()).hexdigest()[:16]
    out = Path(out_dir) if out_dir else cache_root() / "tokenizer" / f"bpe{vocab_size}-{key}"
    if not (out / "tokenizer.json").exists():
        _train(corpus, vocab_size, out)
    tok = PreTrainedTokenizerFast.from_pretrained(str(out))
    tok.chat_template = CHAT_TEMPLATES[template]
    return tok


def _train(corpus: list[str], vocab_size: int, out: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[PAD, BOS, EOS], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer=trainer)
    bos_id = tok.token_to_id(BOS)
    # BOS from the tokenizer, as DeepSeekMath's does; the chat template itself adds none.
    tok.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B",
                                                       special_tokens=[(BOS, bos_id)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOS, pad_token=PAD,
                                   model_max_length=4096, chat_template=CHAT_TEMPLATES["numina"])
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    fast.save_pretrained(str(tmp))
    publish_dir(tmp, out)


def publish_dir(tmp: Path, out: Path) -> None:
    """Move a fully written cache entry into place. Several processes (e.g. the ranks of a distributed
    run) may build the same deterministic entry at once: the first rename wins, the others drop theirs."""
    import shutil

    try:
        tmp.rename(out)
    except OSError:
        if not out.exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)

"""KTO under DeepSpeed ZeRO-3 over 2 CPU processes (the entrypoint re-launches through accelerate)."""
import json

from kto_scripted import toy_samples, write_samples
from test_kto_runs import KTO, cli


def test_kto_zero3_two_cpu_processes(tmp_path):
    samples = write_samples(tmp_path / "samples.jsonl", toy_samples())
    run = tmp_path / "run"
    cli([*KTO, f"data.path={samples}", "distributed=zero3", "launch.processes=2", "train.per_device_batch_size=4",
         "train.max_steps=4"], run, timeout=900)
    m = json.loads((run / "train_metrics.json").read_text())
    assert m["world_size"] == 2 and m["global_step"] == 4
    assert any("rewards/margins" in h for h in m["log_history"])
    assert (run / "final" / "config.json").exists() and (run / "implicit_rewards.png").exists()

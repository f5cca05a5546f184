"""benchmarks/sandbox.py --readme: a run row lands at the end of the runs table, whatever tables follow it in
the `## sandbox` section (the section also holds the per-snippet cost split; a row appended there is lost)."""
import importlib.util

from helpers import REPO

_spec = importlib.util.spec_from_file_location("bench_sandbox", REPO / "benchmarks" / "sandbox.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

COST_TABLE = "| step | median ms | p99 ms |\n|---|---:|---:|\n| fork | 3.1 | 4.8 |"


def test_row_goes_after_the_last_run_row_not_into_a_later_table(tmp_path):
    readme = tmp_path / "README.md"
    old_row = "| old | bwrap (cgroup) | 1.0 | 4.0 | 150.0 | 8.0 | 25.0 | 37.5x |"
    readme.write_text(f"# Benchmarks\n\n## sandbox\n\nintro\n\n{bench.HEADER}\n{old_row}\n\nsplit:\n\n{COST_TABLE}\n\n"
                      "## grading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    bench.write_readme("| new | process (cgroup) | 1.1 | 4.1 | 160.0 | 9.0 | 26.0 | 39.0x |", readme)
    lines = readme.read_text().split("\n")
    assert lines[lines.index(old_row) + 1].startswith("| new |")
    assert lines[lines.index("| fork | 3.1 | 4.8 |") + 1] == ""  # the cost table is untouched
    assert readme.read_text().count("| new |") == 1 and "## grading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n" in readme.read_text()


def test_first_use_makes_the_section_and_its_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\n## grading\n\ntext\n")
    bench.write_readme("| first | bwrap (cgroup) | 1.0 | 4.0 | 150.0 | 8.0 | 25.0 | 37.5x |", readme)
    text = readme.read_text()
    assert text.index("## grading") < text.index("## sandbox") < text.index(bench.HEADER) < text.index("| first |")

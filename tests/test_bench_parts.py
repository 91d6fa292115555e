"""The benchmark's pure parts (CI's `make bench-quick` runs the rest): percentiles, the 155-answer body's
case type, /proc readings, and the wrk script it generates."""

import os
import subprocess
from pathlib import Path

from bench import ab, ingest, load, proc, table
from bench.table import Row, percentile, print_table


def test_percentile_takes_the_value_at_that_share_of_the_sorted_values() -> None:
    assert percentile([float(n) for n in range(100, 0, -1)], 0.95) == 95.0
    assert percentile([3.0], 0.99) == 3.0


def test_the_put_body_answers_every_question_of_the_case_type_with_the_most() -> None:
    framework = {
        "sections": [
            {
                "criteria": [
                    {
                        "questions": [
                            {"id": "1.1", "applies_to": None},
                            {"id": "1.2", "applies_to": ["custody"]},
                            {"id": "1.3", "applies_to": ["licence", "custody"]},
                            {"id": "1.4", "applies_to": ["licence"]},
                            {"id": "1.5", "applies_to": ["licence"]},
                        ]
                    }
                ]
            }
        ]
    }
    case_type, answers = ingest.full_answers(framework)
    assert case_type == "licence"
    assert sorted(answers) == ["1.1", "1.3", "1.4", "1.5"]


def test_proc_reads_this_process_and_nothing_for_a_gone_one() -> None:
    assert proc.rss_mb(os.getpid()) > 0
    assert proc.cpu_seconds(os.getpid()) > 0
    assert proc.cpu_seconds(2**22 + 1) == 0.0  # above the kernel's largest pid


def test_the_wrk_script_renders_with_each_request_taking_the_next_path() -> None:
    script = load._SCRIPT % {"paths": '"/tmp/p"', "body": "nil", "headers": "{}", "method": '"PUT"', "threads": 2}
    assert "local i = tid + 1 + counter * 2" in script
    assert 'io.write("\\nSAMPLE "' in script


def test_the_table_prints_ratios_and_skipped_rows(capsys) -> None:
    row = Row("ingest", "assessment PUT: gateway", "req/s", 120.0, 40.0, 90.0, 0.05, "raw single-row write", ">= 0.18x", False)
    row.cpu_ms_per_request = {"gateway": 3.6, "cases": 9.0}
    print_table([row], ["nginx rows: nginx is not installed"])
    out = capsys.readouterr().out
    assert "0.050" in out and "MISS" in out and "gw 3.60 cases 9.00" in out
    assert "SKIPPED: nginx rows" in out


def test_ab_takes_the_median_of_the_runs_after_the_first() -> None:
    def run(rate: float) -> load.Run:
        return load.Run(int(rate * 2), 2.0, 0, 0, 1.0, 2.0, 3.0, {"201": int(rate * 2)})

    runs = [(run(900), {"cases": 9.0}), (run(300), {"cases": 2.0}), (run(500), {"cases": 1.0}), (run(400), {"cases": 3.0})]
    assert ab.medians(runs) == (400.0, {"cases": 2.0})  # the first, a warm-up, left out
    assert ab.medians(runs[:2]) == (600.0, {"cases": 5.5})  # with two, both kept


def test_the_results_name_a_tree_with_changes_not_committed_as_such(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "bench").mkdir()
    (tmp_path / "code.py").write_text("a = 1\n")
    (tmp_path / "bench" / "results.json").write_text("{}\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "one")
    head = table.commit(tmp_path)
    assert head and "+" not in head and head != "unknown"
    (tmp_path / "bench" / "results.json").write_text('{"rows": []}\n')  # a run's own output is no change
    (tmp_path / "notes.txt").write_text("untracked\n")
    assert table.commit(tmp_path) == head
    (tmp_path / "code.py").write_text("a = 2\n")
    assert table.commit(tmp_path) == f"{head}+changes"

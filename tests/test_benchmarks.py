"""The benchmarks run and say what they measured: each script's ``--quick`` smoke run,
its JSON record and the report made from the records. No timing is asserted (timings
live in benchmarks/RESULTS.md); minigraph and the numpy loop only, never PyTorch or JAX.

And the one thing a comparison stands on: the hand-written numpy loop trains the same
network the same way as minigraph's ``fit``, so their first Adam step agrees.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # benchmarks/ is not an installed package: import it from the checkout

from benchmarks.harness import initial_weights, paired_ratio, take_turns  # noqa: E402
from benchmarks.jobs import numpy_loop  # noqa: E402

SCRIPTS = ("worksheet_job", "batch_width", "engine_overhead", "long_chain")


def run_module(module: str, *arguments: str) -> str:
    completed = subprocess.run([sys.executable, "-m", module, *arguments], cwd=REPO, capture_output=True, text=True,
                               env=dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="3"), timeout=600)
    assert completed.returncode == 0, f"{module} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    """Each script's --quick run: its printed output, and its JSON record in one folder."""
    folder = tmp_path_factory.mktemp("results")
    outputs = {script: run_module(f"benchmarks.{script}", "--quick", "--json", str(folder / f"{script}.json"))
               for script in SCRIPTS}
    records = {script: json.loads((folder / f"{script}.json").read_text()) for script in SCRIPTS}
    return folder, outputs, records


def check_run(run: dict, framework: str) -> None:
    assert run["framework"] == framework
    assert run["seconds_per_epoch"] > 0 and run["cpu_seconds_per_epoch"] > 0
    assert run["peak_rss_mb"] >= run["rss_before_training_mb"] > 10  # VmHWM never below the RSS it had
    assert run["threads"] == 1
    assert all(pool["threads"] == 1 for pool in run["blas_threads"])  # --threads 1 reached numpy's BLAS
    assert run["final_accuracy"] > 0.5  # 64 steps of Adam on 2,048 rows: well above chance (0.1)


@pytest.mark.slow
def test_worksheet_job_quick_times_minigraph_and_the_numpy_loop(quick_runs):
    _, outputs, records = quick_runs
    record = records["worksheet_job"]
    assert record["rows"] == 2048 and record["batch_size"] == 32 and record["hidden"] == 128
    assert set(record["runs"]) == {"minigraph", "numpy"}
    for framework, runs in record["runs"].items():
        assert len(runs) == 1
        check_run(runs[0], framework)
    assert [ratio["ratio"] for ratio in record["ratios"]] == ["minigraph / numpy, s/epoch"]
    ratio = record["ratios"][0]
    minigraph, numpy = record["runs"]["minigraph"][0], record["runs"]["numpy"][0]
    assert ratio["wall"] == pytest.approx(minigraph["seconds_per_epoch"] / numpy["seconds_per_epoch"])
    assert record["machine"]["cores"] == os.cpu_count()
    output = outputs["worksheet_job"]
    assert "framework         s/epoch  fastest    CPU s  peak MB  accuracy  version" in output
    assert "minigraph / numpy, s/epoch" in output and "<= 1.0: wall " in output


@pytest.mark.slow
def test_batch_width_quick_covers_each_setting(quick_runs):
    _, outputs, records = quick_runs
    record = records["batch_width"]
    assert [(c["batch_size"], c["hidden"]) for c in record["comparisons"]] == [(32, 128), (256, 1024)]
    for comparison in record["comparisons"]:
        for framework in ("minigraph", "numpy"):
            run = comparison["runs"][framework][0]
            check_run(run, framework)
            assert (run["batch_size"], run["hidden"]) == (comparison["batch_size"], comparison["hidden"])
        assert set(comparison["ratios_to_minigraph"]) == {"numpy"}
    assert " batch hidden         minigraph             numpy" in outputs["batch_width"]


@pytest.mark.slow
def test_engine_overhead_quick_subtracts_the_kernel(quick_runs):
    _, outputs, records = quick_runs
    record = records["engine_overhead"]
    kernel = record["numpy x + y"]
    assert set(record["minigraph"]) == {"session.run", "make_callable"}
    for timing in record["minigraph"].values():
        assert timing["own"] == pytest.approx(timing["best"] - kernel["best"], abs=1e-3)
        assert timing["best"] <= timing["median"]
    assert "tensorflow" not in record  # --quick leaves TensorFlow out
    assert "minigraph's own:" in outputs["engine_overhead"]


@pytest.mark.slow
def test_long_chain_quick_times_every_stage(quick_runs):
    _, outputs, records = quick_runs
    record = records["long_chain"]
    assert set(record["chains"]) == {"1000", "4000"}
    for ops, times in record["chains"].items():
        assert times["gradient_ops"] > int(ops)  # the gradient graph is at least as long as the chain
        for stage in record["per_op_growth"]:
            assert times[stage] >= 0
    assert set(record["per_op_growth"]) == {"build", "plan", "first run", "compile", "run", "differentiate",
                                             "plan + run gradients"}
    assert "µs per op at 4,000 ops / at 1,000 ops" in outputs["long_chain"]


@pytest.mark.slow
def test_report_writes_results_and_plot_from_the_records(quick_runs, tmp_path):
    folder, _, _ = quick_runs
    run_module("benchmarks.report", "--results", str(folder), "--out", str(tmp_path))
    text = (tmp_path / "RESULTS.md").read_text()
    for heading in ("## The worksheet job", "## Batch size and width", "## Engine overhead", "## Chains of ops"):
        assert heading in text
    assert "| **minigraph** | minigraph " in text
    assert "![the worksheet job, batch and width, chain scaling](results.png)" in text
    assert (tmp_path / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_numpy_loop_takes_the_same_first_adam_step_as_minigraph_fit():
    """Same weights, same batch of 32 rows: one step of the numpy loop and of minigraph's
    fit give the same weights (Keras 3's Adam moves each weight by about lr * sign(g))."""
    from minigraph.keras.layers import Activation, Dense
    from minigraph.keras.models import Sequential

    generator = np.random.default_rng(1)
    x = generator.normal(size=(32, 60)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[generator.integers(0, 10, size=32)]
    start = initial_weights(60, 128, 10, seed=0)

    model = Sequential([Dense(128, input_shape=(60,)), Activation("relu"), Dense(10), Activation("softmax")])
    model.set_weights(start)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)

    weights = [w.copy() for w in start]
    numpy_loop.train_step(weights, numpy_loop.Adam(weights), x, y)
    for name, by_minigraph, by_hand, before in zip(("kernel_1", "bias_1", "kernel_2", "bias_2"), model.get_weights(),
                                                   weights, start):
        np.testing.assert_allclose(by_hand, by_minigraph, atol=2e-6, err_msg=name)
        assert np.abs(by_hand - before).max() == pytest.approx(0.001, rel=1e-2)  # lr * sign(g)


def test_turns_rotate_the_order_and_ratios_pair_runs_of_one_round():
    """Round r starts r places later; a ratio is the median of ratios within a round, so
    a slow round (load from elsewhere) slows both sides of its ratio, not the median."""
    order = []
    seconds = {"a": [1.0, 10.0, 1.2], "b": [2.0, 20.0, 2.0]}  # round 2 ten times slower for both

    def run_one(framework):
        order.append(framework)
        value = seconds[framework][sum(1 for f in order if f == framework) - 1]
        return {"seconds_per_epoch": value, "cpu_seconds_per_epoch": value, "peak_rss_mb": 1.0, "load_before": 0.0}

    results = take_turns(["a", "b"], 3, run_one)
    assert order == ["a", "b", "b", "a", "a", "b"]
    assert [r["round"] for r in results["a"]] == [0, 1, 2]
    assert paired_ratio(results, "b", "a") == pytest.approx(2.0)  # rounds: 2.0, 2.0, 1.67
    assert paired_ratio(results, "b", "missing") is None

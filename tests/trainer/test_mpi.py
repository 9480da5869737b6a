"""MPI across processes: data parallel and model parallel training match one process; a dead rank or a graph
that differs between ranks ends the whole job with an error, never a hang.

Each test launches ``mpiexec -n 2`` (the launcher of the MPI library mpi4py loads: the venv's own, from the
``mpich`` wheel) on a script in ``mpi_scripts/`` under a hard timeout, and compares with the same graph run
in this process without MPI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import need

import trainer as tf

SCRIPTS = Path(__file__).parent / "mpi_scripts"
sys.path.insert(0, str(SCRIPTS))
import mpi_models as models  # noqa: E402

HARD_TIMEOUT = 90  # seconds for one mpiexec run: a hang fails the test instead of blocking the suite


def _mpiexec() -> str:
    """The launcher next to this interpreter (pip's mpich), which matches the MPI mpi4py loads."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        need(False, "mpi4py is not installed (pip install 'tensorlet[mpi]')")
    exe = Path(sys.executable).parent / "mpiexec"
    need(exe.exists(), f"mpiexec not found next to {sys.executable} (pip install mpich)")
    return str(exe)


def _launch(
    script: str, *args: str, n: int = 2, timeout_env: str = "20", extra: list[str] | None = None
) -> tuple[int, str, float]:
    env = dict(os.environ, TENSORLET_MPI_TIMEOUT=timeout_env, PYTHONPATH=str(Path(__file__).parents[2]))
    cmd = [_mpiexec(), *(extra or []), "-n", str(n), sys.executable, str(SCRIPTS / script), *args]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=HARD_TIMEOUT, env=env)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{script} hung for {HARD_TIMEOUT} s: {e.stdout!r} {e.stderr!r}")
    return p.returncode, p.stdout + p.stderr, time.monotonic() - t0


def _single_process_data_parallel_reference() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    with tf.Graph().as_default():
        x, y, loss = models.cnn()
        train = tf.train.MomentumOptimizer(0.05, 0.9).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = [sess.run([loss, train], {x: xb, y: yb})[0] for xb, yb in models.batches()]
            return np.array(losses), models.variables_by_name(sess)


def test_data_parallel_two_ranks_match_one_process_on_the_whole_batch(tmp_path):
    rc, out, _ = _launch("data_parallel.py", str(tmp_path))
    assert rc == 0, out
    got = np.load(tmp_path / "result.npz")
    ref_losses, ref_vars = _single_process_data_parallel_reference()
    assert len(got["losses"]) == models.STEPS == 20
    np.testing.assert_allclose(got["losses"], ref_losses, rtol=1e-5, atol=1e-6)
    assert ref_losses[-1] < ref_losses[0]  # it trained
    for name, ref in ref_vars.items():
        np.testing.assert_allclose(got[name], ref, rtol=1e-5, atol=1e-6, err_msg=name)
    # Rank 0 alone wrote the checkpoint and the log.
    assert sorted(p.name for p in tmp_path.glob("ckpt_rank*")) == [
        "ckpt_rank0.index.json",
        "ckpt_rank0.meta",
        "ckpt_rank0.npz",
    ]
    assert out.count("step 19 loss") == 1


def test_model_parallel_conv_on_task0_head_on_task1_matches_one_process(tmp_path):
    rc, out, _ = _launch("model_parallel.py", str(tmp_path))
    assert rc == 0, out
    # Rank 0 (the conv layers) receives exactly the head's gradient and the fetched loss.
    assert (
        "rank 0 receives: ['gradients/flatten/Reshape_grad/Reshape:0', 'sparse_softmax_cross_entropy" in out
    )
    got = np.load(tmp_path / "result.npz")
    with tf.Graph().as_default():  # the same pinned graph in one process: soft placement puts all on CPU:0
        x, y, loss = models.cnn(("/job:worker/task:0", "/job:worker/task:1"))
        train = tf.train.AdamOptimizer(0.01).minimize(loss)
        with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
            sess.run(tf.global_variables_initializer())
            ref = [sess.run([loss, train], {x: xb, y: yb})[0] for xb, yb in models.batches()]
            ref_vars = models.variables_by_name(sess)
            assert not any(p.partitioned for p in sess._plans.values())
    np.testing.assert_allclose(got["losses"], ref, rtol=1e-6, atol=0)
    assert ref[-1] < ref[0]
    for name, want in ref_vars.items():
        np.testing.assert_allclose(got[name], want, rtol=1e-6, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("script", ["data_parallel.py", "model_parallel.py"])
def test_killed_rank_ends_the_job_with_an_error(script, tmp_path):
    """Rank 1 is SIGKILLed at step 5: mpiexec tears the job down and exits non-zero."""
    rc, out, took = _launch(script, str(tmp_path), "--die-at", "5", "--exit-code", "kill")
    assert rc != 0 and took < 60, out
    assert "step 19" not in out and not (tmp_path / "result.npz").exists()


@pytest.mark.parametrize("script", ["data_parallel.py", "model_parallel.py"])
def test_rank_that_vanishes_is_caught_by_the_deadline_not_a_hang(script, tmp_path):
    """Without the launcher's clean-up, rank 1 leaves quietly (exit 0, no MPI_Finalize) at step 5: rank 0's
    receive or Allreduce passes its deadline and MPI_Abort ends the job."""
    rc, out, took = _launch(
        script,
        str(tmp_path),
        "--die-at",
        "5",
        "--exit-code",
        "0",
        timeout_env="4",
        extra=["-disable-auto-cleanup"],
    )
    assert rc != 0 and took < 60, out
    assert "RendezvousTimeoutError" in out and ("within 4 s" in out or "waited 4 s" in out), out
    assert "aborting the MPI job" in out


@pytest.mark.parametrize("mode", ["data", "model"])
def test_graph_mismatch_between_ranks_ends_every_rank(mode):
    rc, out, took = _launch("mismatch.py", mode)
    assert rc != 0 and took < 60, out
    assert "GraphMismatchError: the MPI ranks built different graphs" in out
    assert "went unnoticed" not in out


@pytest.mark.parametrize("example", ["data_parallel_mnist.py", "model_parallel_mnist.py"])
def test_distributed_examples_run_on_two_ranks(example, tmp_path):
    script = Path(__file__).parents[2] / "examples" / "distributed" / example
    rc, out, _ = _launch(
        str(script), "--epochs", "1", "--max-steps", "4", "--save", str(tmp_path), timeout_env="30"
    )
    assert rc == 0, out
    assert out.count("test accuracy") == 1  # rank 0 alone logs
    if example.startswith("data"):
        assert (tmp_path / "model-4.npz").is_file() and (tmp_path / "checkpoint").is_file()
    else:
        assert "task:1/device:CPU:0: " in out and "recvs" in out


def test_two_virtual_cpus_per_rank_mix_local_and_mpi_transfers(tmp_path):
    rc, out, _ = _launch("hybrid.py", str(tmp_path))
    assert rc == 0, out
    import hybrid

    m = re.search(r"pairs (\d+) within a rank (\d+)", out)
    assert m, out
    pairs, local = int(m.group(1)), int(m.group(2))
    assert pairs > local > 0  # some edges stay within a rank, some cross ranks
    got = np.load(tmp_path / "result.npz")
    with tf.Graph().as_default():  # all four devices in one process
        x, loss, train = hybrid.build()
        with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
            sess.run(tf.global_variables_initializer())
            ref = [sess.run([loss, train], {x: hybrid.data()})[0] for _ in range(8)]
            ref_vars = models.variables_by_name(sess)
    np.testing.assert_allclose(got["losses"], ref, rtol=1e-6, atol=0)
    assert ref[-1] < ref[0]
    for name, want in ref_vars.items():
        np.testing.assert_allclose(got[name], want, rtol=1e-6, atol=1e-7, err_msg=name)


def test_graph_fingerprint_sees_structure_not_constant_values():
    from trainer.distributed import graph_fingerprint

    def build(width: int, init: float) -> bytes:
        with tf.Graph().as_default() as g:
            x = tf.placeholder(tf.float32, [None, 3])
            w = tf.Variable(np.full([3, width], init, np.float32), name="w")
            with tf.device("/job:worker/task:1"):
                tf.reduce_sum(tf.matmul(x, w))
            return graph_fingerprint(g)

    assert build(4, 0.5) == build(4, 0.7)  # initial values may differ: broadcast_variables fixes them
    assert build(4, 0.5) != build(5, 0.5)
    assert graph_fingerprint(tf.Graph(), "a") != graph_fingerprint(tf.Graph(), "b")

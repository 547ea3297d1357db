"""Reliability: every bad input a ValidationError, files and sweeps safe under faults.

Each test is one example of issue 10; the fuzz suite (test_fuzz.py) generalises them.
"""

from __future__ import annotations

import copy
import io
import os
import zipfile

import numpy as np
import pytest
from model_files import rewrite as _rewrite

import neuromem as nm
from neuromem.memory import memory_limit

X = nm.patterns.random_bipolar(4, 16, seed=0)


def _raises(fn, param=None):
    with pytest.raises(nm.ValidationError) as err:
        fn()
    if param is not None:
        assert err.value.param == param, str(err.value)
    return err.value


# -- crashes in parameters -----------------------------------------------------------


def test_numpy_types_in_messages_and_values():
    err = _raises(lambda: nm.create("hopfield", n_units=8, dtype=np.int64), "dtype")
    assert "int64" in str(err)
    mem = nm.create("hopfield", n_units=np.int64(16), max_steps=np.int32(5), seed=0)
    assert mem.n_units == 16 and type(mem.n_units) is int
    ref = nm.create("hopfield", n_units=16, max_steps=5, seed=0)
    y = mem.store(X).recall(X).states
    assert np.array_equal(y, ref.store(X).recall(X).states)
    t = nm.create("hopfield", n_units=16, dynamics="glauber", temperature=np.float32(0.5))
    assert t.temperature == 0.5


@pytest.mark.parametrize("options", [5, "ab", [1, 2]])
def test_rule_options_not_a_dict(options):
    _raises(lambda: nm.create("hopfield", n_units=8, rule_options=options), "rule_options")
    _raises(lambda: nm.create("hebbian", n_units=8, rule_options=options), "rule_options")


def test_dtype_dict():
    _raises(lambda: nm.create("hopfield", n_units=8, dtype={"a": 1}), "dtype")


def test_unknown_topology_key():
    from neuromem.experiments import Experiment

    spec = {"kind": "erdos_renyi", "p": 0.1, "bogus": 1}
    err = _raises(
        lambda: Experiment(
            "x",
            models=[{"name": "hopfield", "params": {"topology": spec}}],
            patterns=[{"n_units": 20}],
        )
    )
    assert "bogus" in str(err) and "topology" in err.param


def test_every_model_before_store_one_wording():
    for name in nm.list_models():
        mem = nm.create(name, n_units=16)
        if name in ("hopfield", "hebbian"):
            # By design: an empty attractor network has zero couplings and every +/-1
            # cue is a fixed point (the tie law keeps each unit).
            res = mem.recall(X)
            assert np.array_equal(res.states, X) and res.converged.all()
            continue
        cue = nm.patterns.to_binary(X) if name == "willshaw" else X
        err = _raises(lambda m=mem, c=cue: m.recall(c), f"{name}.recall")
        assert str(err).endswith(
            "got a call before anything was stored; expected store() called first"
        )


def test_willshaw_before_store_and_silent_patterns():
    w = nm.create("willshaw", n_units=16)
    _raises(w.bits_per_synapse, "willshaw.bits_per_synapse")
    _raises(w.capacity, "willshaw.capacity")
    w.store(np.zeros((2, 16)))
    _raises(w.capacity, "patterns")


# -- silent wrong results: lossy array kinds -------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        X.astype(complex),
        X.astype("m8[s]"),
        np.ma.masked_array(X, mask=X < 0),
        X.astype(str),
    ],
    ids=["complex", "timedelta", "masked", "str"],
)
def test_lossy_arrays_refused(bad):
    for name in ("hopfield", "dense-hopfield", "modern-hopfield", "mlp"):
        _raises(lambda n=name: nm.create(n, n_units=16).store(bad), "patterns")
    mem = nm.create("hopfield", n_units=16).store(X)
    _raises(lambda: mem.recall(bad), "cues")
    _raises(lambda: nm.metrics.overlap(bad, X), "states")
    _raises(lambda: nm.patterns.flip(bad, 0.1, seed=0), "patterns")
    rule = nm.create_rule("hebbian")
    _raises(lambda: rule.delta(bad[0], X[0], np.zeros((16, 16))), "pre")


# -- model files --------------------------------------------------------------------


def _saved(tmp_path, name="hopfield"):
    path = tmp_path / "m.npz"
    nm.create(name, n_units=16, seed=0).store(X).save(path)
    return path


def test_load_none_and_folder(tmp_path):
    _raises(lambda: nm.load(None), "path")
    _raises(lambda: nm.load(""), "path")
    _raises(lambda: nm.load(tmp_path), "path")


def test_load_flag_flip(tmp_path):
    path = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    # Flip the general-purpose flags (encryption, strong encryption) of every entry in
    # the central directory, which is what zipfile reads.
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        raw[at + 8] ^= 0x41
        at = raw.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(raw))
    _raises(lambda: nm.load(path), "path")


def test_load_huge_array_header(tmp_path):
    path = tmp_path / "big.npz"
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)}
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("weights.npy", buf.getvalue() + b"\0" * 64)
    _raises(lambda: nm.load(path), "path")


def test_load_zip_bomb(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.zeros(2**25, np.uint8))  # 32 MiB of zeros
        zf.writestr("__meta__.npy", buf.getvalue())
    assert path.stat().st_size < 2**20
    _raises(lambda: nm.load(path), "path")
    with memory_limit(2**20):
        _raises(lambda: nm.load(path), "path")


def test_memory_limit_zero_turns_the_check_off_as_the_environment_variable_does(
    monkeypatch,
):
    with memory_limit(0):
        nm.create("hopfield", n_units=10)  # not refused: no check
    monkeypatch.setenv("NEUROMEM_MEMORY_LIMIT", "0")
    nm.create("hopfield", n_units=10)
    with pytest.raises(nm.ValidationError, match="nbytes"):
        with memory_limit(-1):
            pass
    with memory_limit(100), pytest.raises(nm.ValidationError, match="100 B available"):
        nm.create("hopfield", n_units=10)


def test_load_nested_json(tmp_path):
    path = _saved(tmp_path)

    def edit(meta, arrays):
        deep: list = []
        for _ in range(100000):
            deep = [deep]
        meta["params"]["deep"] = deep

    with pytest.raises(RecursionError):
        _rewrite(path, edit)  # json itself cannot even write it: build the bytes by hand
    meta_bytes = (
        b'{"format": "neuromem-model", "x": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    )
    np.savez(path, __meta__=np.frombuffer(meta_bytes, np.uint8))
    _raises(lambda: nm.load(path), "path")


@pytest.mark.parametrize(
    "edit",
    [
        lambda m, a: a.update({"state.weights": a["state.weights"][:8]}),
        lambda m, a: a.update({"state.weights": np.full((16, 16), np.nan)}),
        lambda m, a: a.update({"state.patterns": a["state.patterns"][:, :3]}),
        lambda m, a: m["state"].update({"weights": 3}),
        lambda m, a: m["state"].update({"weights": {"$array": "nothing"}}),
        lambda m, a: m["params"].update({"n_units": "many"}),
        lambda m, a: m["params"].update({"n_units": 17}),
        lambda m, a: m.update({"model": "nope"}),
        lambda m, a: m.update({"state": [1, 2]}),
        lambda m, a: a.update({"state.weights": a["state.weights"].astype(np.complex64)}),
    ],
)
def test_load_edited_file_with_recomputed_checksums(tmp_path, edit):
    path = _saved(tmp_path)
    try:
        _rewrite(path, edit)
    except (ValueError, TypeError):
        return  # numpy could not even write it
    _raises(lambda: nm.load(path), "path")


@pytest.mark.parametrize("name", ["dense-hopfield", "mlp", "willshaw"])
def test_load_edited_other_models(tmp_path, name):
    path = tmp_path / "m.npz"
    data = nm.patterns.to_binary(X) if name == "willshaw" else X
    kw = {"epochs": 2, "early_stopping": False} if name == "mlp" else {}
    nm.create(name, n_units=16, seed=0, **kw).store(data).save(path)
    good = nm.load(path)
    assert np.array_equal(good.recall(data).states, good.recall(data).states)

    def edit(meta, arrays):
        for k in list(arrays):
            if arrays[k].ndim == 2:
                arrays[k] = arrays[k][:, :5]

    _rewrite(path, edit)
    _raises(lambda: nm.load(path), "path")


@pytest.mark.parametrize(
    "name, edit",
    [
        ("hopfield", lambda m, a: m["state"].update({"bias": 1})),
        ("hopfield", lambda m, a: m["state"].update({"bias": [1]})),
        ("hopfield", lambda m, a: m["state"].update({"n_stored": "x"})),
        ("dense-hopfield", lambda m, a: m["state"].update({"n_stored_": "x"})),
        ("modern-hopfield", lambda m, a: m["state"].update({"n_stored_": [1]})),
        ("sequence", lambda m, a: m["state"].update({"pre": 0})),
        ("sequence", lambda m, a: a.update({"state.post": a["state.post"][:1]})),
        ("sequence", lambda m, a: m["state"].update({"lengths": [[1, 2]]})),
        ("sequence", lambda m, a: a.update({"state.cyclic": np.ones((2, 2, 2))})),
        ("willshaw", lambda m, a: a.update({"state.values": a["state.values"][:1]})),
    ],
)
def test_load_edited_state_that_fails_only_later(tmp_path, name, edit):
    # Accepted before, these edits (checksums recomputed) crashed in repr(), energy(),
    # store() or bits_per_synapse(): load refuses them now.
    path = tmp_path / "m.npz"
    data = nm.patterns.to_binary(X) if name == "willshaw" else X
    nm.create(name, n_units=16, seed=0).store(data).save(path)
    _rewrite(path, edit)
    _raises(lambda: nm.load(path), "path")


@pytest.mark.parametrize("name", ["hopfield", "hebbian"])
def test_rule_options_with_keys_that_are_not_strings(name):
    # A TypeError ("keywords must be strings") before.
    _raises(lambda: nm.create(name, n_units=8, rule_options={1: 2}), "rule_options")
    _raises(lambda: nm.create(name, n_units=8, rule_options={("a",): 2}), "rule_options")


def test_timedelta_scalars_are_refused_as_numbers():
    # numpy counts np.timedelta64 as an integer (numbers.Integral); int() and float()
    # then raised TypeError in check_int, check_float, the seed check and the spec.
    from neuromem.experiments import Experiment

    td = np.timedelta64(1, "s")
    _raises(lambda: nm.create("hopfield", n_units=td), "n_units")
    _raises(lambda: nm.create("hopfield", n_units=8, seed=td), "seed")
    _raises(lambda: nm.create("sequence", n_units=8, beta=td), "beta")
    _raises(lambda: nm.create("sequence", n_units=8).set_params(delay=td), "delay")
    base = {
        "name": "td",
        "models": [{"name": "hopfield"}],
        "patterns": [{"kind": "random_bipolar", "n_units": 16}],
        "loads": [0.1],
    }
    for key, value in (("loads", [td]), ("noise", [td]), ("repeats", td), ("seed", td)):
        with pytest.raises(nm.ValidationError):
            Experiment.from_dict({**base, key: value})


def test_sequence_symmetric_part_added_after_the_network_is_built():
    # The next store used to fail naming the synapse pair ('units', 'units'); the
    # symmetric part is now built from every pattern stored so far.
    x = nm.patterns.random_bipolar(3, 8, seed=0)
    mem = nm.create("sequence", n_units=8).store(x)
    mem.set_params(symmetric=0.5).store(x)
    assert mem.symmetric == 0.5 and mem.symmetric_synapse_ is not None
    assert np.all(np.abs(mem.recall(x[:1], n_steps=3).states) == 1)
    both = nm.create("sequence", n_units=8, symmetric=1.0).store(x)
    both.set_params(symmetric=0.0).set_params(symmetric=0.5).store(x)


def test_too_many_pattern_sets_names_sets_not_loads():
    # The memory check blamed "loads: got 0.1" for sets = 10**9.
    from neuromem.experiments import Experiment

    spec = {
        "name": "sets",
        "models": [{"name": "hopfield"}],
        "patterns": [{"kind": "random_bipolar", "n_units": 16}],
        "loads": [0.1],
        "noise": [0.1],
        "sets": [10**9],
    }
    err = _raises(lambda: Experiment.from_dict(spec))
    assert err.param.startswith("sets"), str(err)


def test_save_bad_paths(tmp_path):
    mem = nm.create("hopfield", n_units=16).store(X)
    _raises(lambda: mem.save(tmp_path), "path")
    _raises(lambda: mem.save(""), "path")
    (tmp_path / "f").write_text("x")
    _raises(lambda: mem.save(tmp_path / "f" / "m.npz"), "path")
    _raises(lambda: mem.save(None), "path")


def test_failed_save_leaves_no_tmp(tmp_path, monkeypatch):
    mem = nm.create("hopfield", n_units=16).store(X)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        mem.save(tmp_path / "m.npz")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []
    # A temp file from a killed writer (a process that no longer exists) is removed.
    dead = tmp_path / ".m.npz.999999999.abcd1234.tmp"
    dead.write_bytes(b"x" * 100)
    mem.save(tmp_path / "m.npz")
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_files_respect_umask(tmp_path):
    old = os.umask(0o022)
    try:
        nm.create("hopfield", n_units=16).store(X).save(tmp_path / "a.npz")
        assert (tmp_path / "a.npz").stat().st_mode & 0o777 == 0o644
        os.umask(0o027)
        nm.create("hopfield", n_units=16).store(X).save(tmp_path / "b.npz")
        assert (tmp_path / "b.npz").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


# -- long loops: progress and Ctrl-C ---------------------------------------------------


def _interrupt_after(seconds, fn):
    import _thread
    import signal
    import threading

    # Ctrl-C as Python delivers it: whatever SIGINT handler an earlier test (a Dask
    # cluster, say) left installed must not swallow the interrupt and leave a
    # 10**9-epoch loop running.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(seconds, _thread.interrupt_main, args=(signal.SIGINT,))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            fn()
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)


def _same_state(a, b):
    sa, sb = a._get_state(), b._get_state()
    assert sa.keys() == sb.keys()
    for k in sa:
        va, vb = sa[k], sb[k]
        if isinstance(va, np.ndarray):
            assert np.array_equal(va, vb), k
        elif not isinstance(va, dict):
            assert va == vb, k


def test_ctrl_c_in_mlp_epochs_leaves_the_model(capsys, monkeypatch):
    from neuromem import progress

    monkeypatch.setattr(progress, "DELAY", 0.05)
    mem = nm.create(
        "mlp", n_units=16, hidden=[8], epochs=3, early_stopping=False, seed=0
    ).store(X)
    before = copy.deepcopy(mem._get_state())
    mem.epochs = 10**9
    _interrupt_after(0.5, lambda: mem.store(X))
    after = mem._get_state()
    arrays = [k for k, v in before.items() if isinstance(v, np.ndarray)]
    assert arrays
    for k in arrays:
        assert np.array_equal(before[k], after[k]), k
    for k in ("weights", "biases"):
        assert all(np.array_equal(a, b) for a, b in zip(before[k], after[k], strict=True))
    assert "epochs" in capsys.readouterr().err  # the bar showed up
    fresh = nm.create(
        "mlp", n_units=16, hidden=[8], epochs=10**9, early_stopping=False, seed=0
    )
    _interrupt_after(0.3, lambda: fresh.store(X))
    with pytest.raises(nm.ValidationError, match="before anything was stored"):
        fresh.recall(X)


def test_ctrl_c_in_unlearn_and_perceptron_leaves_the_model():
    mem = nm.create("hopfield", n_units=32, seed=0).store(
        nm.patterns.random_bipolar(3, 32, seed=1)
    )
    w = np.array(mem.weights_, copy=True)
    _interrupt_after(0.3, lambda: mem.unlearn(n_dreams=10**9, batch=1))
    assert np.array_equal(mem.weights_, w)
    # Far beyond the perceptron's capacity (P = 3N): it never converges.
    many = nm.patterns.random_bipolar(48, 16, seed=2)
    per = nm.create(
        "hopfield",
        n_units=16,
        rule="perceptron",
        rule_options={"max_epochs": 10**9},
        seed=0,
    )
    _interrupt_after(0.3, lambda: per.store(many))
    assert getattr(per, "network_", None) is None  # as fresh as before the call


def test_ctrl_c_in_recall_keeps_the_random_stream():
    mem = nm.create("hopfield", n_units=32, dynamics="glauber", temperature=10.0, seed=0)
    mem.store(nm.patterns.random_bipolar(2, 32, seed=1))
    twin = nm.create("hopfield", n_units=32, dynamics="glauber", temperature=10.0, seed=0)
    twin.store(nm.patterns.random_bipolar(2, 32, seed=1))
    cue = nm.patterns.random_bipolar(1, 32, seed=3)
    # Compile (or load) the kernels first: an interrupt that lands inside numba's first
    # import or compilation tests numba, not neuromem, and can leave numba half-loaded.
    warm = nm.create("hopfield", n_units=32, dynamics="glauber", temperature=10.0, seed=9)
    warm.store(nm.patterns.random_bipolar(2, 32, seed=1)).recall(cue, max_steps=2)
    _interrupt_after(0.3, lambda: mem.recall(cue, max_steps=10**9))
    assert np.array_equal(
        mem.recall(cue, max_steps=5).states, twin.recall(cue, max_steps=5).states
    )


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("dense-hopfield", "energy"),
        ("modern-hopfield", "energy"),
        ("modern-hopfield", "attention"),
        ("mlp", "forward"),
    ],
)
def test_other_methods_before_store_name_themselves(name, method):
    mem = nm.create(name, n_units=16)
    err = _raises(lambda: getattr(mem, method)(X), f"{name}.{method}")
    assert "before anything was stored" in str(err)

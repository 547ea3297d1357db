"""The recall front the Hopfield family shares (models/attractor.py): one signature per
model as documented, one docstring, one set of checks and one RecallResult."""

from __future__ import annotations

import inspect
import pydoc
import subprocess
import sys

import numpy as np
import pytest

import neuromem as nm
from neuromem.models.attractor import Attractor
from neuromem.models.base import KeepsPatterns, Memory

#: recall's keyword options and their defaults, as the models have always taken them.
SIGNATURES = {
    "dense-hopfield": {
        "dynamics": None,
        "max_steps": None,
        "seed": None,
        "record_energy": False,
        "record": None,
        "cycles": "stop",
    },
    "modern-hopfield": {
        "beta": None,
        "max_steps": None,
        "record_energy": False,
        "record": None,
    },
    "hopfield": {
        "dynamics": None,
        "max_steps": None,
        "seed": None,
        "record_energy": False,
        "temperature": None,
        "beta": None,
        "record": None,
        "cycles": "stop",
    },
}
SIGNATURES["hebbian"] = SIGNATURES["hopfield"]


def _stored(name):
    mem = nm.create(name, n_units=32, seed=0)
    return mem.store(nm.patterns.random_bipolar(3, 32, seed=1))


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_recall_signature_and_help(name):
    mem = _stored(name)
    params = inspect.signature(mem.recall).parameters
    assert next(iter(params)) == "cues"
    options = {k: p.default for k, p in list(params.items())[1:]}
    assert list(options.items()) == list(SIGNATURES[name].items())  # order too
    assert all(p.kind is p.KEYWORD_ONLY for p in list(params.values())[1:])
    doc = pydoc.render_doc(type(mem).recall)
    assert doc.count("Parameters\n") == 1
    documented = [
        n
        for line in inspect.cleandoc(type(mem).recall.__doc__).splitlines()
        if " : " in line and not line.startswith(" ")
        for n in line.split(" : ")[0].split(", ")
    ]
    # one entry each ("temperature, beta" documents both at once), in order
    assert documented == ["cues", *SIGNATURES[name]]
    assert doc.count("record_energy : bool") == 1


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_recall_checks_its_options_by_name(name):
    mem = _stored(name)
    cues = nm.patterns.random_bipolar(2, 32, seed=2)
    with pytest.raises(nm.ValidationError, match="cycle_limit"):
        mem.recall(cues, cycle_limit=3)
    with pytest.raises(nm.ValidationError, match="max_steps"):
        mem.recall(cues, max_steps=0)
    with pytest.raises(nm.ValidationError, match="cues"):
        mem.recall(cues[:, :5])
    with pytest.raises(nm.ValidationError, match="record"):
        mem.recall(cues, record="spikes")
    with pytest.warns(DeprecationWarning, match="record_energy") as caught:
        res = mem.recall(cues, record_energy=True)
    assert caught[0].filename == __file__  # the warning points at the caller
    assert res.trajectory is None and res.energy.shape[1] == 2  # (T + 1, P)


class Halving(Attractor, KeepsPatterns, Memory):
    """A toy member of the family: each update halves the state."""

    recall_options = ("max_steps", "record", "scale", "record_energy")

    def __init__(self, n_units: int, max_steps: int = 4, dtype: str = "float64"):
        self.n_units = n_units
        self.max_steps = max_steps
        self.dtype = dtype

    def store(self, patterns, targets=None):
        self._keep(np.asarray(patterns, dtype=float))
        return self

    def _relax(self, s, max_steps, measured, *, scale: float = 0.5):
        """Halve every cue ``max_steps`` times.

        Parameters
        ----------
        cues : ndarray, shape (B, n_units)
            Any finite values.
        scale : float
            The factor of each update.

        Returns
        -------
        RecallResult
            The scaled cues.
        """
        states = s * scale**max_steps
        steps = np.full(len(s), max_steps)
        trajectory = {"states": np.stack([s, states], axis=1)} if measured else None
        return states, steps, steps > 0, trajectory, {"measured": sorted(measured)}


def test_a_new_model_supplies_only_its_update():
    mem = Halving(3).store(np.eye(3))
    sig = inspect.signature(mem.recall)
    assert list(sig.parameters) == ["cues", "max_steps", "record", "scale", "record_energy"]
    assert sig.parameters["scale"].default == 0.5
    doc = Halving.recall.__doc__
    assert doc.startswith("Halve every cue ``max_steps`` times.")
    assert doc.index("cues :") < doc.index("max_steps :") < doc.index("record :")
    assert doc.index("record :") < doc.index("scale :") < doc.index("record_energy :")
    assert "Returns\n-------\nRecallResult" in doc
    cues = np.array([[4.0, 8.0, -2.0]])
    res = mem.recall(cues)
    np.testing.assert_array_equal(res.states, cues / 16)  # the model's max_steps
    np.testing.assert_array_equal(
        mem.recall(cues, max_steps=1, scale=0.25).states, cues / 4
    )
    res = mem.recall(cues, record="states", max_steps=2)
    assert res.info == {"measured": ["states"]}
    np.testing.assert_array_equal(res.trajectory["states"][:, 1], cues / 4)
    with pytest.raises(nm.ValidationError, match="cues"):
        mem.recall(np.ones((1, 4)))


def test_a_recall_option_neither_shared_nor_taken_by_relax_is_refused():
    with pytest.raises(TypeError, match="recall_options"):

        class Speedy(Halving):
            recall_options = ("max_steps", "speed")

            def _relax(self, s, max_steps, measured):
                """Nothing.

                Parameters
                ----------
                cues : ndarray
                    Any.
                """


def test_recall_options_alone_are_checked_too():
    # without _relax of its own, a subclass's recall_options still shape recall
    with pytest.raises(TypeError, match="bogus"):

        class Bogus(Halving):
            recall_options = ("max_steps", "bogus")

    class Fewer(Halving):
        recall_options = ("max_steps", "scale")

    assert list(inspect.signature(Fewer(3).recall).parameters) == [
        "cues",
        "max_steps",
        "scale",
    ]


def test_a_recall_the_subclass_writes_is_kept():
    calls = []

    class Counting(Halving):
        def recall(self, cues, **options):
            calls.append(options)
            return super().recall(cues, **options)

        def _relax(self, s, max_steps, measured, *, scale: float = 0.5):
            return super()._relax(s, max_steps, measured, scale=scale)

    res = Counting(3).store(np.eye(3)).recall(np.ones((1, 3)), scale=0.25)
    assert calls == [{"scale": 0.25}]
    np.testing.assert_array_equal(res.states, np.full((1, 3), 0.25**4))


@pytest.mark.parametrize(
    "doc",
    [None, "No parameters section.", "Only cues.\n\nParameters\n----------\ncues : x\n"],
)
def test_an_undocumented_relax_is_refused_with_what_to_write(doc):
    def _relax(self, s, max_steps, measured, *, scale: float = 0.5):
        return s, np.ones(len(s), int), np.ones(len(s), bool), None, {}

    _relax.__doc__ = doc
    with pytest.raises(TypeError, match=r"docstring.*Parameters.*cues, scale"):
        type("Undocumented", (Halving,), {"_relax": _relax})


def test_a_positional_option_is_shown_as_keyword_only():
    mem = _stored("hopfield")
    with pytest.raises(nm.ValidationError, match=r"recall\(cues, \*, dynamics, "):
        mem.recall(np.ones((1, 32)), 5)


def test_the_package_imports_without_docstrings(tmp_path):
    # python -OO strips every docstring; only the generated help is missing then
    code = (
        "import neuromem as nm\n"
        "m = nm.create('hopfield', n_units=8, seed=0)\n"
        "assert type(m).recall.__doc__ is None\n"
        "print(m.recall(nm.patterns.random_bipolar(2, 8, seed=1)).states.shape)\n"
    )
    done = subprocess.run(
        [sys.executable, "-OO", "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(2, 8)"

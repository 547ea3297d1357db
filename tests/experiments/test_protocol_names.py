"""A protocol's name is the key it is registered under, as for models and rules: a
``name = "..."`` in the class cannot make ``run.json`` record a name that ``draw`` and
``neuromem plot`` then do not find."""

from __future__ import annotations

import json
from typing import ClassVar

from neuromem.experiments.engine import Output, Protocol, draw, protocols, run


class Declared(Protocol):
    """Two rows under a declared name that is not the registry key."""

    name = "declared-name"
    defaults: ClassVar[dict] = {"n": 2}

    def tasks(self):
        return [(i,) for i in range(self.params["n"])]

    def task(self, index):
        return {"i": index, "v": float(index)}

    def reduce(self, results):
        return Output({"results": results})


def test_the_registry_key_names_a_protocol(tmp_path):
    assert Declared.name == "declared-name"  # unregistered: its declared name
    protocols.register("registry-key", Declared)
    assert Declared.name == Declared({}).name == "registry-key"
    run(Declared({}, seed=0), tmp_path / "out", jobs=1)
    meta = json.loads((tmp_path / "out" / "run.json").read_text())
    assert meta["protocol"] == meta["experiment"]["name"] == "registry-key"
    assert draw(tmp_path / "out") == []  # found again: it declares no figure
    assert "declared-name" not in protocols

"""A network: populations and synapses, described by a networkx graph."""

from __future__ import annotations

from typing import Any

import networkx as nx

from .errors import ValidationError
from .neurons import Neuron
from .synapse import Population, Synapse

__all__ = ["Network"]


class Network:
    """Populations (graph nodes) joined by synapses (graph edges).

    ``network.graph`` is a :class:`networkx.DiGraph` whose nodes are population names
    (attribute ``population``) and whose edges are synapse sets (attribute
    ``synapse``); a recurrent synapse is a self-loop. The graph describes the model;
    simulation runs on the synapses' matrices.

    Examples
    --------
    >>> import neuromem as nm
    >>> net = nm.Network()
    >>> units = net.add_population("units", 100, "sign")
    >>> syn = net.connect(units, units)
    >>> sorted(net.graph.edges)
    [('units', 'units')]
    """

    def __init__(self):
        self.graph = nx.DiGraph()
        # The same objects, looked up without the graph's views: networkx caches its
        # views (``graph.nodes``, ``graph.edges``) on the graph, a reference cycle that
        # keeps every weight matrix alive until the garbage collector runs. Reading
        # through these dicts lets a model's memory go back as soon as it is dropped
        # (in a sweep, the next model then reuses it instead of faulting in new pages).
        self._populations: dict[str, Population] = {}
        self._synapses: dict[tuple[str, str], Synapse] = {}

    @property
    def populations(self) -> dict[str, Population]:
        """Populations by name."""
        return dict(self._populations)

    @property
    def synapses(self) -> list[Synapse]:
        """Synapse sets, in the order they were connected."""
        return list(self._synapses.values())

    def add_population(
        self, name: str, n: int, neuron: str | Neuron = "linear"
    ) -> Population:
        """Create a population and add it under ``name`` (names are unique)."""
        if not isinstance(name, str) or not name:
            raise ValidationError("name", name, "a non-empty string")
        if name in self._populations:
            raise ValidationError(
                "name",
                name,
                f"a population name not already in use "
                f"(used: {', '.join(self._populations)})",
            )
        pop = Population(n, neuron, name=name)
        self.graph.add_node(name, population=pop)
        self._populations[name] = pop
        return pop

    def connect(
        self, pre: Population | str, post: Population | str, **options: Any
    ) -> Synapse:
        """Connect two populations of this network with a new :class:`Synapse`.

        Keyword arguments are those of :class:`Synapse`. One synapse set per ordered
        pair of populations.
        """
        pre = self._population(pre, "pre")
        post = self._population(post, "post")
        if (pre.name, post.name) in self._synapses:
            raise ValidationError(
                "post",
                post.name,
                f"a pair not already connected ({pre.name} -> {post.name} is)",
            )
        syn = Synapse(pre, post, **options)
        self.graph.add_edge(pre.name, post.name, synapse=syn)
        self._synapses[pre.name, post.name] = syn
        return syn

    def synapse(self, pre: str, post: str) -> Synapse:
        """The synapse set from ``pre`` to ``post``."""
        syn = self._synapses.get((pre, post))
        if syn is None:
            raise ValidationError(
                "pre, post",
                (pre, post),
                f"a connected pair among {sorted(self._synapses)}",
            )
        return syn

    def _population(self, pop: Population | str, param: str) -> Population:
        name = pop.name if isinstance(pop, Population) else pop
        found = self._populations.get(name) if isinstance(name, str) else None
        if found is None or (isinstance(pop, Population) and found is not pop):
            raise ValidationError(
                param,
                name,
                "a population of this network "
                f"(has: {', '.join(self._populations) or 'none'})",
            )
        return found

    def to_networkx(self) -> nx.DiGraph:
        """Unit-level graph: one node per unit, one weighted edge per connection."""
        graph = nx.DiGraph()
        for syn in self.synapses:
            graph = nx.compose(graph, syn.to_networkx())
        for name, pop in self.populations.items():
            graph.add_nodes_from(((name, i) for i in range(pop.n)), population=name)
        return graph

    def __repr__(self) -> str:
        pops = ", ".join(f"{n}[{p.n}]" for n, p in self.populations.items())
        return f"Network({pops}; {len(self._synapses)} synapse set(s))"

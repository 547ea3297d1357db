"""The published results neuromem reproduces, as data: one source for docs, tests, reports.

:data:`ANCHORS` maps a key (the strings models and rules list in their tags' ``theory``)
to an :class:`Anchor`: the result, its numbers, the conditions under which it holds and
the key of the paper it comes from in :data:`REFERENCES`. :func:`capacity_lines` turns
the anchors that predict a critical load into the loads ``P / N`` of a network of a given
size, as the comparison draws them.

Examples
--------
>>> from neuromem.theory import ANCHORS, REFERENCES
>>> ANCHORS["hopfield-hebbian"].value["alpha_c"]
0.138
>>> REFERENCES[ANCHORS["hopfield-hebbian"].cite][0]
'Amit et al. 1985'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .errors import ValidationError
from .models.willshaw import willshaw_capacity

__all__ = [
    "ANCHORS",
    "REFERENCES",
    "Anchor",
    "capacity_lines",
    "dense_capacity",
    "nearest_pattern_capacity",
]


@dataclass(frozen=True)
class Anchor:
    """One published result.

    Attributes
    ----------
    result : str
        What the result says, in one line.
    value : dict of str to float
        Its numbers by name (empty where the result is a law rather than a number).
    conditions : str
        Where it holds.
    cite : str
        Key of :data:`REFERENCES`: the paper it comes from.
    also : tuple of str
        Keys of further papers that state or refine it.
    """

    result: str
    value: dict[str, float] = field(default_factory=dict)
    conditions: str = ""
    cite: str = ""
    also: tuple[str, ...] = ()


#: Every paper a report may cite: key -> (short form, full reference).
REFERENCES: dict[str, tuple[str, str]] = {
    "hopfield1982": (
        "Hopfield 1982",
        "Hopfield, J. J. (1982). Neural networks and physical systems with emergent "
        "collective computational abilities. PNAS 79(8), 2554-2558.",
    ),
    "hopfield1983": (
        "Hopfield et al. 1983",
        "Hopfield, J. J., Feinstein, D. I. & Palmer, R. G. (1983). 'Unlearning' has a "
        "stabilizing effect in collective memories. Nature 304, 158-159.",
    ),
    "ags1985": (
        "Amit et al. 1985",
        "Amit, D. J., Gutfreund, H. & Sompolinsky, H. (1985). Storing infinite numbers "
        "of patterns in a spin-glass model of neural networks. Physical Review Letters "
        "55(14), 1530-1533.",
    ),
    "ags1987": (
        "Amit et al. 1987",
        "Amit, D. J., Gutfreund, H. & Sompolinsky, H. (1987). Statistical mechanics of "
        "neural networks near saturation. Annals of Physics 173(1), 30-67.",
    ),
    "hertz1991": (
        "Hertz et al. 1991",
        "Hertz, J., Krogh, A. & Palmer, R. G. (1991). Introduction to the Theory of "
        "Neural Computation. Addison-Wesley.",
    ),
    "mceliece1987": (
        "McEliece et al. 1987",
        "McEliece, R. J., Posner, E. C., Rodemich, E. R. & Venkatesh, S. S. (1987). The "
        "capacity of the Hopfield associative memory. IEEE Transactions on Information "
        "Theory 33(4), 461-482.",
    ),
    "storkey1997": (
        "Storkey 1997",
        "Storkey, A. (1997). Increasing the capacity of a Hopfield network without "
        "sacrificing functionality. ICANN'97, LNCS 1327, 451-456.",
    ),
    "personnaz1986": (
        "Personnaz et al. 1986",
        "Personnaz, L., Guyon, I. & Dreyfus, G. (1986). Collective computational "
        "properties of neural networks: new learning mechanisms. Physical Review A "
        "34(5), 4217-4228.",
    ),
    "kanter1987": (
        "Kanter & Sompolinsky 1987",
        "Kanter, I. & Sompolinsky, H. (1987). Associative recall of memory without "
        "errors. Physical Review A 35(1), 380-392.",
    ),
    "gardner1988": (
        "Gardner 1988",
        "Gardner, E. (1988). The space of interactions in neural network models. Journal "
        "of Physics A 21(1), 257-270.",
    ),
    "krotov2016": (
        "Krotov & Hopfield 2016",
        "Krotov, D. & Hopfield, J. J. (2016). Dense associative memory for pattern "
        "recognition. Advances in Neural Information Processing Systems 29.",
    ),
    "demircigil2017": (
        "Demircigil et al. 2017",
        "Demircigil, M., Heusel, J., Löwe, M., Upgang, S. & Vermet, F. (2017). On a model "
        "of associative memory with huge storage capacity. Journal of Statistical "
        "Physics 168, 288-299.",
    ),
    "ramsauer2021": (
        "Ramsauer et al. 2021",
        "Ramsauer, H. et al. (2021). Hopfield networks is all you need. International "
        "Conference on Learning Representations (ICLR).",
    ),
    "willshaw1969": (
        "Willshaw et al. 1969",
        "Willshaw, D. J., Buneman, O. P. & Longuet-Higgins, H. C. (1969). "
        "Non-holographic associative memory. Nature 222, 960-962.",
    ),
    "palm1980": (
        "Palm 1980",
        "Palm, G. (1980). On associative memory. Biological Cybernetics 36, 19-31.",
    ),
    "knoblauch2010": (
        "Knoblauch et al. 2010",
        "Knoblauch, A., Palm, G. & Sommer, F. T. (2010). Memory capacities for synaptic "
        "and structural plasticity. Neural Computation 22(2), 289-341.",
    ),
    "knoblauch2020": (
        "Knoblauch & Palm 2020",
        "Knoblauch, A. & Palm, G. (2020). Iterative retrieval and block coding in "
        "autoassociative and heteroassociative memory. Neural Computation 32(1), 205-260.",
    ),
    "tsodyks1988": (
        "Tsodyks & Feigel'man 1988",
        "Tsodyks, M. V. & Feigel'man, M. V. (1988). The enhanced storage capacity in "
        "neural networks with low activity level. Europhysics Letters 6(2), 101-105.",
    ),
    "parisi1986": (
        "Parisi 1986",
        "Parisi, G. (1986). A memory which forgets. Journal of Physics A 19(10), "
        "L617-L620.",
    ),
    "nadal1986": (
        "Nadal et al. 1986",
        "Nadal, J.-P., Toulouse, G., Changeux, J.-P. & Dehaene, S. (1986). Networks of "
        "formal neurons and memory palimpsests. Europhysics Letters 1(10), 535-542.",
    ),
    "derrida1987": (
        "Derrida et al. 1987",
        "Derrida, B., Gardner, E. & Zippelius, A. (1987). An exactly solvable asymmetric "
        "neural network model. Europhysics Letters 4(2), 167-173.",
    ),
    "oja1982": (
        "Oja 1982",
        "Oja, E. (1982). Simplified neuron model as a principal component analyzer. "
        "Journal of Mathematical Biology 15(3), 267-273.",
    ),
    "bienenstock1982": (
        "Bienenstock et al. 1982",
        "Bienenstock, E. L., Cooper, L. N. & Munro, P. W. (1982). Theory for the "
        "development of neuron selectivity. Journal of Neuroscience 2(1), 32-48.",
    ),
    "mccloskey1989": (
        "McCloskey & Cohen 1989",
        "McCloskey, M. & Cohen, N. J. (1989). Catastrophic interference in connectionist "
        "networks: the sequential learning problem. Psychology of Learning and "
        "Motivation 24, 109-165.",
    ),
    "ratcliff1990": (
        "Ratcliff 1990",
        "Ratcliff, R. (1990). Connectionist models of recognition memory: constraints "
        "imposed by learning and forgetting functions. Psychological Review 97(2), "
        "285-308.",
    ),
    "during1998": (
        "During et al. 1998",
        "Düring, A., Coolen, A. C. C. & Sherrington, D. (1998). Phase diagram and "
        "storage capacity of sequence processing neural networks. Journal of Physics A "
        "31(43), 8607-8621.",
    ),
    "sompolinsky1986": (
        "Sompolinsky & Kanter 1986",
        "Sompolinsky, H. & Kanter, I. (1986). Temporal association in asymmetric neural "
        "networks. Physical Review Letters 57(22), 2861-2864.",
    ),
    "chaudhry2023": (
        "Chaudhry et al. 2023",
        "Chaudhry, H. T., Zavatone-Veth, J. A., Krotov, D. & Pehlevan, C. (2023). Long "
        "sequence Hopfield memory. Advances in Neural Information Processing Systems 36.",
    ),
    "mcclelland1995": (
        "McClelland et al. 1995",
        "McClelland, J. L., McNaughton, B. L. & O'Reilly, R. C. (1995). Why there are "
        "complementary learning systems in the hippocampus and neocortex. Psychological "
        "Review 102(3), 419-457.",
    ),
    "robins1995": (
        "Robins 1995",
        "Robins, A. (1995). Catastrophic forgetting, rehearsal and pseudorehearsal. "
        "Connection Science 7(2), 123-146.",
    ),
    "gerstner2014": (
        "Gerstner et al. 2014",
        "Gerstner, W., Kistler, W. M., Naud, R. & Paninski, L. (2014). Neuronal "
        "Dynamics. Cambridge University Press.",
    ),
    "bi1998": (
        "Bi & Poo 1998",
        "Bi, G. & Poo, M. (1998). Synaptic modifications in cultured hippocampal "
        "neurons. Journal of Neuroscience 18(24), 10464-10472.",
    ),
    "song2000": (
        "Song et al. 2000",
        "Song, S., Miller, K. D. & Abbott, L. F. (2000). Competitive Hebbian learning "
        "through spike-timing-dependent synaptic plasticity. Nature Neuroscience 3(9), "
        "919-926.",
    ),
    "pfister2006": (
        "Pfister & Gerstner 2006",
        "Pfister, J.-P. & Gerstner, W. (2006). Triplets of spikes in a model of spike "
        "timing-dependent plasticity. Journal of Neuroscience 26(38), 9673-9682.",
    ),
    "vogels2011": (
        "Vogels et al. 2011",
        "Vogels, T. P., Sprekeler, H., Zenke, F., Clopath, C. & Gerstner, W. (2011). "
        "Inhibitory plasticity balances excitation and inhibition in sensory pathways "
        "and memory networks. Science 334, 1569-1573.",
    ),
    "litwinkumar2014": (
        "Litwin-Kumar & Doiron 2014",
        "Litwin-Kumar, A. & Doiron, B. (2014). Formation and maintenance of neuronal "
        "assemblies through synaptic plasticity. Nature Communications 5, 5319.",
    ),
    "zenke2015": (
        "Zenke et al. 2015",
        "Zenke, F., Agnes, E. J. & Gerstner, W. (2015). Diverse synaptic plasticity "
        "mechanisms orchestrated to form and retrieve memories in spiking neural "
        "networks. Nature Communications 6, 6922.",
    ),
}

_RANDOM_PM1 = "random unbiased ±1 patterns"

#: The published results of THEORY.md: key -> :class:`Anchor`.
ANCHORS: dict[str, Anchor] = {
    "hopfield-hebbian": Anchor(
        "Hebbian Hopfield critical load: retrieval collapses above alpha_c; at alpha_c "
        "the retrieval overlap is about 0.967",
        {
            "alpha_c": 0.138,
            "alpha_c_replica_symmetric": 0.1379,
            "overlap_at_alpha_c": 0.967,
        },
        f"{_RANDOM_PM1}, W = X^T X / N, zero diagonal, zero temperature, N -> infinity",
        "ags1985",
        ("ags1987",),
    ),
    "hopfield-original": Anchor(
        "Hopfield's original estimate: about 0.15 N patterns",
        {"alpha": 0.15},
        "small simulations",
        "hopfield1982",
    ),
    "one-step-error": Anchor(
        "one-step error rate P_err = erfc(sqrt(N / (2 P))) / 2",
        {"alpha_0.1%": 0.105, "alpha_1%": 0.185, "alpha_5%": 0.37},
        "first synchronous update from a stored pattern",
        "hertz1991",
    ),
    "perfect-recall": Anchor(
        "perfect recall: N / (2 ln N) patterns if most must be recalled exactly, "
        "N / (4 ln N) if all must",
        {},
        "random patterns, Hebbian storage",
        "mceliece1987",
    ),
    "storkey": Anchor(
        "Storkey rule: absolute capacity N / sqrt(2 ln N) (Hebb: N / (2 ln N)); local "
        "and incremental",
        {},
        _RANDOM_PM1,
        "storkey1997",
    ),
    "pseudoinverse": Anchor(
        "pseudo-inverse (projection) rule: any linearly independent set is a fixed point "
        "up to alpha = 1; basins shrink to zero as alpha -> 1",
        {"alpha_max": 1.0},
        "zero temperature; zeroing the diagonal matters for basins",
        "kanter1987",
        ("personnaz1986",),
    ),
    "gardner": Anchor(
        "Gardner bound: at most alpha = 2 for stable fixed points with zero margin, "
        "2 bits per synapse",
        {"alpha_max": 2.0, "bits_per_synapse": 2.0},
        "any couplings, not necessarily symmetric; perceptron-type learning",
        "gardner1988",
    ),
    "dense-polynomial": Anchor(
        "dense associative memory F(x) = x^n: capacity grows as N^(n-1) (error-free "
        "about N^(n-1) / (2 (2n-3)!! ln N)); n = 2 is the Hopfield case",
        {},
        _RANDOM_PM1,
        "krotov2016",
    ),
    "dense-exponential": Anchor(
        "exponential interaction F(x) = e^x: capacity exponential in N, large basins",
        {},
        _RANDOM_PM1,
        "demircigil2017",
    ),
    "modern": Anchor(
        "modern continuous Hopfield: xi <- X softmax(beta X^T xi) converges; a "
        "well-separated pattern is retrieved in one update; small beta or similar "
        "patterns give metastable averages",
        {},
        "continuous states",
        "ramsauer2021",
    ),
    "willshaw": Anchor(
        "Willshaw clipped memory: asymptotic information capacity ln 2 bit per synapse; "
        "finite networks reach far less",
        {"bits_per_synapse": math.log(2)},
        "binary clipped Hebbian synapses, sparse patterns with about log N active units "
        "(hetero-association)",
        "willshaw1969",
        ("palm1980", "knoblauch2010", "knoblauch2020"),
    ),
    "sparse-tsodyks": Anchor(
        "sparse patterns: alpha_c ~ 1 / (2 a ln(1/a)) as the coding level a -> 0 "
        "(asymptotic only: at a = 0.05-0.1 measured capacities are several times smaller)",
        {},
        "0/1 units, covariance rule with the global coding level, tuned threshold",
        "tsodyks1988",
    ),
    "palimpsest": Anchor(
        "palimpsest: with bounded or decaying synapses old patterns fade and a "
        "stationary number of recent ones stays retrievable (no blackout)",
        {},
        "online Hebbian learning with bounded or decaying weights",
        "parisi1986",
        ("nadal1986",),
    ),
    "dilution": Anchor(
        "extremely diluted asymmetric networks store alpha_c = 2 / pi patterns per "
        "connection",
        {"alpha_c": 2 / math.pi},
        "random dilution, connections per unit K << ln N",
        "derrida1987",
    ),
    "unlearning": Anchor(
        "unlearning ('dreaming'): anti-Hebbian steps on states reached from random "
        "starts remove spurious attractors and raise capacity",
        {},
        "Hebbian Hopfield network",
        "hopfield1983",
    ),
    "oja": Anchor(
        "Oja's rule: the weight vector converges to the unit-norm principal eigenvector "
        "of the input covariance",
        {"norm": 1.0},
        "linear neuron, small learning rate",
        "oja1982",
    ),
    "bcm": Anchor(
        "BCM: a sliding threshold makes a neuron selective to one of several inputs",
        {},
        "",
        "bienenstock1982",
    ),
    "catastrophic-interference": Anchor(
        "a backprop network trained on a second set of associations loses the first "
        "abruptly",
        {},
        "sequential training, no rehearsal",
        "mccloskey1989",
        ("ratcliff1990",),
    ),
    "sequence": Anchor(
        "synchronous Hebbian sequence network W = sum xi^(mu+1) xi^(mu)T / N retrieves "
        "the whole sequence up to alpha_c ~ 0.269",
        {"alpha_c": 0.269},
        f"{_RANDOM_PM1}, zero temperature, N -> infinity",
        "during1998",
        ("sompolinsky1986",),
    ),
    "dense-sequence": Anchor(
        "a polynomial or exponential interaction in the transition term makes sequence "
        "capacity grow much faster with N",
        {},
        _RANDOM_PM1,
        "chaudhry2023",
    ),
    "cls": Anchor(
        "complementary learning systems: interleaving old and new items avoids "
        "catastrophic forgetting; a fast store that replays old items brings retention "
        "close to interleaving",
        {},
        "backprop network as neocortex, associative memory as hippocampus",
        "mcclelland1995",
    ),
    "pseudo-rehearsal": Anchor(
        "replaying the network's own responses to random inputs reduces catastrophic "
        "forgetting without storing the old items",
        {},
        "backprop networks",
        "robins1995",
    ),
    "information-per-synapse": Anchor(
        "information per synapse: Hebbian Hopfield about 0.14 bits at alpha_c; Willshaw "
        "ln 2 asymptotically; at most 2 bits for any couplings (Gardner)",
        {"hopfield-hebbian": 0.138, "willshaw": math.log(2), "gardner": 2.0},
        "the common currency across codes and parameter counts",
        "ags1987",
        ("willshaw1969", "gardner1988"),
    ),
    "lif-rate": Anchor(
        "LIF rate under constant input above rheobase: f = 1 / (tau_ref + tau_m "
        "ln((RI - V_reset) / (RI - theta))); zero for RI <= theta",
        {},
        "leaky integrate-and-fire, exact integration, no noise",
        "gerstner2014",
    ),
    "pair-stdp": Anchor(
        "pair STDP window: A+ exp(-dt / tau+) for dt > 0, A- exp(dt / tau-) for dt < 0; "
        "stable with A- tau- slightly above A+ tau+",
        {"tau_ms": 20.0},
        "one spike pair; traces give the same for all-to-all pairing",
        "bi1998",
        ("song2000",),
    ),
    "competitive-stdp": Anchor(
        "many Poisson inputs with additive STDP give a bimodal weight distribution and "
        "a regulated output rate",
        {},
        "1000 inputs at 10-40 Hz, conductance-based synapses, hard bounds",
        "song2000",
    ),
    "triplet-stdp": Anchor(
        "post-post-pre triplet terms reproduce the frequency dependence of pairing "
        "protocols",
        {},
        "minimal all-to-all triplet model",
        "pfister2006",
    ),
    "inhibitory-plasticity": Anchor(
        "inhibitory STDP drives the postsynaptic rate to rho_0 = alpha / (2 tau_STDP) "
        "and balances excitation and inhibition",
        {},
        "inhibitory synapses onto excitatory neurons",
        "vogels2011",
    ),
    "cell-assemblies": Anchor(
        "recurrent excitatory networks with STDP form assemblies that partial cues "
        "reactivate; inhibitory plasticity keeps them stable",
        {},
        "spiking E/I networks, thousands of neurons",
        "litwinkumar2014",
        ("zenke2015",),
    ),
}


def dense_capacity(n_units: int, order: int) -> float:
    """Krotov & Hopfield's error-free load of a dense network ``F(x) = x^n``, as P/N.

    ``P = N^(n-1) / (2 (2n-3)!! ln N)`` random +/-1 patterns are all fixed points with
    high probability (order 2: McEliece's ``N / (2 ln N)``); a criterion that lets half
    of them fail (the comparison's) gives a higher load. ``dense_capacity(32, 3)`` is
    1.539.
    """
    if (n := int(order)) < 2:
        raise ValidationError("order", order, "an integer >= 2")
    double_factorial = math.prod(range(2 * n - 3, 0, -2))
    p = n_units ** (n - 1) / (2 * double_factorial * math.log(n_units))
    return p / n_units


def nearest_pattern_capacity(n_units: int, cue_units: int) -> float:
    """The load P/N at which half of the cues still have their pattern strictly nearest.

    This is a modern Hopfield network's completion capacity in the ``beta -> inf``
    limit, where one update moves a cue to its nearest stored pattern (Ramsauer et al.
    2021): with random +/-1 patterns, another pattern lies within Hamming distance
    ``k`` of a cue with ``k`` flipped units with probability ``q = Pr[Bin(N, 1/2) <=
    k]``, so a fraction ``(1 - q)^(P - 1)`` of the cues is retrieved; it is 1/2 at
    ``P = 1 + ln 2 / -ln(1 - q)``: exponential in N (``k = 0``: about ``2^N ln 2``).
    A finite ``beta`` mixes near patterns into the state, which this limit ignores.
    ``nearest_pattern_capacity(10, 1)`` (``q = 11 / 1024``) is 6.52.
    """
    k = int(cue_units)
    if not 0 <= k <= n_units:
        raise ValidationError("cue_units", cue_units, f"an integer in [0, {n_units}]")
    q = sum(math.comb(n_units, j) for j in range(k + 1)) / 2.0**n_units
    p = 1.0 + math.log(2.0) / -math.log1p(-q) if q < 1 else 1.0
    return p / n_units


def capacity_lines(
    key: str,
    n_units: int,
    coding_level: float | None = None,
    threshold: float = 0.95,
    *,
    params: dict | None = None,
    cue_units: int | None = None,
) -> list[tuple[str, float, str]]:
    """The critical loads ``P / N`` that anchor ``key`` predicts for ``n_units`` units.

    Parameters
    ----------
    key : str
        A key of :data:`ANCHORS`.
    n_units : int
        Network size N.
    coding_level : float, optional
        Fraction of active units of sparse 0/1 patterns (needed by the sparse anchors).
    threshold : float
        Overlap at which a pattern counts as recalled: the Willshaw load at that
        criterion depends on it.
    params : dict, optional
        The model's parameters, where the prediction depends on them (``order`` of a
        dense network).
    cue_units : int, optional
        Units corrupted in a completion cue, where the prediction depends on them (the
        nearest-pattern limit of a modern network).

    Returns
    -------
    list of (label, load, citation key)
        Empty for an anchor that predicts no load (or not at these sizes).
    """
    if key not in ANCHORS:
        raise ValidationError("key", key, "a key of neuromem.theory.ANCHORS")
    ln = math.log(n_units)
    if key == "hopfield-hebbian":
        a = ANCHORS[key].value["alpha_c"]
        return [(f"AGS α_c = {a:g} (Hebb, N → ∞)", a, "ags1985")]
    if key == "perfect-recall":
        v = 1 / (2 * ln)
        return [(f"P/N = 1/(2 ln N) = {v:.3f} (Hebb, no error)", v, "mceliece1987")]
    if key == "storkey":
        v = 1 / math.sqrt(2 * ln)
        return [(f"P/N = 1/√(2 ln N) = {v:.3f} (Storkey)", v, "storkey1997")]
    if key == "pseudoinverse":
        v = ANCHORS[key].value["alpha_max"]
        return [(f"P/N = {v:g} (projection rule limit)", v, "kanter1987")]
    if key == "dense-polynomial" and (params or {}).get("order") is not None:
        n = params["order"]
        v = dense_capacity(n_units, n)
        label = f"P = N^{n - 1}/(2·{2 * n - 3}!!·ln N): P/N = {v:.2f} (n = {n}, no error)"
        return [(label, v, "krotov2016")]
    if key == "modern" and cue_units is not None:
        v = nearest_pattern_capacity(n_units, cue_units)
        label = f"nearest pattern, β → ∞: P/N = {v:.2f} ({cue_units} of {n_units} flipped)"
        return [(label, v, "ramsauer2021")]
    if not coding_level:
        return []
    a = coding_level
    if key == "willshaw":
        k = round(a * n_units)
        w = willshaw_capacity(n_units, n_units, k, k, fidelity=0.01) / n_units
        # The same theory at the comparison's criterion: a recall with all k active
        # units and f spurious ones has sparse overlap 1 - f / (N - k), so "overlap >=
        # threshold" tolerates f <= (1 - threshold)(N - k) add errors (9.5 of 10 active
        # units at N = 200), far more than the 1 % line; from clean cues a Willshaw net
        # is "stable" up to this load, not up to the 1 % one.
        f = (1.0 - threshold) * (n_units - k)
        w_crit = willshaw_capacity(n_units, n_units, k, k, fidelity=f / k) / n_units
        return [
            (f"Willshaw P/N = {w:.2f} (1 % add errors)", w, "knoblauch2010"),
            (
                f"Willshaw P/N = {w_crit:.2f} ({f:.3g} add errors: overlap "
                f"{threshold:g}, clean cues)",
                w_crit,
                "knoblauch2010",
            ),
        ]
    if key == "sparse-tsodyks":
        v = 1 / (2 * a * abs(math.log(a)))
        return [(f"1/(2a|ln a|) = {v:.2f} (a → 0)", v, "tsodyks1988")]
    return []

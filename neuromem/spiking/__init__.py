"""Spiking memory: LIF populations, Poisson sources, delayed synapses and STDP.

The loop over time steps is compiled with numba (a numpy twin gives the same spikes);
a step touches only the synapses of the neurons that spiked. See ``docs/spiking.md``.
"""

from ._kernel import HAVE_NUMBA
from .lif import LIF
from .network import SpikingNetwork, SynapseGroup
from .recording import Recording

__all__ = ["HAVE_NUMBA", "LIF", "Recording", "SpikingNetwork", "SynapseGroup"]

"""The pattern regimes of ``neuromem compare``: sizes, coding level and search limits.

A model whose tags declare a :class:`~neuromem.tags.CapacitySearch` is measured in its
regime at the size and up to the load they give (:func:`entry_regime`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "BASIN_FRACTIONS",
    "CUE_NOISE",
    "SPARSE_PANEL",
    "Regime",
    "cue_text",
    "entry_regime",
    "regime_of",
    "regimes",
    "search_regime",
    "search_text",
]

#: Fraction of cue units corrupted for the completion capacity and the glyph figure.
CUE_NOISE = 0.1
#: Fractions of each model's own alpha_c at which basins are measured.
BASIN_FRACTIONS = (0.25, 0.5)
#: The figure panel of every model tested on sparse 0/1 patterns, whatever its family:
#: a panel has one regime's axes.
SPARSE_PANEL = "sparse 0/1 networks"


@dataclass(frozen=True)
class Regime:
    """A pattern regime: its width, coding level and search limits."""

    name: str
    n_units: int
    coding_level: float | None
    max_load: float
    start_load: float
    common_load: float

    @property
    def encoding(self) -> str:
        return "bipolar" if self.name == "bipolar" else "binary"

    @property
    def n_active(self) -> int:
        return round(self.coding_level * self.n_units) if self.coding_level else 0

    @property
    def p_max(self) -> int:
        return round(self.max_load * self.n_units)

    @property
    def k_cue(self) -> int:
        """Units corrupted in a completion cue."""
        base = self.n_units if self.name == "bipolar" else self.n_active
        return max(1, round(CUE_NOISE * base))

    @property
    def k_max(self) -> int:
        """Most units a basin search corrupts (half the units, or every active one)."""
        return self.n_units // 2 if self.name == "bipolar" else self.n_active

    @property
    def noise_unit(self) -> int:
        """What a fraction of corruption is a fraction of."""
        return self.n_units if self.name == "bipolar" else self.n_active

    @property
    def label(self) -> str:
        if self.name == "bipolar":
            return f"random ±1, N = {self.n_units}"
        return f"sparse 0/1, N = {self.n_units}, a = {self.coding_level:g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n_units": self.n_units,
            "coding_level": self.coding_level,
            "max_load": self.max_load,
            "start_load": self.start_load,
            "common_load": self.common_load,
            "cue_corrupted_units": self.k_cue,
        }


def regimes(quick: bool) -> dict[str, Regime]:
    """The two regimes of a run: random ±1 patterns and sparse 0/1 patterns."""
    if quick:
        return {
            "bipolar": Regime("bipolar", 48, None, 0.5, 0.1, 0.1),
            "sparse": Regime("sparse", 100, 0.05, 1.5, 0.25, 0.25),
        }
    return {
        "bipolar": Regime("bipolar", 100, None, 1.0, 0.05, 0.1),
        "sparse": Regime("sparse", 200, 0.05, 3.0, 0.25, 0.5),
    }


def regime_of(config: dict, name: str) -> Regime:
    """The regime ``name`` of a run's configuration (as recorded in run.json)."""
    r = dict(config["regimes"][name])
    r.pop("cue_corrupted_units", None)
    return Regime(**r)


def entry_regime(config: dict, entry: dict) -> Regime:
    """The regime an entry is measured in: its pattern regime, at the size and up to the
    load its tags' :class:`~neuromem.tags.CapacitySearch` give (see ``search`` in
    :func:`~neuromem.experiments.compare.entries.model_entries`)."""
    reg = regime_of(config, entry["regime"])
    search = {k: v for k, v in entry.get("search", {}).items() if v is not None}
    return replace(reg, **{k: search[k] for k in ("n_units", "max_load") if k in search})


def search_regime(config: dict, label: str) -> Regime | None:
    """The regime of the entry ``label`` where its tags change it (None otherwise)."""
    for e in config.get("models", []):
        if e["label"] == label and e.get("search") and e.get("regime"):
            return entry_regime(config, e)
    return None


def search_text(config: dict, entry: dict) -> str:
    """The conditions of an entry's measured capacity: "measured at N = 32 (cues: 3 of
    the 32 units flipped; loads searched up to P/N = 16), order = 3"."""
    r = entry_regime(config, entry)
    cue = cue_text({**r.to_dict(), "cue_corrupted_units": r.k_cue})
    moved = "flipped" if r.name == "bipolar" else "moved"
    text = (
        f"measured at N = {r.n_units} (cues: {cue} {moved}; loads searched up to "
        f"P/N = {r.max_load:g})"
    )
    resolved = entry.get("resolved") or entry.get("params", {})
    shown = [
        f"{c} = {resolved[c]}"
        for c in entry["search"].get("conditions", ())
        if c in resolved
    ]
    return ", ".join([text, *shown])


def cue_text(regime: dict) -> str:
    """What a completion cue corrupts, in units: "10 of the 100 units", "1 of the 10
    active units" (10 % of them after rounding, at least one: 1 of 5 in --quick)."""
    n = regime["n_units"]
    k = regime.get("cue_corrupted_units")
    if regime.get("coding_level"):
        base, what = round(regime["coding_level"] * n), "active units"
    else:
        base, what = n, "units"
    if k is None:  # a run.json written before the count was recorded
        k = max(1, round(CUE_NOISE * base))
    return f"{k} of the {base} {what}"

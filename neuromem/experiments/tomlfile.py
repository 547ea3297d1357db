"""Reading an experiment from a TOML file, with errors that name the file, the line and
the key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..errors import ValidationError, described
from .spec import Experiment, _key_text

__all__ = ["load_experiment"]


def _locate(text: str, path: tuple) -> int | None:
    """Best-effort line number of the key at ``path`` in a TOML text."""
    strs = [p for p in path if isinstance(p, str)]
    if not strs:
        return None
    top = path[0]
    leaf = strs[-1]
    in_array = len(path) > 1 and isinstance(path[1], int) and top in ("models", "patterns")
    index = path[1] if in_array else None
    assign = re.compile(rf'(^|[{{,])\s*"?{re.escape(str(leaf))}"?\s*=')
    section: str | None = None
    count = -1
    fallback = None
    for n, line in enumerate(text.splitlines(), 1):
        s = line.split("#", 1)[0].strip()
        if s.startswith("["):
            name = s.strip("[] ").split(".")[0].strip()
            if s.startswith("[[") and name == top:
                count += 1
            section = name
            if in_array and name == top and count == index and leaf == top:
                return n
            continue
        if not assign.search(s):
            continue
        if in_array:
            if section == top and count == index:
                return n
            if section is None and leaf == top:
                fallback = fallback or n
        elif section is None:
            return n
    return fallback


def load_experiment(path: str | Path) -> Experiment:
    """Read an experiment from a TOML file.

    The file holds the fields of :class:`Experiment` at the top level, and one
    ``[[models]]`` and ``[[patterns]]`` table per model and pattern set::

        name = "my-capacity"
        loads = [0.05, 0.1, 0.15]
        noise = [0.0, 0.1]
        repeats = 2
        seed = 1

        [[models]]
        name = "hopfield"
        params = { rule = "hebbian" }

        [[patterns]]
        kind = "random_bipolar"
        n_units = 200

    Raises
    ------
    ValidationError
        For a missing or unreadable file, a TOML syntax error, an unknown model or
        parameter, a value of the wrong type or out of range. The message names the
        file, the line where it can be found, and the key.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError("experiment", str(path), "an existing TOML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(
            "experiment", described(f"{str(path)!r}, unreadable ({exc})"), "a TOML file"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        found = re.search(r"line (\d+)", msg)
        where_text = f"{path.name}, line {found.group(1)}" if found else path.name
        raise ValidationError(
            where_text, described(f"a TOML syntax error ({msg})"), "valid TOML"
        ) from None

    def where(p: tuple) -> str:
        line = _locate(text, p)
        at = f"{path.name}, line {line}" if line else path.name
        return f"{at}: {_key_text(p)}" if p else at

    return Experiment.from_dict(data, where=where)

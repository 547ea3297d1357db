"""What a second review of issue 17 found in the engine and in compare: numpy scalars
in a table, duplicate labels and plugin families in compare, the internal protocol name
"grid" shown to users, and the recorded model selection of compare."""

from __future__ import annotations

import numpy as np

from neuromem.experiments.engine import read_frame, read_rows, write_table

# -- numpy scalars in a table ----------------------------------------------------------------


def test_numpy_scalars_are_written_as_plain_numbers(tmp_path):
    rows = [
        {
            "x": np.float64(1.0),
            "y": np.float64(np.nan),
            "n": np.int64(3),
            "b": np.bool_(True),
        },
        {
            "x": np.float64(0.1),
            "y": np.float64(2.5),
            "n": np.int64(-1),
            "b": np.bool_(False),
        },
    ]
    path = write_table(tmp_path / "t.csv", rows)
    assert path.read_text().splitlines()[1:] == ["1.0,nan,3,True", "0.1,2.5,-1,False"]
    frame = read_frame(path)
    assert frame["x"].tolist() == [1.0, 0.1] and frame["n"].tolist() == [3, -1]
    back, _ = read_rows(path, {"x": float, "y": float, "n": int, "b": bool})
    assert back[1] == {"x": 0.1, "y": 2.5, "n": -1, "b": False}

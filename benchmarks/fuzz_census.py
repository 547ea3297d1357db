"""Count the outcomes of the fuzz targets of tests/reliability/test_fuzz.py at a larger scale.

    python benchmarks/fuzz_census.py [EXAMPLES_PER_TARGET | --smoke]

Every generated input ends in one of: ``ok`` (a result that agrees with the reference),
``refused`` (a ValidationError), ``crash`` (any other exception), ``wrong`` (accepted,
but the result is wrong) or ``hang`` (no answer within 10 s). The examples are
derandomized, so two runs of the same code count the same; the counts before and
after a change are comparable. Crashes are grouped by exception type and place.
"""

from __future__ import annotations

import collections
import signal
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import numpy as np
import test_fuzz
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuromem as nm


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


def census(n: int) -> dict:
    signal.signal(signal.SIGALRM, _alarm)
    totals: dict = {}
    kinds: collections.Counter = collections.Counter()
    tmp = Path(tempfile.mkdtemp())
    targets = dict(test_fuzz.TARGETS)
    targets["load"] = lambda data: test_fuzz.target_load(data, tmp)
    for name, target in sorted(targets.items()):
        counts: collections.Counter = collections.Counter()
        run = _runner(name, target, counts, kinds, n)
        run()
        totals[name] = dict(counts)
        print(name, dict(counts), flush=True)
    return {"totals": totals, "kinds": kinds}


def _runner(name, target, counts, kinds, n):

    @settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def run(data):
        signal.alarm(10)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                target(data)
            counts["ok"] += 1
        except nm.ValidationError:
            counts["refused"] += 1
        except test_fuzz.Wrong as exc:
            counts["wrong"] += 1
            kinds[f"{name}: wrong: {exc}"] += 1
        except Hang:
            counts["hang"] += 1
            kinds[f"{name}: hang"] += 1
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            counts["crash"] += 1
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(tb.filename).name}:{tb.lineno}"
            kinds[f"{name}: {type(exc).__name__} at {where}"] += 1
        finally:
            signal.alarm(0)

    return run


if __name__ == "__main__":
    # --smoke: two examples per target
    arg = sys.argv[1] if len(sys.argv) > 1 else "300"
    n = 2 if arg == "--smoke" else int(arg)
    out = census(n)
    grand: collections.Counter = collections.Counter()
    for c in out["totals"].values():
        grand.update(c)
    print("total", dict(grand))
    for k, v in out["kinds"].most_common():
        print(f"{v:6d}  {k}")

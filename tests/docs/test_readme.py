"""The README starts with the two set-up commands, and CI runs the second one verbatim."""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _commands():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)\n```", text, re.S)[:2]


def test_readme_starts_with_install_and_test_commands():
    main_job, tests = _commands()
    assert main_job.startswith("pip install -e .") and "neuromem " in main_job
    assert tests.startswith('pip install -e ".[test]"') and "pytest" in tests


def test_ci_runs_the_readme_test_command():
    _, tests = _commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci, ".ci/run must run the README's test command verbatim"


def test_ci_runs_the_oldest_and_newest_supported_python():
    """.ci/run's OLDEST is pyproject's requires-python floor and NEWEST its newest
    version classifier, so the declaration is what CI tests."""
    ci = (ROOT / ".ci" / "run").read_text()
    oldest = re.search(r"^OLDEST=(\d+\.\d+)$", ci, re.M).group(1)
    newest = re.search(r"^NEWEST=(\d+\.\d+)$", ci, re.M).group(1)
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == f">={oldest}"
    versions = [
        c.rsplit(" :: ", 1)[1]
        for c in meta["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert max(versions, key=lambda v: tuple(map(int, v.split(".")))) == newest
    assert min(versions, key=lambda v: tuple(map(int, v.split(".")))) == oldest
    assert 'for version in "$OLDEST" "$NEWEST"' in ci
    assert sys.version_info >= tuple(map(int, oldest.split(".")))

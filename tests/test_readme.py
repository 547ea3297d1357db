"""The README starts with the two set-up commands, and CI runs the second one verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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

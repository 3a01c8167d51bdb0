"""Top-level test configuration: plugins must be declared here (pytest refuses them deeper).

The suite runs on pytest-xdist workers (`-n auto --dist loadgroup` in pyproject.toml). Tests that
share an expensive module-scoped resource carry `pytest.mark.xdist_group(NAME)`, so one worker
runs them all and the resource is made once (a saving only: pytest 9.2 with pytest-xdist 3.8
ignores the groups, pytest-xdist issue 1386). No test needs a resource that workers would share:
servers listen on free ports, files live under `tmp_path` (each worker's own).
"""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["pytester", "tests.browser", "tests.redisserver"]


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` means no workers when the command line names only test files or single tests
    (`pytest tests/x.py`, `pytest tests/x.py::test_y`): starting workers would cost more than
    they save, and `print`, `breakpoint()` and `--pdb` work as without xdist. A directory, or
    no argument (the whole suite), gets xdist's count: one worker per CPU, or
    `PYTEST_XDIST_AUTO_NUM_WORKERS`. A number on the command line (`-n 2`, `-n0`) wins."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    here = config.invocation_params.dir
    if config.args and all((here / arg.split("::")[0]).is_file() for arg in config.args):
        return 0
    return None

"""Every example a user is shown runs: the ``Example:`` line of every command's ``--help`` and the
commands and Python of the README, each from a scratch directory beside the repository's files."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from dtsim.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")

#: Placeholders of usage listings (not runnable as written).
PLACEHOLDERS = ("FILE", "DIR", "PLAN", "NAME", "CONFIG", "DATA.csv", "ADDRESS", "[--", "KEY=VALUE")
#: Commands that start a server or need a browser: shown, not run here (tests/test_web_serve.py runs serve).
#: Not run here: a server runs until stopped (tests/test_web_serve.py starts and stops it).
NOT_RUN_HERE = ("dtsim serve",)


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A working directory where the repository's example paths resolve and outputs go to tmp."""
    for name in ("examples", "src", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def _commands(command: typer.main.TyperCommand | typer.main.TyperGroup, prefix: str = "") -> Iterator[tuple[str, str]]:
    click_command = typer.main.get_command(app) if command is None else command
    for name, sub in getattr(click_command, "commands", {}).items():
        path = f"{prefix} {name}".strip()
        yield path, sub.help or ""
        yield from _commands(sub, path)


HELP_EXAMPLES = [
    (path, match.group(1).strip())
    for path, text in _commands(typer.main.get_command(app))
    for match in re.finditer(r"Example:\s*(dtsim .+)", text)
]


def _run(command_line: str) -> None:
    words = shlex.split(command_line.split(" > ")[0].split(" #")[0])
    assert words[0] == "dtsim"
    result = CliRunner().invoke(app, words[1:])
    assert result.exit_code == 0, f"{command_line}\n{result.output}"


def test_every_command_has_an_example() -> None:
    paths = {path for path, _ in _commands(typer.main.get_command(app))}
    with_example = {path for path, _ in HELP_EXAMPLES}
    assert paths - with_example <= {"population"}, sorted(paths - with_example)  # a group, not a command


RUN_HERE = [(c, e) for c, e in HELP_EXAMPLES if not e.startswith(NOT_RUN_HERE)]


@pytest.mark.parametrize(("command", "example"), RUN_HERE, ids=[c for c, _ in RUN_HERE])
def test_help_examples_run(command: str, example: str, scratch: Path) -> None:
    _run(example)


def _bash_lines() -> list[str]:
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            line = line.strip()
            if (
                line.startswith("dtsim ")
                and not line.startswith(NOT_RUN_HERE)
                and not any(p in line for p in PLACEHOLDERS)
            ):
                lines.append(line)
    return lines


@pytest.mark.parametrize("line", _bash_lines())
def test_readme_commands_run(line: str, scratch: Path) -> None:
    _run(line)


def test_readme_python_runs(scratch: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # the README's own example

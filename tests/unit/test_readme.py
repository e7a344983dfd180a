"""The README's commands and command reference match the code and CI."""

import re
from pathlib import Path

import pytest

from bot.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_command_reference_is_up_to_date(capsys):
    assert main(["commands", "--markdown"]) == 0
    generated = capsys.readouterr().out
    assert generated in README, "README is out of date: run `python -m bot commands --markdown` and paste it"


def test_ci_installs_and_tests_exactly_as_the_readme_says():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]'"
    assert f"{install} && .venv/bin/python -m pytest" in README
    assert install in ci
    assert ".venv/bin/python -m pytest" in ci


def test_every_setting_is_documented():
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    variables = set(re.findall(r'_clean\(env, "([A-Z_]+)"\)', source))
    assert {"DISCORD_TOKEN", "DATABASE_PATH", "DEV_GUILD_ID", "LOG_LEVEL"} <= variables
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in variables:
        assert f"`{name}`" in README, name
        assert f"{name}=" in example, name


@pytest.mark.parametrize("name", ["README.md", ".env.example", "pyproject.toml", ".ci/run"])
def test_required_files_exist(name):
    assert (ROOT / name).is_file()

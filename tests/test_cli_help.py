"""The ``zohosim`` command explains itself: a version, and help text on every flag of every command."""

from __future__ import annotations

import argparse

import pytest

from simulator.cli import _parser, main


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("zohosim ") and out != "zohosim "


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_flag_has_help_text(command: str) -> None:
    parser = _commands()[command]
    bare = [
        action.option_strings[0]
        for action in parser._actions
        if action.option_strings and not isinstance(action, argparse._HelpAction) and not action.help
    ]
    assert not bare, f"zohosim {command}: these flags have no help text: {bare}"

"""`bzzz ollama-emulator` refuses a scenario file that is not there, before serving."""

from __future__ import annotations

from cli.main import main


def test_the_cli_refuses_a_missing_scenario_file(tmp_path, capsys):
    code = main(["ollama-emulator", "--scenario", str(tmp_path / "absent.yaml")])
    assert code == 1
    assert capsys.readouterr().out.startswith("bzzz ollama-emulator: ")

"""A stand-in for Ollama's HTTP API, driven by scenarios, for tests and the local demo.

    from infra.ollama_emulator import start_in_thread
    with start_in_thread("infra/ollama_emulator/scenarios/demo.yaml") as emulator:
        ollama.Client(host=emulator.base_url).chat(...)

See scenario.py for the scenario format, context_window.py for `num_ctx`, and
api_contract.json for the response shapes it is held to.
"""

from infra.ollama_emulator.app import ADMIN_PREFIX, create_app
from infra.ollama_emulator.errors import OllamaEmulatorError, ScenarioError
from infra.ollama_emulator.scenario import Scenario, load_scenario
from infra.ollama_emulator.server import RunningEmulator, start_in_thread

__all__ = [
    "ADMIN_PREFIX",
    "OllamaEmulatorError",
    "RunningEmulator",
    "Scenario",
    "ScenarioError",
    "create_app",
    "load_scenario",
    "start_in_thread",
]

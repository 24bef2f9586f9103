"""Scenario files shipped with the stand-in, for tests, the runner's tests and `bzzz demo`."""

from pathlib import Path

# Fix of a one-line bug through tools, through the text protocol, and a model that loops.
DEMO = Path(__file__).with_name("demo.yaml")

"""HMMM: agents discuss their plans with their peers, and ask for help (docs/hmmm.md)."""

from bzzz.hmmm.discussion import discuss
from bzzz.hmmm.feedback import Discussion, Feedback
from bzzz.hmmm.participant import Participant, Reviewer
from bzzz.hmmm.triggers import looks_stuck

__all__ = ["Discussion", "Feedback", "Participant", "Reviewer", "discuss", "looks_stuck"]

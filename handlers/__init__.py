"""Lambda entry points: thin adapters from an AWS event to one bzzz/ call."""

"""One claimed task from claim to its last transition: brief, lease,
trajectory, progress, outcome.
"""

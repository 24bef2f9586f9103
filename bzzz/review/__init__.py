"""Review rounds: writers' feedback on an agent's pull request becomes a new attempt of its task.

A round is a new attempt of the same task, not a child task: the key, the
claims, the lease, the audit stream and the HMMM thread stay the task's, so
every round is one more chapter of the same record (docs/review-rounds.md).
"""

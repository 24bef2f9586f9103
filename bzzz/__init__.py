"""The domain: tasks and their state machine, persistence, the bus, intake, reconcile,
escalation, status, HMMM, audit. Imports none of handlers/, runner/, infra/, cli/.
"""

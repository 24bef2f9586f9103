"""Persistence: the PynamoDB models of every table, their binding to settings,
and the conditional-write helpers.
"""

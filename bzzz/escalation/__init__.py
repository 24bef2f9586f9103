"""Escalation: help requests peers cannot answer go to humans (signed webhook,
issue comment), and replies come back.
"""

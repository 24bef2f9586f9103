"""The task state machine: states, the declared transition rules, and the one
conditional write that applies them.
"""

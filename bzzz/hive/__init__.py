"""Hive: the client of an existing Hive (`client`) and the Hive-compatible API
we serve ourselves (`server`, `views`).
"""

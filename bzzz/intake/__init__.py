"""The webhook's domain: de-duplicate a verified delivery, route it, and act on
issues, comments and installations.
"""

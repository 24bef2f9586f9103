"""The scheduled reconcile poll: repair what webhooks and agents left undone
(leases, lost messages, missed labels).
"""

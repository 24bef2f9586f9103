"""Status sync: mirror every task message onto the issue (one status comment,
labels, reaction) and onto Hive.
"""

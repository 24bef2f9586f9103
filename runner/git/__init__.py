"""Git on the host: the task's working tree (clone, commit, push) and
publishing the branch and pull request.
"""

"""The self-hosted agent: the work loop (`process`), one task's work (`worker`), the
reasoning loop (`agent`), the sandbox (`sandbox`) and host git (`git`).
"""

"""Local infrastructure: the local AWS backend, the container engine, the GitHub and
Ollama stand-ins. Imports bzzz/ only.
"""

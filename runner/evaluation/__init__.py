"""Evaluation: SWE-bench-format instances through the real pipeline, judged as SWE-bench judges."""

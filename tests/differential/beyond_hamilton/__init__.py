"""Pipelines Apache Hamilton 1.90 cannot run but hamilflow claims to (README: "What hamilflow adds").

There is no reference run for these, so each module states its result in ``EXPECTED``.
"""

"""Pipelines that Apache Hamilton rejects, and hamilflow must reject too.

Each module names the exception Hamilton raises in ``ERROR``; ``SAME_ERROR = True`` when hamilflow
must raise that same exception type (it comes from the user's decorator, not from the engine).
"""

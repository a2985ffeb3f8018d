"""Pipelines for the dynamic-execution tests: real modules, importable by worker processes.

Each module is a pipeline with ``Parallelizable``/``Collect`` blocks. Nodes that must be
counted append a line to a log file (see :mod:`.calls`), which works from threads,
processes, Dask workers and Ray workers alike.
"""

"""Pipelines that read and write through Hamilton's loaders, savers and materializers.

Each module is a Hamilton pipeline with settings the harness reads (``tests/differential/io/harness.py``):
``_prepare(folder)`` writes the input files and returns the run's inputs, ``OUTPUTS`` are the
values to request, ``_materializers(folder)`` (for ``Driver.materialize``) and
``_builder_materializers(folder)`` (for ``Builder.with_materializers``) give the materializers,
``WRITES`` names the files the run must write. Every path a module uses is under ``folder``.
The helpers start with an underscore so that neither Hamilton nor hamilflow makes them nodes.
"""

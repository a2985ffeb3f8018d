"""Modules that corpus pipelines load into subdag/parameterized_subdag; not pipelines themselves."""

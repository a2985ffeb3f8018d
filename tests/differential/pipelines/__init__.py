"""The differential corpus: each module is one small Hamilton pipeline, run on Hamilton and on hamilflow.

A module sets ``OUTPUTS`` (the variables to request) and may set ``INPUTS``, ``CONFIG`` and
``AIRFLOW = True`` (also compiled to an Airflow DAG and run there). Helpers start with ``_``
so that they do not become nodes.
"""

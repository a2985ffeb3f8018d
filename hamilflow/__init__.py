"""hamilflow: write a pipeline once as plain Python functions; run it in-process, in parallel, or on Airflow 3.

>>> from hamilflow import driver, base
"""

__version__ = "0.1.0"

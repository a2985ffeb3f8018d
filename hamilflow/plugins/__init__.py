"""Executors for other engines, each in its own module so its engine stays an optional import.

``h_dask.DaskExecutor`` runs block tasks on a Dask cluster, ``h_ray.RayTaskExecutor`` on
Ray. The names mirror Apache Hamilton's ``hamilton.plugins.h_dask`` and ``h_ray``, so
porting a driver is a change of the import line. Install the extras ``hamilflow[dask]``
or ``hamilflow[ray]``.
"""

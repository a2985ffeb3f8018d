"""Dynamic execution: plans of tasks, grouping strategies, the local runner and its executors."""

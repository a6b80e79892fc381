"""The build: running the notebooks (runner, kernels, zygote, executors, params, sweep, robustness), the cache
that skips what has not changed, the site, the benchmark, and the writing of files.

Importing this package imports none of its modules: a kernel that records what it reads (``trace``)
loads nothing else of the build."""

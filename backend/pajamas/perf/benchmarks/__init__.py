"""The hub's benchmarks, one module per area; `perf/suite.py` lists them."""

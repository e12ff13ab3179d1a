"""``python -m bench``: run the benchmark (``BENCH_SMOKE=1``: the tiny smoke run)."""

from bench.run import main

main()

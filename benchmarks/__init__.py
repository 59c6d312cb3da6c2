"""The wengert benchmark suite: ``python benchmarks/run.py --help``.

``workloads`` holds the functions, their hand-written gradients and input
factories; ``tools`` one adapter per AD tool; ``harness`` the correctness
check and the interleaved timing; ``report`` the tables, the Markdown page and
the plot; ``run`` the command line.
"""

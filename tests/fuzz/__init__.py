"""Differential fuzzing of wengert: random programs, three derivatives.

``gen`` draws a random program from a small grammar (straight-line NumPy and
``math`` code, ``if``/``for``/``while``, ``break``/``continue``/early
``return``, helper functions, lists) and renders it as module source.
``check`` writes it to a real file, imports it, and compares reverse mode,
forward mode and a central finite difference. ``tests/test_fuzz.py`` runs a
fixed, derandomized sample in CI; ``tests/fuzz/run.py`` runs for minutes and
saves every failing program for triage.
"""

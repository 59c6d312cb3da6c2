"""wengert on GradBench: a tool speaking the GradBench protocol (``tool.py``),
one module per eval (``evals/``), local eval drivers (``local_evals.py``) and a
relay that runs them against each other and writes ``docs/gradbench.md``
(``relay.py``). See ``README.md`` in this directory.
"""

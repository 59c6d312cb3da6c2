"""One module per GradBench eval, each written the way a NumPy user writes the
objective; every derivative comes from wengert.

A module provides:

* ``FUNCTIONS``: ``{function name: callable}``, the calls the tool times;
* ``prepare(function, input) -> tuple``: the JSON input as the callable's
  arguments (NumPy arrays, floats), done before the clock starts;
* ``output(function, result)``: the result as plain JSON values, after it stops;
* ``define()`` (optional): build the derivatives, called when the tool answers
  ``define`` (building is never part of a timed call);
* ``SPECIALISES = False`` (optional): every derivative was built in ``define``
  for the kinds of arguments the eval sends, so no untimed first call is needed;
* ``UNSUPPORTED`` (optional): ``{function name: reason}`` for functions
  wengert cannot differentiate (the tool answers ``success: false``).

The tool calls each function once on the actual input before timing it when
its arrays have shapes not seen before: wengert specialises a derivative per
argument shapes, and that first call is the one that builds.
"""

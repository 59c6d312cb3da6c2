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
* ``PLAIN`` (optional): names of functions that are NumPy alone (a primal
  that calls no derivative), with nothing to build;
* ``UNSUPPORTED`` (optional): ``{function name: reason}`` for functions
  wengert cannot differentiate (the tool answers ``success: false``).

Before timing a function on arrays of shapes not seen before, the tool has
wengert build the code specialised for them: a derivative's
``specialize(*args)`` builds without running; any other function (one that
calls derivatives inside) is called once, untimed, unless it is in ``PLAIN``.
"""

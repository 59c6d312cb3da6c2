"""One adapter per AD tool: how it computes a workload's gradient.

An adapter's ``prepare(workload, args)`` does everything that is not part of a
gradient call, once: converting inputs to the tool's arrays, building the
gradient function (``wengert.grad``, ``autograd.grad``, ``jax.grad``/
``jax.jit``). It returns a function of no arguments that computes the whole
gradient once and returns it in the tool's own types; ``to_numpy`` converts
that result (outside any timing) into a tuple of NumPy values, one per
differentiated argument, for the correctness check.

What a timed call includes, per tool:

* hand-written, wengert, autograd: one call of the gradient function on
  NumPy inputs (Python floats for the scalar workloads);
* JAX: one call of ``jax.grad(f)`` or ``jax.jit(jax.grad(f))`` on JAX arrays,
  then ``block_until_ready`` (JAX dispatches asynchronously). The jit
  compilation happens in the first call, which the harness reports apart;
* PyTorch: the forward pass on tensors that require grad and
  ``torch.autograd.grad`` of the loss with respect to them (no ``.grad``
  accumulation, nothing kept between calls).

Tools that are not installed report why through ``problem()``; the harness
leaves their column out.
"""

from __future__ import annotations

import functools
import importlib
import math
import types

import numpy as np

from . import workloads


class Unsupported(Exception):
    """This tool cannot differentiate this workload (a report, not a crash)."""


class Skip(Exception):
    """This workload is not timed for this tool (too slow by construction)."""


class Tool:
    """The adapter interface (and the hand-written gradients' adapter)."""

    name = "hand"                 # column id, used by --tools
    label = "hand-written"        # column header
    package = ""                  # the distribution whose version the report gives
    unsupported: tuple = ()       # exception types that mean "cannot differentiate this"
    first_call_limit_s = None     # a limit of its own for the first call (else the harness's)

    def problem(self):
        """Why this tool cannot run here (not installed), or None."""
        return None

    def version(self) -> str:
        return ""

    def setup(self, threads: int) -> None:
        """Once per process, before the first ``prepare``."""

    def prepare(self, wl: workloads.Workload, args: tuple):
        return functools.partial(wl.grad, *args)

    def to_numpy(self, result, n: int) -> tuple:
        values = result if n > 1 else (result,)
        return tuple(np.asarray(v, dtype=np.float64) for v in values)

    def limit_note(self, wl: workloads.Workload, args: tuple) -> str:
        """Appended to the message when a call runs past the time limit."""
        return ""


def _wrt_arg(wl):
    return wl.wrt if len(wl.wrt) > 1 else wl.wrt[0]


def _installed(module: str):
    try:
        importlib.import_module(module)
    except Exception as exc:              # ImportError, or a broken install
        return f"{module} is not installed ({type(exc).__name__}: {exc})"
    return None


def _dist_version(module: str) -> str:
    try:
        return importlib.import_module(module).__version__
    except Exception:
        return "?"


# --------------------------------------------------------------------------
# wengert


class Wengert(Tool):
    """``wengert.grad(f, wrt=..., mode=...)``; the first call builds and
    specialises the derivative (the harness makes it before timing)."""

    package = "wengert"

    def __init__(self, mode: str, max_jvps: int = 20_000, first_call_limit_s=None):
        self.mode = mode
        # forward mode builds in well under a second, so a long first call is
        # the JVPs themselves: no need to wait for the harness's generous limit
        self.first_call_limit_s = first_call_limit_s
        self.name = f"wengert_{ {'reverse': 'rev', 'forward': 'fwd'}.get(mode, mode)}"
        self.label = "wengert default" if mode == "auto" else f"wengert {mode}"
        self.max_jvps = max_jvps
        self.derivatives = {}         # workload name -> Derivative (for .source)

    def problem(self):
        return _installed("wengert")

    def version(self):
        return _dist_version("wengert")

    @property
    def unsupported(self):
        import wengert
        return (wengert.WengertError,)

    def prepare(self, wl, args):
        import wengert
        n = _n_inputs(wl, args)
        if self.mode == "forward" and n > self.max_jvps:
            raise Skip(f"forward mode computes a gradient with one JVP per input: "
                       f"{n:,} JVPs (more than {self.max_jvps:,})")
        d = wengert.grad(wl.fn, wrt=_wrt_arg(wl), mode=self.mode)
        self.derivatives[wl.name] = d
        return functools.partial(d, *args)

    def limit_note(self, wl, args):
        if self.mode == "forward":
            return f" (forward mode: one JVP per input, {_n_inputs(wl, args):,} JVPs)"
        return ""


def _n_inputs(wl, args) -> int:
    return sum(int(np.size(args[i])) for i in wl.wrt)


# --------------------------------------------------------------------------
# autograd and JAX: the same function objects with `np` and `math` rebound


_MATH_NAMES = ("sin", "cos", "tan", "exp", "log", "log1p", "expm1", "sqrt", "tanh",
               "sinh", "cosh", "arctan2", "erf")


def math_like(np_like):
    """A stand-in for the ``math`` module whose functions accept the tool's
    traced values (``np_like.sin`` for ``math.sin``); other names are math's."""
    ns = types.SimpleNamespace(**{k: getattr(math, k) for k in dir(math)
                                  if not k.startswith("_")})
    for name in _MATH_NAMES:
        f = getattr(np_like, name, None)
        if f is not None:
            setattr(ns, name, f)
    ns.atan2 = getattr(np_like, "arctan2", math.atan2)
    return ns


def rebind(module, **names) -> dict:
    """The functions of ``module`` re-created over a copy of its globals in
    which ``names`` are replaced (``np=autograd.numpy``): calls between them
    stay inside the copy. Returns the copy."""
    original = vars(module)
    g = dict(original)
    g.update(names)
    for key, value in original.items():
        if isinstance(value, types.FunctionType) and value.__globals__ is original:
            g[key] = types.FunctionType(value.__code__, g, value.__name__,
                                        value.__defaults__, value.__closure__)
    return g


class Autograd(Tool):
    name = "autograd"
    label = "autograd"
    package = "autograd"
    unsupported = (NotImplementedError,)

    def __init__(self):
        self._ns = None

    def problem(self):
        return _installed("autograd")

    def version(self):
        from importlib.metadata import version
        try:
            return version("autograd")
        except Exception:
            return "?"

    def prepare(self, wl, args):
        import autograd
        import autograd.numpy as anp
        if self._ns is None:
            self._ns = rebind(workloads, np=anp, math=math_like(anp))
        fn = self._ns[wl.fn.__name__]
        return functools.partial(autograd.grad(fn, argnum=_wrt_arg(wl)), *args)


class Jax(Tool):
    package = "jax"

    def __init__(self, jit: bool):
        self.jit = jit
        self.name = "jax_jit" if jit else "jax"
        self.label = "jax.jit(grad)" if jit else "jax.grad"
        self._ns = None

    def problem(self):
        return _installed("jax")

    def version(self):
        return _dist_version("jax")

    def setup(self, threads):
        import jax
        jax.config.update("jax_enable_x64", True)     # the workloads are float64

    def prepare(self, wl, args):
        import jax
        import jax.numpy as jnp
        if self._ns is None:
            self._ns = rebind(workloads, np=jnp, math=math_like(jnp))
        fn = self._ns[wl.fn.__name__]
        g = jax.grad(fn, argnums=_wrt_arg(wl))
        if self.jit:
            # Python numbers that are not differentiated (GMM's gamma and m)
            # are compile-time constants, as they would be in real use.
            static = tuple(i for i, a in enumerate(args)
                           if i not in wl.wrt and not isinstance(a, np.ndarray))
            g = jax.jit(g, static_argnums=static)
        jargs = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
        block = jax.block_until_ready

        def call():
            return block(g(*jargs))
        return call


# --------------------------------------------------------------------------
# PyTorch: its own restatement of each workload


class Torch(Tool):
    name = "torch"
    label = "torch"
    package = "torch"

    def problem(self):
        return _installed("torch")

    def version(self):
        return _dist_version("torch")

    def setup(self, threads):
        import torch
        torch.set_num_threads(threads)

    def prepare(self, wl, args):
        import torch

        from . import torch_workloads
        fn = getattr(torch_workloads, wl.fn.__name__, None)
        if fn is None:
            raise Unsupported(f"no PyTorch version of {wl.fn.__name__} in torch_workloads.py")
        targs = []
        for i, a in enumerate(args):
            if isinstance(a, np.ndarray):
                a = torch.from_numpy(a)
            elif i in wl.wrt:
                a = torch.tensor(a, dtype=torch.float64)
            if i in wl.wrt:
                a = a.detach().clone().requires_grad_(True)
            targs.append(a)
        params = [targs[i] for i in wl.wrt]
        grad = torch.autograd.grad

        def call():
            return grad(fn(*targs), params)
        return call

    def to_numpy(self, result, n):
        return tuple(r.detach().numpy().astype(np.float64) for r in result)


# --------------------------------------------------------------------------


def all_tools(max_jvps: int = 20_000, forward_first_call_s=None) -> list:
    """Every adapter, in the report's column order (hand-written first)."""
    return [Tool(), Wengert("auto"), Wengert("reverse"),
            Wengert("forward", max_jvps=max_jvps, first_call_limit_s=forward_first_call_s),
            Autograd(), Jax(jit=False), Jax(jit=True), Torch()]

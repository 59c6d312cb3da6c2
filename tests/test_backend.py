"""Emit: the source map (``# file.py:12`` comments on generated lines)."""

import wengert


def documented(x):
    """Two
    lines."""
    y = x * 2.0
    if y > 1.0:
        y = y + 1.0
    else:
        y = y - 1.0
    return y


def _annotated(text) -> dict:
    """Generated line (without its comment) -> the user line it names."""
    out = {}
    for line in text.splitlines():
        code, sep, where = line.partition("  # test_backend.py:")
        if sep:
            out[code.strip()] = int(where)
    return out


def test_source_map_lines_with_and_without_a_multiline_docstring():
    # a docstring's extra lines make the emitter find statement lines by
    # parsing the text again; both ways must name the same user lines
    first = documented.__code__.co_firstlineno
    expected = {"y = x * 2.0": first + 3, "v1 = y > 1.0": first + 4,
                "y_3 = y + 1.0": first + 5, "y_3 = y - 1.0": first + 7,
                "return y_3": first + 8}
    assert _annotated(str(wengert.lower(documented))) == expected
    fn = wengert.lower(documented)
    assert _annotated(str(fn.with_body(fn.body, doc=None))) == expected

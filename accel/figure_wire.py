"""A matplotlib Figure as plain data, and a Figure rebuilt from it on the other side.

In the two-process grader a learner's function that returns a Figure cannot hand the grader
the object itself (nothing but plain data crosses, :mod:`accel.wire`). The learner's side
describes it instead (:func:`describe`): for each Axes, its scales, labels, the vertices of
its lines (with whether each has a line style and a marker), the offsets of its scatter
collections, its texts and its legend's texts; which is all the course's figure checks read
(:mod:`accel.grading.roofline`). The grader rebuilds a real Figure from that description
(:func:`rebuild`) with a fixed set of calls, every field checked, so the checks run unchanged.
A description is what the learner's side reports: it can earn a figure check's points without a
real plot, and nothing else.
"""
from __future__ import annotations

import warnings

import numpy as np

MAX_AXES, MAX_ARTISTS, MAX_TEXT = 16, 1000, 1000
SCALES = ("linear", "log", "symlog", "logit")


def is_figure(value) -> bool:
    import sys
    figure = sys.modules.get("matplotlib.figure")
    return figure is not None and isinstance(value, figure.Figure)


def describe(fig) -> dict:
    """What the figure checks read of ``fig``, as plain data (learner side)."""
    from .grading.roofline import _has_linestyle, _has_marker
    axes = []
    for ax in fig.axes[:MAX_AXES]:
        lines = [{"x": np.asarray(line.get_xdata(), dtype=float).ravel(),
                  "y": np.asarray(line.get_ydata(), dtype=float).ravel(),
                  "line": bool(_has_linestyle(line)), "marker": bool(_has_marker(line))}
                 for line in ax.get_lines()[:MAX_ARTISTS]]
        offsets = [np.asarray(c.get_offsets(), dtype=float) for c in ax.collections[:MAX_ARTISTS]]
        offsets = [o for o in offsets if o.ndim == 2 and o.shape[1] == 2]
        legend = ax.get_legend()
        axes.append({"xscale": ax.get_xscale(), "yscale": ax.get_yscale(), "xlabel": ax.get_xlabel(),
                     "ylabel": ax.get_ylabel(), "title": ax.get_title(), "lines": lines, "offsets": offsets,
                     "texts": [t.get_text() for t in ax.texts[:MAX_ARTISTS]],
                     "legend": None if legend is None else [t.get_text() for t in legend.get_texts()[:MAX_ARTISTS]]})
    return {"axes": axes}


def rebuild(description):
    """A matplotlib Figure drawn from a :func:`describe` dict (grader side); ValueError for a
    description that is not one."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    def text(value) -> str:
        if type(value) is not str:
            raise ValueError("a figure description with a text that is not a string")
        return value[:MAX_TEXT]

    def array(value, columns=None) -> np.ndarray:
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf":
            raise ValueError("a figure description with coordinates that are not numbers")
        value = value.astype(float)
        return value.reshape(-1, columns) if columns else value.ravel()

    axes = description.get("axes") if isinstance(description, dict) else None
    if not isinstance(axes, list) or len(axes) > MAX_AXES or not all(isinstance(a, dict) for a in axes):
        raise ValueError("not a figure description")
    fig = Figure()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # log scales over non-positive data, say
        for i, spec in enumerate(axes):
            ax = fig.add_subplot(len(axes), 1, i + 1)
            for line in list(spec.get("lines") or [])[:MAX_ARTISTS]:
                x, y = array(line.get("x")), array(line.get("y"))
                if x.size != y.size:
                    raise ValueError("a figure description with a line whose x and y differ in length")
                ax.plot(x, y, linestyle="-" if line.get("line") is True else "None",
                        marker="o" if line.get("marker") is True else "None")
            for offsets in list(spec.get("offsets") or [])[:MAX_ARTISTS]:
                points = array(offsets, 2)
                ax.scatter(points[:, 0], points[:, 1])
            for value in list(spec.get("texts") or [])[:MAX_ARTISTS]:
                ax.text(0.5, 0.5, text(value), transform=ax.transAxes)
            if spec.get("legend") is not None:
                labels = [text(v) for v in list(spec["legend"])[:MAX_ARTISTS]]
                ax.legend([Line2D([], []) for _ in labels], labels)
            for axis in ("x", "y"):
                scale = spec.get(f"{axis}scale")
                getattr(ax, f"set_{axis}scale")(scale if scale in SCALES else "linear")
                getattr(ax, f"set_{axis}label")(text(spec.get(f"{axis}label", "")))
            ax.set_title(text(spec.get("title", "")))
    return fig

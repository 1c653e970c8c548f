"""Outputs from the learner's side, reduced to types that cannot run script in a browser.

Everything a learner's kernel prints or displays ends up in the autograded notebook, in
formgrader (opened by the instructor, logged in to Jupyter) and in the feedback HTML. An object
whose ``_repr_html_`` returns ``<script>`` would run there, with the instructor's session. So the
trusted side keeps only (:func:`safe_outputs`, called on every sandbox result):

* ``stream``: stdout or stderr, as text;
* ``error``: ``ename``, ``evalue`` and the ``traceback`` lines, as text (nbgrader scores on them);
* ``execute_result`` / ``display_data`` with ``text/plain``, ``image/png`` (decoded and checked to
  be a PNG, then encoded again: no stray characters can leave the ``<img>`` attribute), and
  ``text/html`` after the nh3 sanitiser (no script, no event handlers, no ``javascript:`` links,
  no iframes, no styles);
* nothing else: JavaScript, SVG (which can carry script), Markdown and LaTeX (which can carry raw
  HTML), widgets and unknown types are dropped, and a note in ``text/plain`` says what was.

Rendering is sanitised as well (nbgrader_config.py: ``HTMLExporter.sanitize_html`` and
:func:`markdown_to_safe_html` for Markdown cells, which hold the learner's written answers).
"""
from __future__ import annotations

import base64
import binascii

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEPT_TYPES = ("text/plain", "image/png", "text/html")


def safe_html(html: str) -> str:
    """``html`` through nh3 (Ammonia) with its default allow-list: text formatting, tables,
    links with safe schemes; no script, style, iframe, form, event handler or ``javascript:``."""
    import nh3
    return nh3.clean(html)


def markdown_to_safe_html(source: str) -> str:
    """A Markdown cell as HTML with the raw HTML it may hold sanitised (a Jinja filter for
    nbconvert's HTMLExporter: formgrader's template renders Markdown cells without
    ``sanitize_html``)."""
    from nbconvert.filters import markdown2html
    return safe_html(markdown2html(source))


def _text(value) -> str | None:
    """A notebook text field (a string or a list of strings) as one string; None if not text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def _png(value) -> str | None:
    """``value`` (base64) as a normalised base64 PNG, or None when it is not one."""
    text = _text(value)
    if text is None:
        return None
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if not (raw.startswith(PNG_SIGNATURE) and raw[12:16] == b"IHDR"):
        return None
    return base64.b64encode(raw).decode("ascii")


def _safe_data(data) -> tuple[dict, list[str]]:
    """(the kept MIME bundle, the types dropped)."""
    if not isinstance(data, dict):
        return {}, ["a bundle that is not a mapping"]
    kept, dropped = {}, []
    for mime, value in data.items():
        if mime == "text/plain":
            got = _text(value)
        elif mime == "image/png":
            got = _png(value)
        elif mime == "text/html":
            got = _text(value)
            got = safe_html(got) if got is not None else None
        else:
            got = None
        if got is None:
            dropped.append(str(mime)[:80])
        else:
            kept[mime] = got
    return kept, dropped


def safe_output(output) -> dict | None:
    """One output reduced to safe types; None when nothing of it can be kept."""
    if not isinstance(output, dict):
        return None
    kind = output.get("output_type")
    if kind == "stream":
        text = _text(output.get("text"))
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return None if text is None else {"output_type": "stream", "name": name, "text": text}
    if kind == "error":
        traceback = output.get("traceback")
        lines = [t for t in traceback if isinstance(t, str)] if isinstance(traceback, list) else []
        return {"output_type": "error", "ename": str(output.get("ename", ""))[:1000],
                "evalue": str(output.get("evalue", "")), "traceback": lines}
    if kind in ("execute_result", "display_data"):
        data, dropped = _safe_data(output.get("data"))
        if dropped:
            note = f"[grader: output of type {', '.join(dropped)} not kept: only text, PNG and sanitised HTML are]"
            data["text/plain"] = f"{data['text/plain']}\n{note}" if "text/plain" in data else note
        safe = {"output_type": kind, "data": data, "metadata": {}}
        if kind == "execute_result":
            count = output.get("execution_count")
            safe["execution_count"] = count if type(count) is int and count > 0 else None
        return safe
    return None


def safe_outputs(outputs) -> list[dict]:
    """Every output of one cell reduced to safe types (:func:`safe_output`); those that
    cannot be kept at all are left out."""
    if not isinstance(outputs, list):
        return []
    return [safe for safe in map(safe_output, outputs) if safe is not None]

"""Outputs from the learner's side cannot carry script to the instructor's browser (issue 15.4):
the sanitiser on hostile inputs, and the renderers (formgrader's and feedback's HTMLExporter)
configured to sanitise too."""
from __future__ import annotations

import base64
import json
import os
import struct
import zlib

import nbformat
import pytest

from accel_instructor.outputs import markdown_to_safe_html, safe_output, safe_outputs
from accel_instructor.sandbox import outputs_from_result

SCRIPTS = ("<script", "onerror", "onload", "onclick", "javascript:", "<iframe", "<svg", "<style", "<object",
           "<embed", "<form", "srcdoc")


def _png_bytes() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
            + chunk(b"IEND", b""))


PNG = base64.b64encode(_png_bytes()).decode()

HOSTILE_HTML = [
    "<script>fetch('/api/contents').then(r => r.text()).then(t => alert(t))</script>",
    "<img src=x onerror=\"alert(1)\">",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<iframe src=\"/tree\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<style>body { background: url(javascript:alert(1)) }</style>",
    "<object data=\"data:text/html,<script>alert(1)</script>\"></object>",
    "<form action=\"/logout\"><input type=submit></form>",
    "<div onclick=\"alert(1)\">x</div>",
    "<scr<script>ipt>alert(1)</script>",
    "<body onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]


def _display(data, kind="display_data"):
    out = {"output_type": kind, "data": data, "metadata": {}}
    if kind == "execute_result":
        out["execution_count"] = 1
    return out


@pytest.mark.parametrize("html", HOSTILE_HTML)
def test_hostile_html_loses_its_script_and_keeps_its_text(html):
    safe = safe_output(_display({"text/html": html, "text/plain": "<obj>"}))
    kept = safe["data"]["text/html"].lower()
    assert not any(marker in kept for marker in SCRIPTS), kept
    assert safe["data"]["text/plain"] == "<obj>"


def test_harmless_html_survives():
    table = "<table><tr><th>n</th><td><b>42</b></td></tr></table>"
    kept = safe_output(_display({"text/html": table}))["data"]["text/html"]
    assert "<b>42</b>" in kept and "<th>n</th>" in kept


@pytest.mark.parametrize("mime, value", [
    ("application/javascript", "alert(1)"),
    ("text/javascript", "alert(1)"),
    ("image/svg+xml", "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
    ("text/markdown", "<script>alert(1)</script>"),
    ("text/latex", "\\href{javascript:alert(1)}{x}"),
    ("application/vnd.jupyter.widget-view+json", {"model_id": "x", "version_major": 2}),
    ("application/vnd.plotly.v1+json", {"data": []}),
    ("text/html+x", "<script>alert(1)</script>"),
])
def test_other_types_are_dropped_and_named(mime, value):
    for kind in ("display_data", "execute_result"):
        safe = safe_output(_display({mime: value, "text/plain": "fallback"}, kind))
        assert list(safe["data"]) == ["text/plain"], safe
        assert safe["data"]["text/plain"].startswith("fallback\n[grader: output of type")
        assert mime[:40] in safe["data"]["text/plain"]
        assert nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[safe])])) is None


def test_a_png_is_kept_only_when_it_is_one():
    assert safe_output(_display({"image/png": PNG}))["data"]["image/png"] == PNG
    wrapped = "\n".join(PNG[i:i + 20] for i in range(0, len(PNG), 20))  # line-wrapped base64 is fine
    assert safe_output(_display({"image/png": wrapped}))["data"]["image/png"] == PNG
    for fake in ('"><script>alert(1)</script>', PNG + '"onerror="alert(1)',
                 base64.b64encode(b"<svg onload=alert(1)>").decode(),
                 base64.b64encode(b"GIF89a" + bytes(20)).decode(), 42, ["not", 1]):
        safe = safe_output(_display({"image/png": fake}))
        assert "image/png" not in safe["data"] and "image/png" in safe["data"]["text/plain"], fake


def test_text_streams_and_errors_stay_text():
    stream = {"output_type": "stream", "name": "stdout", "text": ["<script>", "alert(1)</script>"]}
    assert safe_output(stream) == {"output_type": "stream", "name": "stdout", "text": "<script>alert(1)</script>"}
    assert safe_output(dict(stream, name="/dev/tty"))["name"] == "stdout"
    error = {"output_type": "error", "ename": "AssertionError", "evalue": "<b>no</b>",
             "traceback": ["line 1", {"html": "<script>"}, "line 2"], "extra": "<script>"}
    assert safe_output(error) == {"output_type": "error", "ename": "AssertionError", "evalue": "<b>no</b>",
                                  "traceback": ["line 1", "line 2"]}


def test_unknown_and_malformed_outputs_are_dropped():
    assert safe_outputs([{"output_type": "update_display_data", "data": {}}, "x", None,
                         {"output_type": "stream", "text": 5}]) == []
    assert safe_outputs("not a list") == []
    assert safe_output(_display("<script>"))["data"]["text/plain"].startswith("[grader:")
    safe = safe_output(dict(_display({"text/plain": "x"}, "execute_result"), execution_count="1",
                            metadata={"text/html": {"isolated": False}}))
    assert safe["execution_count"] is None and safe["metadata"] == {}


def test_the_sandbox_result_is_reduced_before_it_is_used():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    outputs = [_display({"text/html": "<script>alert(1)</script><p>ok</p>",
                         "application/javascript": "alert(2)", "text/plain": "obj"}, "execute_result")]
    raw = json.dumps({"status": "ok", "cells": [{"id": nb.cells[0].id, "execution_count": 1,
                                                 "outputs": outputs}]}).encode()
    cells, status = outputs_from_result(raw, nb)
    assert status == "ok"
    data = cells[0]["outputs"][0]["data"]
    assert data["text/html"] == "<p>ok</p>" and "application/javascript" not in data


def test_markdown_answers_render_without_script():
    html = markdown_to_safe_html("My **answer**: <img src=x onerror=alert(1)> <script>alert(2)</script>\n\n"
                                 "$a < b$ and `x<y`")
    assert "<strong>answer</strong>" in html and not any(m in html.lower() for m in SCRIPTS), html


def _course_config():
    """The course's nbgrader_config.py, as nbgrader loads it (not while replaying sandbox results)."""
    from traitlets.config import Config

    from conftest import ROOT
    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(ROOT / "nbgrader_config.py")}
    with pytest.MonkeyPatch.context() as env:
        env.delenv("ACCEL_SANDBOX_RESULTS", raising=False)
        exec(compile((ROOT / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec"), namespace)
    return config


@pytest.mark.parametrize("template", ["formgrade", "feedback", "classic", "lab"])
def test_formgrader_and_feedback_render_sanitised(template):
    """The course's nbgrader_config.py makes nbconvert's HTMLExporter (formgrader's, feedback's)
    sanitise HTML outputs and Markdown cells (a learner's written answers), even in a notebook
    that never went through the sandbox's reduction; harmless HTML still renders as HTML."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    config = _course_config()
    config.HTMLExporter.template_name = template
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]  # as nbgrader sets them
    config.HTMLExporter.extra_template_paths = [os.path.join(os.path.dirname(handlers.__file__), "static",
                                                             "node_modules", "bootstrap", "dist", "css")]
    answer = {"nbgrader": {"solution": True, "grade": True, "grade_id": "r", "points": 1, "schema_version": 3,
                           "score": 0, "comment": ""}}
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## My answer\n\nIt is <img src=x onerror=alert(1)> fast", metadata=answer),
        nbformat.v4.new_code_cell("x", outputs=[
            nbformat.v4.new_output("display_data", data={"text/html": "<script>alert(3)</script><p><i>kept</i></p>"}),
            nbformat.v4.new_output("display_data", data={"application/javascript": "alert(4)"})])])
    resources = {"base_url": "", "notebook_id": "n", "assignment_id": "a", "submission_id": "s", "index": 0,
                 "total": 1, "student": "x", "last_name": "", "first_name": "", "notebook_path": "n.ipynb",
                 "nbgrader": {"notebook": "n", "score": 0, "max_score": 1, "late_penalty": 0}}  # what formgrader / GetGrades give
    html, _ = HTMLExporter(config=config).from_notebook_node(nb, resources=resources)
    for bad in ("<script>alert", "alert(3)", "alert(4)", "onerror"):
        assert bad not in html, (template, bad)
    assert "<p><i>kept</i></p>" in html and "<h2>My answer" in html and "It is <img" in html, template


def test_unsandboxed_autograde_reduces_outputs_too():
    """--no-sandbox: nbgrader's Execute gathers the outputs, and SafeOutputs, right after it in
    nbgrader_config.py's autograde list, reduces them before anything stores them."""
    from accel_instructor.nbgrader_ext import SafeOutputs
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": "<script>alert(1)</script><i>ok</i>",
                                                     "application/javascript": "alert(2)"}),
        nbformat.v4.new_output("stream", name="stdout", text="printed")])])
    nb, _ = SafeOutputs().preprocess(nb, {})
    assert nb.cells[0].outputs[0].data["text/html"] == "<i>ok</i>"
    assert "application/javascript" not in nb.cells[0].outputs[0].data
    assert nb.cells[0].outputs[1].text == "printed"
    nbformat.validate(nb)
    config = _course_config()
    steps = list(config.Autograde.autograde_preprocessors)
    assert steps[:2] == ["nbgrader.preprocessors.Execute", "accel_instructor.nbgrader_ext.SafeOutputs"], steps

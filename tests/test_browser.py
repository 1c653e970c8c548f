"""As a student would: JupyterLab in a real (headless) browser, Run All, no errors, a roofline.

Starts JupyterLab on 127.0.0.1 with a token, opens the reference-solved 01 and 04 notebooks in
Debian's Chromium through Playwright, runs every cell from the Run menu, checks that no cell
shows an error and that the figures (the roofline among them) are rendered, saves screenshots
to reports/browser/, and stops the server. Skipped, saying why, when Chromium is not installed
(.ci/run installs it).
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from accel_instructor.samples import reference_code, solution_cells
from conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium); "
                                                "the browser test needs it"),
]
SHOTS = ROOT / "reports" / "browser"
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, course):
    work = tmp_path_factory.mktemp("lab")
    for name in course.notebook_names():  # 04 loads the learner's kernels from 01-03
        nb = nbformat.read(course.release_dir / f"{name}.ipynb", 4)
        answers = {gid: reference_code(c) for gid, c in
                   solution_cells(nbformat.read(course.source_dir / f"{name}.ipynb", 4))}
        for gid, cell in solution_cells(nb):
            cell.source = answers[gid]
        nbformat.write(nb, work / f"{name}.ipynb")
    settings = work / ".settings"
    for plugin, values in {"@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
                           "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                                           "checkForUpdates": False}}.items():
        path = settings / (plugin + ".jupyterlab-settings")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {"JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTER_CONFIG_DIR": str(work / ".jupyter")}
    with _jupyter("lab", work, env) as (base, token):
        yield base, token, work


@contextlib.contextmanager
def _jupyter(app, root, extra_env):
    """``jupyter <app>`` serving ``root`` on 127.0.0.1 with a token: (base URL, token), stopped after."""
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"], **extra_env}
    env.pop("NBGRADER_EXECUTION", None)  # full sizes, as a student runs it
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), app, "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"jupyter {app} did not start within 60 s")
        yield base, token
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)


def _wait_for_idle_kernel(base, token, name, timeout_s=90):
    """The status bar says "idle" before any kernel exists; ask the server instead."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5) as response:
            sessions = json.load(response)
        if any(s["path"].endswith(f"{name}.ipynb") and s["kernel"]["execution_state"] == "idle"
               for s in sessions):
            return
        time.sleep(0.5)
    pytest.fail(f"{name}: no idle kernel after {timeout_s} s")


def _run_all_and_check(page, base, token, name, timeout_s=300):
    # a workspace of its own, reset: no tab restored from an earlier page takes the focus
    page.goto(f"{base}/lab/workspaces/{name}/tree/{name}.ipynb?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    _wait_for_idle_kernel(base, token, name)
    time.sleep(1)
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
    deadline = time.time() + timeout_s
    time.sleep(2)
    pending = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                       .filter(p => !/\\[\\d+\\]/.test(p.textContent)).length"""
    find_errors = """() => [...document.querySelectorAll(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
            .map(e => e.textContent).filter(t => /Traceback|Error/.test(t))"""
    while time.time() < deadline:  # done when every code cell shows [n] and the kernel is idle
        idle = page.query_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        if idle and (page.evaluate(pending) == 0 or page.evaluate(find_errors)):
            break  # Run All stops at the first error: nothing more will run
        time.sleep(1)
    else:
        pytest.fail(f"{name}: {page.evaluate(pending)} cells not finished after {timeout_s} s")
    errors = page.evaluate(find_errors)
    unexecuted = page.evaluate("""() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                                        .filter(p => p.textContent.trim() === '[ ]:').length""")
    images = page.locator(".jp-RenderedImage img")
    SHOTS.mkdir(parents=True, exist_ok=True)
    if images.count():
        images.last.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    return errors, unexecuted, images.count()


@pytest.mark.parametrize("name, min_images", [("01_vectorization", 1), ("04_roofline", 1)])
def test_reference_notebook_runs_in_a_real_browser(lab, name, min_images):
    from playwright.sync_api import sync_playwright
    base, token, work = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors, unexecuted, images = _run_all_and_check(page, base, token, name)
        finally:
            browser.close()
    assert errors == [], f"{name} shows errors in the browser: {[e[:300] for e in errors]}"
    assert unexecuted == 0, f"{name}: {unexecuted} code cells never ran"
    assert images >= min_images, f"{name}: expected a rendered figure, found {images}"
    assert (SHOTS / f"{name}.png").stat().st_size > 10_000
    if name == "04_roofline":
        assert (work / "roofline.png").stat().st_size > 10_000, "the notebook should save roofline.png"


# ------------------------------------------------------------------------------------------------
# formgrader: a learner's output that is a <script> does not run in the instructor's browser
# ------------------------------------------------------------------------------------------------

ATTACK = ROOT / "tests" / "tampering" / "t23_script_output.py"


@pytest.fixture(scope="module")
def graded_script_attack(tmp_path_factory):
    """A course (notebook 01 only) in which one student handed in tests/tampering/t23, graded
    in the sandbox as `grade` does."""
    from accel_instructor.build import release
    from accel_instructor.grade import grade_class
    from accel_instructor.samples import load_spec, write_submission
    from conftest import copy_course
    course = copy_course(tmp_path_factory.mktemp("formgrader") / "course", notebooks=["01_vectorization"])
    release(course)
    spec = load_spec(ATTACK)
    spec.student = "mallory"
    write_submission(course, spec)
    grade_class(course, ["mallory"], cap_seconds=240, log=lambda *_: None)
    return course


def test_a_script_output_does_not_run_in_formgrader(graded_script_attack):
    """The instructor opens the attacker's graded notebook in formgrader (headless Chromium): the
    output is shown as sanitised HTML, and neither its <script>, its onerror handler nor its
    JavaScript representation ran. The same payload, put in a page as it is, does run in this
    browser (the control: the check can see a script that runs)."""
    from nbgrader.api import Gradebook
    from playwright.sync_api import sync_playwright

    from accel_instructor.course import ASSIGNMENT
    from accel_instructor.samples import load_spec
    course = graded_script_attack
    graded = course.autograded_dir / "mallory" / ASSIGNMENT / "01_vectorization.ipynb"
    bundles = [o.get("data", {}) for c in nbformat.read(graded, 4).cells for o in c.get("outputs", [])]
    html = [b["text/html"] for b in bundles if "text/html" in b]
    assert {mime for b in bundles for mime in b} <= {"text/plain", "image/png", "text/html"}, bundles
    assert any("shown" in h for h in html), "the attack's output should be kept, sanitised"
    assert not any("<script" in h or "onerror" in h for h in html), html
    with Gradebook(course.db_url) as gradebook:
        submission = gradebook.find_submission_notebook("01_vectorization", ASSIGNMENT, "mallory").id
    attack = {}
    exec(load_spec(ATTACK).answers["01_vectorization"]["vectorized_matmul"], attack)  # our own test file
    shown_html = attack["Shown"]()._repr_html_()
    with _jupyter("server", course.root, {"JUPYTER_CONFIG_DIR": str(course.root / ".jupyter")}) as (base, token):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                dialogs = []
                page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
                page.goto(f"{base}/formgrader/submissions/{submission}/?token={token}")
                page.wait_for_selector(".output_html", timeout=60_000)
                shown = page.locator(".output_html").filter(has_text="shown")
                assert shown.count() == 1, page.content()[:2000]
                time.sleep(1)  # anything scheduled would have run by now
                pwned, title = page.evaluate("window.accelPwned"), page.title()
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / "formgrader_script_attack.png"))
                control = browser.new_page()
                control.set_content(f"<html><body>{shown_html}</body></html>")
                time.sleep(1)
                control_pwned = control.evaluate("window.accelPwned")
            finally:
                browser.close()
    assert control_pwned in ("html", "img"), f"the payload did not run even unsanitised: {shown_html!r}"
    assert pwned is None and title != "PWNED" and dialogs == [], (pwned, title, dialogs)

"""Where things are in a course folder, and how nbgrader is called from it."""
from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import settings

SETTINGS = settings.load()
ASSIGNMENT = SETTINGS.assignment


class CourseError(RuntimeError):
    """A problem the instructor can fix; the message says how."""


class NbgraderTimeout(CourseError):
    def __init__(self, args, timeout, output):
        super().__init__(f"`nbgrader {' '.join(args)}` was stopped after {timeout:.0f} s")
        self.output = output


@dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def find(cls, start: Path | str | None = None) -> "Course":
        here = Path(start or os.getcwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "nbgrader_config.py").is_file() and (folder / "notebooks").is_dir():
                return cls(folder)
        raise CourseError(
            f"no course found at or above {here}: expected a folder with nbgrader_config.py and "
            f"notebooks/. Run the command from the course checkout (or pass --root)."
        )

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def source_dir(self) -> Path:
        return self.root / "source" / ASSIGNMENT

    @property
    def release_dir(self) -> Path:
        return self.root / "release" / ASSIGNMENT

    @property
    def submitted_dir(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded_dir(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback_dir(self) -> Path:
        return self.root / "feedback"

    @property
    def db_url(self) -> str:
        return settings.load().db_url(self.root)

    def copy_to(self, dest: Path, notebooks: list[str] | None = None) -> "Course":
        """A copy of the course's inputs (no gradebook, no submissions) to grade in elsewhere.

        ``notebooks`` keeps only those notebooks (tests and benchmarks that need fewer).
        """
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        for name in SETTINGS.course_inputs:
            src = self.root / name
            if src.is_dir():
                shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
            elif src.exists():
                shutil.copy2(src, dest / name)
        copy = Course(dest)
        if notebooks is not None:
            for folder, pattern in ((copy.notebooks_dir, "*.py"), (copy.source_dir, "*.ipynb"),
                                    (copy.release_dir, "*.ipynb")):
                for path in folder.glob(pattern):
                    if path.stem not in notebooks:
                        path.unlink()
        return copy

    def notebook_sources(self) -> list[Path]:
        """The sources of the settings' notebooks that this folder holds, in course order."""
        paths = (self.notebooks_dir / f"{name}.py" for name in SETTINGS.notebook_names)
        return [p for p in paths if p.is_file()]

    def notebook_names(self) -> list[str]:
        return [p.stem for p in self.notebook_sources()]

    def unlisted_sources(self) -> list[Path]:
        """Notebook sources in notebooks/ that the settings do not list (they would be skipped)."""
        return sorted(p for p in self.notebooks_dir.glob("[0-9][0-9]_*.py")
                      if p.stem not in SETTINGS.notebook_names)

    def nbgrader(self, *args: str, timeout: float | None = None, check: bool = True,
                 memory_bytes: int | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run an nbgrader command in the course root, with this Python's bin/ on PATH.

        nbgrader shells out to ``alembic`` found on PATH; without the venv's bin/ the first
        generate_assignment fails and leaves a half-made gradebook.db behind.
        """
        env = {**os.environ, **(env or {})}
        bin_dir = str(Path(sys.executable).parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        cmd = [str(Path(bin_dir) / "nbgrader"), *args]
        # A session of its own, so a time-out can stop nbgrader *and* the kernel it started.
        limit = None
        if memory_bytes:  # inherited by the kernel nbgrader starts: a runaway allocation fails there
            def limit():
                resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        with subprocess.Popen(cmd, cwd=self.root, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True,
                              preexec_fn=limit) as child:
            try:
                output, _ = child.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                output, _ = child.communicate()
                raise NbgraderTimeout(args, timeout, output) from None
        proc = subprocess.CompletedProcess(cmd, child.returncode, output, "")
        if check and proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise CourseError(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode}):\n{tail}")
        return proc

"""The course's settings, in one place: read by the CLI, ``nbgrader_config.py``, grading and tests.

Adding a notebook means writing ``notebooks/NN_name.py`` and adding one :class:`Notebook` entry
to ``NOTEBOOKS`` below (``tests/test_settings.py`` checks that the two agree).

Environment variables override what an instructor may want to change per machine or per run:
``ACCEL_DB_URL`` (the gradebook; PostgreSQL for several graders), ``ACCEL_CELL_TIMEOUT``
(seconds per cell), ``ACCEL_CAP_SECONDS`` (seconds per submission), ``ACCEL_MEMORY_BYTES``
(address space of a grading kernel).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Notebook:
    """One notebook of the assignment; ``siblings`` are the notebooks whose answers it loads."""

    name: str
    siblings: tuple[str, ...] = ()


NOTEBOOKS = (
    Notebook("01_vectorization"),
    Notebook("02_kernel_fusion"),
    Notebook("03_cache_tiling"),
    # 04 puts the learner's own kernels from 01-03 on their roofline (accel.siblings).
    Notebook("04_roofline", siblings=("01_vectorization", "02_kernel_fusion", "03_cache_tiling")),
    Notebook("05_microkernels"),
)


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number; set it to a number "
                         f"(default {default:g}) or unset it") from None


@dataclass(frozen=True)
class Settings:
    """Everything about the course that is not a notebook's content."""

    course_id: str = "acceleration"
    assignment: str = "acceleration"
    notebooks: tuple[Notebook, ...] = NOTEBOOKS
    # Limits of one grading run.
    cell_timeout_seconds: int = field(default_factory=lambda: int(_env_number("ACCEL_CELL_TIMEOUT", 120)))
    cap_seconds: float = field(default_factory=lambda: _env_number("ACCEL_CAP_SECONDS", 600))
    memory_bytes: int = field(default_factory=lambda: int(_env_number("ACCEL_MEMORY_BYTES", 8 << 30)))
    # What a working copy of the course needs (Course.copy_to).
    course_inputs: tuple[str, ...] = ("notebooks", "source", "release", "samples",
                                      "nbgrader_config.py", "tests/known_wrong",
                                      "requirements.lock")

    @property
    def notebook_names(self) -> tuple[str, ...]:
        return tuple(nb.name for nb in self.notebooks)

    def notebook(self, name: str) -> Notebook:
        for nb in self.notebooks:
            if nb.name == name:
                return nb
        raise KeyError(f"no notebook {name!r} in the course settings; known: "
                       f"{', '.join(self.notebook_names)}")

    def db_url(self, root: Path | str) -> str:
        """The gradebook: ``ACCEL_DB_URL`` if set, else ``gradebook.db`` (SQLite) in ``root``."""
        return os.environ.get("ACCEL_DB_URL", f"sqlite:///{Path(root) / 'gradebook.db'}")


def load() -> Settings:
    """The settings as the environment sets them now (read again on every call)."""
    return Settings()

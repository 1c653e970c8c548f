"""Shared fixtures: the checked-out course, and a disposable copy of it for grading runs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from accel_instructor.course import Course

ROOT = Path(__file__).resolve().parents[1]
# Every test grades in a disposable copy of the course with a gradebook of its own: an instructor's
# ACCEL_DB_URL (their real PostgreSQL gradebook, say, when `check` runs the suite) must not be
# written to. Tests that want a server database set it themselves (tests/test_postgres.py).
os.environ.pop("ACCEL_DB_URL", None)


@pytest.fixture(scope="session")
def course() -> Course:
    return Course(ROOT)


def copy_course(dest: Path, notebooks: list[str] | None = None) -> Course:
    """A copy of the course's inputs (no gradebook, no submissions) that tests may grade in."""
    return Course(ROOT).copy_to(dest, notebooks)


@pytest.fixture
def scratch_course(tmp_path) -> Course:
    return copy_course(tmp_path / "course")


def _postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL server binaries (``/usr/lib/postgresql/<major>/bin``)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server for the session, on 127.0.0.1 and a free port, with an empty
    database ``acceleration``; its SQLAlchemy URL (password included). Stopped and deleted at the
    end. Skips, saying why, where it cannot start (no Debian ``postgresql``, no driver, root
    without a ``postgres`` user to run it as, or the server refusing to start)."""
    import pwd
    import secrets
    import shutil
    import socket
    import subprocess
    import tempfile

    try:
        import psycopg
    except ImportError as err:
        pytest.skip(f"no PostgreSQL driver ({err}): psycopg is in the instructor extra; run `make venv`")
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server: /usr/lib/postgresql/*/bin/initdb not found; on Debian or "
                    "Ubuntu `apt-get install postgresql` (.ci/run does when it runs as root)")
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run the server as "
                        "(Debian's postgresql package creates it): apt-get install postgresql")
        as_user = ["setpriv", f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}", "--init-groups", "--"]
    # Under /tmp itself, not pytest's tmp_path: that sits in root's 0700 folder the server cannot enter.
    folder = Path(tempfile.mkdtemp(prefix="accel-postgres-"))
    data, log = folder / "data", folder / "server.log"
    password = secrets.token_hex(16)
    (folder / "pw").write_text(password + "\n")
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        os.chown(folder / "pw", owner.pw_uid, owner.pw_gid)

    def run(*argv, timeout=120):
        return subprocess.run([*as_user, *argv], cwd=folder, capture_output=True, text=True, timeout=timeout)

    try:
        init = run(str(bin_dir / "initdb"), "-D", str(data), "-U", "grader", f"--pwfile={folder / 'pw'}",
                   "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync")
        if init.returncode != 0:
            pytest.skip(f"PostgreSQL's initdb failed (exit {init.returncode}): "
                        f"{(init.stderr or init.stdout).strip()[-400:]}")
        with socket.socket() as probe:  # a free port now; the server takes it a moment later
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={folder} -c fsync=off"
        start = run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        if start.returncode != 0:
            tail = log.read_text()[-600:] if log.exists() else ""
            pytest.skip(f"PostgreSQL would not start (pg_ctl exit {start.returncode}): "
                        f"{(start.stderr or start.stdout).strip()[-300:]} {tail}")
        try:
            with psycopg.connect(host="127.0.0.1", port=port, user="grader", password=password,
                                 dbname="postgres", autocommit=True, connect_timeout=30) as admin:
                admin.execute("CREATE DATABASE acceleration")
        except psycopg.Error as err:
            pytest.skip(f"PostgreSQL started on 127.0.0.1:{port} but would not create the test "
                        f"database ({type(err).__name__}: {str(err).strip()[:300]})")
        # The plain scheme: SQLAlchemy 2.1 takes psycopg (3) for it, as an instructor's URL would.
        yield f"postgresql://grader:{password}@127.0.0.1:{port}/acceleration"
    finally:
        if (data / "postmaster.pid").exists():  # also after a start that timed out half-way
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)

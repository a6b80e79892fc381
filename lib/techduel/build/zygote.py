"""Kernels forked from a process that has already imported the notebooks' libraries.

Starting a kernel costs a Python start, ipykernel's and IPython's imports, then the notebook's own imports
(pandas, matplotlib, techduel): one and a half to two seconds of CPU, paid again by every run, while a
robustness pass runs each notebook tens of times. The *zygote* pays them once. It is started like a kernel
(the kernel's interpreter, the runner's environment, the notebooks' folder), imports what the notebooks
import, and then forks one child per kernel asked for; the child turns into an ordinary ipykernel on the
connection file it was given, in the environment and folder the kernel manager asked for.

Every run still gets a fresh process: nothing a notebook does can reach the next run, and the only state the
children share is that of modules freshly imported and not yet used, and the tables of data/ checked once
(``techduel.data`` serves them by content, so an edited table is read again). What a fresh interpreter would draw
anew is drawn anew (the ``random`` and NumPy seeds); ``tests/test_zygote.py`` runs notebooks both ways and
compares the executed copies byte for byte.

The zygote serves requests on a Unix socket in a private folder, one connection per kernel: ``spawn`` (answer:
the child's pid), then ``poll`` (its exit status, or None). When a connection closes, say because the worker
holding it was killed, the zygote kills that kernel. The zygote dies with the process that started it, and
its children die with it.
"""

from __future__ import annotations

import ast
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# A kernel's own imports; the notebooks' imports are added to them (see preloads).
KERNEL_IMPORTS = ["ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "IPython.display"]
# Never preloaded: importing them outside a running kernel would skip the set-up they do when the kernel
# imports them (the inline backend registers itself with the live shell).
NEVER = ("matplotlib.pyplot", "matplotlib_inline", "pylab")
# Variables that differ between runs: they reach each child with its request, so they do not make a new
# zygote necessary.
PER_RUN = ("TECHDUEL_TRACE", "TECHDUEL_MODE", "TECHDUEL_ROBUSTNESS", "JPY_PARENT_PID", "JPY_SESSION_NAME")
START_TIMEOUT = 60.0
CRASH = ".crash"  # beside a run's copy: the traceback of a run's child that broke outside the notebook's cells


class Unavailable(RuntimeError):
    """The zygote cannot serve (it did not start, or died): the caller starts an ordinary kernel."""


# ------------------------------------------------------------------------------------------ the runner's side


def preloads(notebooks: list[Path]) -> list[str]:
    """The modules the notebooks import at top level of a code cell, plus a kernel's own: what the zygote
    imports once for all its children."""
    found: dict[str, None] = dict.fromkeys(KERNEL_IMPORTS)
    for path in notebooks:
        for cell in _code_cells(path):
            try:
                tree = ast.parse(cell)
            except SyntaxError:  # IPython magics and the like: those imports stay the kernel's to do
                continue
            for node in tree.body:
                if isinstance(node, ast.Import):
                    found.update(dict.fromkeys(a.name for a in node.names))
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found[node.module] = None
                    found.update(dict.fromkeys(f"{node.module}.{a.name}" for a in node.names))
    return [m for m in found if not m.startswith(NEVER)]


def _code_cells(path: Path) -> list[str]:
    """The sources of a notebook's code cells, read as plain JSON: nbformat's schema check of every output
    (megabytes of them) made this the longest step before the first kernel could start. A notebook that is
    not JSON yields nothing here; the runner reports it by name."""
    from . import nbjson

    try:
        cells = nbjson.lean(path).get("cells", [])
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return []
    return ["".join(c["source"]) if isinstance(c.get("source"), list) else str(c.get("source", ""))
            for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]


class Zygote:
    """A running zygote (started by :func:`start`); ``address`` is what a kernel manager needs."""

    def __init__(self, proc: subprocess.Popen, folder: Path, key: str):
        self.proc, self.folder, self.key = proc, folder, key
        self.address = str(folder / "zygote.sock")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # it kills its children, then exits
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def start(modules: list[str], cwd: Path, key: str = "", options: list[str] | None = None) -> Zygote:
    """Start a zygote importing ``modules``, with the interpreter ``options`` of the kernels it will fork
    (it is ready once its socket exists; :func:`connect` waits)."""
    folder = Path(tempfile.mkdtemp(prefix=f"techduel-{os.getpid()}-z"))
    options = list(options or [])
    proc = subprocess.Popen([sys.executable, *options, "-m", "techduel.build.zygote", str(folder / "zygote.sock"),
                             str(os.getpid()), json.dumps(modules), json.dumps(options)],
                            cwd=str(cwd), stdin=subprocess.DEVNULL)
    return Zygote(proc, folder, key)


def environment_key(extra: str = "") -> str:
    """What a zygote's imports may depend on: the interpreter and the environment, minus per-run variables."""
    import hashlib

    env = {k: v for k, v in os.environ.items() if k not in PER_RUN}
    return hashlib.sha256(json.dumps([sys.executable, env, extra], sort_keys=True).encode()).hexdigest()


_current: Zygote | None = None


def shared(notebooks: list[Path], cwd: Path, extra: str = "", options: list[str] | None = None) -> Zygote:
    """This process's zygote for these notebooks, started when there is none or when what its imports depend
    on (interpreter, environment, the library's code via ``extra``) has changed; stopped at exit."""
    global _current
    key = environment_key(extra + json.dumps(options or []))
    if _current is not None and (_current.key != key or not _current.alive()):
        _current.stop()
        _current = None
    if _current is None:
        import atexit

        _current = start(preloads(notebooks), cwd, key, options)
        atexit.register(_current.stop)
    return _current


def connect(address: str, timeout: float = START_TIMEOUT) -> socket.socket:
    """A connection to the zygote at ``address``, waiting for it to finish its imports."""
    end = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(address)
            return sock
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            sock.close()
            if time.monotonic() > end:
                raise Unavailable(f"no zygote answered at {address} within {timeout:g} s") from exc
            time.sleep(0.02)


def _ask(sock: socket.socket, reader, request: dict) -> dict:
    sock.sendall(json.dumps(request).encode() + b"\n")
    line = reader.readline()
    if not line:
        raise Unavailable("the zygote closed the connection")
    return json.loads(line)


class Child:
    """The ``subprocess.Popen`` face of a kernel forked by the zygote, as jupyter_client's provisioner uses it
    (poll, wait, send_signal, kill, terminate, pid). The connection lives as long as the kernel."""

    stdin = stdout = stderr = None

    def __init__(self, address: str, cmd: list[str], env: dict, cwd: str):
        self._open(address, {"spawn": {"cmd": cmd, "env": env, "cwd": cwd}})

    def _open(self, address: str, request: dict) -> None:
        """Connect, ask for a child, keep its pid; the connection lives as long as the child."""
        self.sock = connect(address)
        self.reader = self.sock.makefile("rb")
        answer = _ask(self.sock, self.reader, request)
        if "error" in answer:
            self.close()
            raise Unavailable(answer["error"])
        self.pid, self.returncode = int(answer["pid"]), None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = _ask(self.sock, self.reader, {"poll": True})["returncode"]
            except (OSError, Unavailable):  # the zygote is gone, and its children with it
                self.returncode = -signal.SIGKILL
            if self.returncode is not None:
                self.close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired("kernel", timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def close(self) -> None:
        try:
            self.reader.close()
            self.sock.close()
        except OSError:
            pass


class Run(Child):
    """A verdicts-only run forked by the zygote (``techduel.build.direct``): ``poll`` and ``close`` as a kernel's;
    closing the connection ends the run."""

    def __init__(self, address: str, spec: dict):
        self._open(address, {"run": spec})


def launcher(cmd: list[str]) -> tuple[list[str], list[str]] | None:
    """A kernel command split into (interpreter options, ipykernel's arguments) when it is this interpreter
    running ipykernel (the one the zygote can stand in for), else None."""
    if not cmd or os.path.realpath(cmd[0]) != os.path.realpath(sys.executable):
        return None
    for i in range(1, len(cmd) - 1):
        if cmd[i] == "-m":
            return (cmd[1:i], cmd[i + 2:]) if cmd[i + 1] == "ipykernel_launcher" else None
    return None


def same_interpreter(cmd: list[str]) -> bool:
    return launcher(cmd) is not None


def kernel_options(name: str) -> list[str]:
    """The interpreter options of the named kernel's command (ipykernel adds ``-Xfrozen_modules=off``): the
    zygote is started with the same ones, since they cannot be changed after a process has started."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        split = launcher(KernelSpecManager().get_kernel_spec(name).argv)
    except NoSuchKernel:  # the runner's kernel check says so, and how to register it
        return []
    return split[0] if split else []


# ------------------------------------------------------------------------------------------ the zygote's side


def _serve(address: str, parent: int, modules: list[str], options: list[str]) -> None:
    _die_with(parent)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does: the starting folder is not an import path
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    # what a kernel sets before its libraries load (ipykernel's kernelapp does the same when it starts)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import builtins
    import importlib

    # Some libraries look at their surroundings when imported (pandas shows all columns in a terminal, 20 in a
    # Jupyter kernel, deciding by whether get_ipython() has a kernel): let them see the kernel they will serve.
    builtins.get_ipython = _KernelToBe  # type: ignore[attr-defined]
    try:
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError:  # a name imported from a module, not a submodule; or missing: the kernel will say
                pass
    finally:
        del builtins.get_ipython  # type: ignore[attr-defined]
    if os.environ.get("MPLBACKEND") == "module://matplotlib_inline.backend_inline":
        del os.environ["MPLBACKEND"]  # the child gets exactly the environment it is given
    # What was imported lives as long as any kernel: out of the collector's sight (Python's advice for a
    # process that forks without exec), a kernel's collections no longer walk it, nor copy its pages by
    # touching them. A full collection over it was a tenth of a second of every kernel's shutdown.
    _check_tables()
    import gc

    gc.collect()
    gc.freeze()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: dict[int, int | None] = {}  # pid -> exit status once reaped
    owner: dict[socket.socket, int] = {}  # connection -> pid of its kernel
    buffers: dict[socket.socket, bytes] = {}
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address + ".tmp")
    listener.listen(64)
    os.rename(address + ".tmp", address)  # the socket appears only once the imports are done
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    try:
        while not stopping:
            for key, _ in sel.select(timeout=1.0):
                if key.fileobj is listener:
                    conn, _ = listener.accept()
                    buffers[conn] = b""
                    sel.register(conn, selectors.EVENT_READ)
                elif key.fileobj == wake_r:
                    os.read(wake_r, 4096)
                else:
                    conn = key.fileobj
                    data = conn.recv(65536)
                    if not data:  # the kernel's manager is gone: so is the kernel
                        sel.unregister(conn)
                        conn.close()
                        pid = owner.pop(conn, None)
                        if pid is not None and children.get(pid, 0) is None:
                            _kill_group(pid)
                        buffers.pop(conn, None)
                        continue
                    buffers[conn] += data
                    while b"\n" in buffers[conn]:
                        line, buffers[conn] = buffers[conn].split(b"\n", 1)
                        answer = _answer(json.loads(line), conn, owner, children, options,
                                         (listener, sel, wake_r, wake_w))
                        conn.sendall(json.dumps(answer).encode() + b"\n")
            _reap(children)
    finally:
        for pid, status in children.items():
            if status is None:
                _kill_group(pid)
        try:
            os.unlink(address)
        except OSError:
            pass


def _check_tables() -> None:
    """Read and check every table of data/ once, here, when the notebooks use ``techduel.data``: a child's
    ``data.load`` then finds it in its memo, which is keyed by the content of the table and of the tables
    its foreign keys point to (an edited file is a new key, read again), and still records every file in
    the run's trace. A table that fails its checks fails in the run that loads it, with its message."""
    data = sys.modules.get("techduel.data")
    if data is None:
        return
    try:
        names = [r.name for r in data.resources()]
    except Exception:  # noqa: BLE001  (a broken descriptor: the runs will say which)
        return
    traced = os.environ.pop("TECHDUEL_TRACE", None)  # these reads are no run's
    try:
        for name in names:
            try:
                data.load(name)
            except Exception:  # noqa: BLE001
                continue
    finally:
        if traced is not None:
            os.environ["TECHDUEL_TRACE"] = traced


class _KernelToBe:
    """What ``get_ipython()`` shows a library imported by the zygote: a shell inside a kernel."""
    kernel = None

    def __new__(cls):
        return cls


def _answer(request: dict, conn, owner: dict, children: dict, options: list[str], inherited: tuple) -> dict:
    if "spawn" in request:
        if conn in owner:
            return {"error": "one kernel per connection"}
        spec = request["spawn"]
        split = launcher(spec["cmd"])
        if split is None or split[0] != options:
            return {"error": f"this zygote runs {sys.executable} {' '.join(options)}: it cannot stand in for "
                             f"{' '.join(spec['cmd'][:4])}"}
        spec = dict(spec, args=split[1])
        pid = os.fork()
        if pid == 0:
            _become_kernel(spec, inherited, conn)
        owner[conn], children[pid] = pid, None
        return {"pid": pid}
    if "run" in request:  # a verdicts-only run without a kernel (techduel.build.direct)
        if conn in owner:
            return {"error": "one run per connection"}
        pid = os.fork()
        if pid == 0:
            _become_run(request["run"], inherited, conn)
        owner[conn], children[pid] = pid, None
        return {"pid": pid}
    if "poll" in request:
        _reap(children)
        return {"returncode": children.get(owner.get(conn, -1))}
    return {"error": f"unknown request {sorted(request)}"}


def _reap(children: dict) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children[pid] = os.waitstatus_to_exitcode(status)


def _kill_group(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
            return
        except OSError:
            continue


def _enter(spec: dict, inherited: tuple, conn) -> None:
    """In a forked child: drop the zygote's sockets and signal set-up, and take the environment and folder a
    launched process would have; what a fresh interpreter would draw anew (the seeds) is drawn anew."""
    listener, sel, wake_r, wake_w = inherited
    signal.set_wakeup_fd(-1)
    for s in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
        signal.signal(s, signal.SIG_DFL)
    sel.close()
    listener.close()
    conn.close()
    os.close(wake_r)
    os.close(wake_w)
    os.setsid()  # as jupyter_client starts kernels: interrupts go to the kernel's own process group
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.environ.clear()
    os.environ.update(spec["env"])
    _die_with(os.getppid())
    os.chdir(spec["cwd"])
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()


def _become_kernel(spec: dict, inherited: tuple, conn) -> None:
    """In the forked child: take the arguments a launched kernel would have, and run ipykernel. Never returns."""
    code = 1
    try:
        _enter(spec, inherited, conn)
        import ipykernel_launcher  # noqa: F401  (its file is what a launched kernel has as argv[0])

        # ipykernel takes its parent from JPY_PARENT_PID when it is imported, which was in the zygote. The
        # environment keeps the manager's pid, as a launched kernel has it; the poller that ends the kernel
        # when its parent goes watches the zygote, its real parent
        sys.argv = [ipykernel_launcher.__file__, *spec["args"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        from ipykernel import kernelapp

        try:
            kernelapp.launch_new_instance()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        import atexit

        atexit._run_exitfuncs()  # what an interpreter runs at exit: IPython closes its history there
    except BaseException:  # noqa: BLE001  (whatever happens, never return into the zygote's loop)
        import traceback

        traceback.print_exc()
    finally:
        _exit(code)


def _become_run(spec: dict, inherited: tuple, conn) -> None:
    """In the forked child: run one notebook for its verdicts (``techduel.build.direct``). Never returns."""
    code = 1
    try:
        _enter(spec, inherited, conn)
        from . import direct

        code = direct.run(spec)
    except BaseException:  # noqa: BLE001  (whatever happens, never return into the zygote's loop)
        import traceback

        try:  # beside the copy it did not write, for the worker to report
            with open(spec["output"] + CRASH, "w", encoding="utf-8") as f:
                traceback.print_exc(file=f)
        except (OSError, KeyError):
            traceback.print_exc(file=sys.__stderr__)
    finally:
        _exit(code)


def _exit(code: int) -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass
    os._exit(code)


def _die_with(parent: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4]))

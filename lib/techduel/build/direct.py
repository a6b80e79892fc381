"""Verdicts-only runs executed in a process forked from the zygote, without a Jupyter kernel between.

A robustness pass runs each notebook tens of times for its verdicts alone. Through papermill each run paid for
a kernel (its start, its sockets and threads, every output sent as a message and parsed back, its shutdown)
and for a worker driving it: more than half of a short run's time. Here the zygote forks a child that runs
the notebook's code cells in an IPython shell and writes the executed copy itself.

What the child keeps from a kernel is everything a recorded value passes through on its way to the file:
cells run by IPython's ``run_cell`` in order, with papermill's parameter cell (its translator's code, where
papermill puts it); every display goes
through ipykernel's ``json_clean`` and jupyter_client's message packer and back, as it does on the wire;
a display updated by id is rewritten where it was first shown, as nbclient does; a cell that raises stops
the run with the error in its outputs; each cell has the same time limit. What it does not have (a kernel
for a front end to talk to, rich reprs of what no reader sees) no verdict reads.
``tests/test_direct.py`` runs parameter sets of every notebook with assumptions both ways and compares the
recorded verdicts and results byte for byte.

Only verdicts-only runs go this way: a full run, whose copy a reader reads, always goes through papermill.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

FAILED = 3  # the child's exit status when a cell raised (the copy is written, with the error)
WHERE = ".where"  # beside the executed copy: which cell failed, and how
BACKSTOP = 10.0  # s past the notebook limit before the worker stops a child that did not stop itself


class CellTimeout(BaseException):
    """A cell past its time limit. Not an Exception, so that a cell's ``except Exception`` cannot swallow it."""


# ------------------------------------------------------------------------------------- the worker's side


def engine(job, into: Path, limits, zygote: str, folder: Path) -> None:
    """Run ``job`` into ``into`` through the zygote at ``zygote``; raise ``runner.NotebookFailed`` when a
    cell raised or ran out of time, ``zygote.Unavailable`` when the zygote cannot serve."""
    from papermill.translators import translate_parameters

    from . import runner
    from . import zygote as zygote_

    nb = runner.runnable(job.notebook.path, job.mode)
    tagged = [i for i, c in enumerate(nb["cells"]) if "parameters" in c.get("metadata", {}).get("tags", [])]
    at = tagged[0] + 1 if tagged else 0  # where papermill puts its cell: after the parameters, else first
    if job.parameters:  # as papermill: no cell for no parameters (a defaults run counts its cells as a kernel)
        nb["cells"].insert(at, {"cell_type": "code", "id": "injected-parameters", "execution_count": None,
                                "metadata": {"tags": ["injected-parameters"]}, "outputs": [],
                                "source": translate_parameters(runner.KERNEL, "python", job.parameters,
                                                               "Parameters")})
    prepared = folder / "prepared.ipynb"
    prepared.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    spec = {"notebook": str(prepared), "source": str(job.notebook.path), "output": str(into), "env": dict(os.environ),
            "cwd": str(job.notebook.path.parent), "cell_timeout": limits.cell,
            "notebook_timeout": limits.notebook}
    child = zygote_.Run(zygote, spec)
    try:
        end = time.monotonic() + limits.notebook + BACKSTOP  # the child stops itself first, naming the cell
        while child.poll() is None:
            if time.monotonic() > end:
                raise runner.NotebookFailed(f"the notebook did not finish within {limits.notebook:g} s (the "
                                            "notebook time limit, --notebook-timeout); the run was stopped",
                                            _partial(into, nb))
            _wait_for_exit(child.pid, end)
    finally:
        child.close()  # the zygote kills a child whose connection is gone
    where = Path(str(into) + WHERE)
    if child.returncode == FAILED and into.exists() and where.exists():
        raise runner.NotebookFailed(where.read_text(encoding="utf-8"), into)
    if child.returncode != 0 or not into.exists():
        crash = Path(str(into) + zygote_.CRASH)
        why = f": {crash.read_text(encoding='utf-8').strip().splitlines()[-1]}" if crash.exists() else ""
        code = child.returncode
        status = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"status {code}"
        raise RuntimeError(f"the run's process ended ({status}) before writing its copy{why}")


def _wait_for_exit(pid: int, end: float) -> None:
    """Until the process ``pid`` (not this one's child) has ended, or ``end``: on a pid file descriptor where
    the system has them, so that the zygote is asked for the exit status once, not every few milliseconds."""
    import select

    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd here, or the process is already gone
        time.sleep(0.005)
        return
    try:
        select.select([fd], [], [], max(0.0, end - time.monotonic()))
    finally:
        os.close(fd)
    time.sleep(0.001)  # the zygote reaps it on SIGCHLD; the next poll reads its status


def _partial(into: Path, nb) -> Path:
    """A copy to keep for a run stopped from outside: the notebook as it was given (no outputs)."""
    into.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return into


# --------------------------------------------------------------------------------------- the child's side


def run(spec: dict) -> int:
    """In the forked child: run the notebook's code cells, write the executed copy; the exit status."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets import Type
    from traitlets.config import Config

    from . import runner

    nb = json.loads(Path(spec["notebook"]).read_text(encoding="utf-8"))
    outputs: list[dict] = []  # the current cell's
    by_id: dict[str, list[dict]] = {}  # display id -> the outputs showing it

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            _flush()
            content = _wire({"data": data, "metadata": metadata or {}})
            display_id = (transient or {}).get("display_id")
            if update:
                for out in by_id.get(display_id, []):
                    out["data"], out["metadata"] = content["data"], content["metadata"]
                return
            out = {"output_type": "display_data", "data": content["data"], "metadata": content["metadata"]}
            outputs.append(out)
            if display_id:
                by_id.setdefault(display_id, []).append(out)

        def clear_output(self, wait=False):
            outputs.clear()

    class Hook(DisplayHook):
        def start_displayhook(self):
            _flush()

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            content = _wire({"data": format_dict, "metadata": md_dict or {}})
            outputs.append({"output_type": "execute_result", "data": content["data"],
                            "metadata": content["metadata"], "execution_count": self.shell.execution_count})

        def finish_displayhook(self):
            _flush()

    streams: dict[str, list[str]] = {"stdout": [], "stderr": []}

    class Stream:
        def __init__(self, name):
            self.name, self.encoding = name, "utf-8"

        def write(self, text):
            streams[self.name].append(text)
            return len(text)

        def flush(self):
            pass

        def isatty(self):
            return False

        def writelines(self, lines):
            for line in lines:
                self.write(line)

        def fileno(self):
            import io

            raise io.UnsupportedOperation("fileno")

    def _flush():
        for name, parts in streams.items():
            if parts:
                text = "".join(parts)
                parts.clear()
                if outputs and outputs[-1]["output_type"] == "stream" and outputs[-1]["name"] == name:
                    outputs[-1]["text"] += text
                else:
                    outputs.append({"output_type": "stream", "name": name, "text": text})

    class Shell(InteractiveShell):
        display_pub_class = Type(Publisher)
        displayhook_class = Type(Hook)

    config = Config()
    config.HistoryManager.enabled = False  # nothing reads a run's history
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"
    shell = Shell.instance(config=config)
    def _showtraceback(etype, evalue, stb):  # as a kernel's: every traceback is an error output of its cell
        _flush()
        ename = "TimeoutError" if etype is CellTimeout else etype.__name__
        outputs.append({"output_type": "error", "ename": ename, "evalue": str(evalue), "traceback": stb})

    shell._showtraceback = _showtraceback
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = Stream("stdout"), Stream("stderr")
    cell_limit, notebook_end = float(spec["cell_timeout"]), time.monotonic() + float(spec["notebook_timeout"])
    reason = {}

    def _timeout(signum, frame):  # raised again every second until the cell gives up
        raise CellTimeout(f"this cell {reason['text']}; the run was stopped")

    signal.signal(signal.SIGALRM, _timeout)
    status, where, count = 0, "", 0
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        count += 1
        outputs = cell["outputs"] = []
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        left = notebook_end - time.monotonic()  # as runner._Clock: the cell's limit or what is left, the lesser
        which, limit = (("notebook time limit, --notebook-timeout", float(spec["notebook_timeout"]))
                        if left < cell_limit else ("cell time limit, --cell-timeout", cell_limit))
        reason["text"] = f"did not finish within {limit:g} s (the {which})"
        signal.setitimer(signal.ITIMER_REAL, max(0.001, min(cell_limit, left)), 1.0)
        try:
            shell.run_cell(source, store_history=True)
        except CellTimeout as stop:  # raised outside the cell's code (a post-execute hook, say)
            _showtraceback(CellTimeout, stop, [])
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        _flush()
        cell["execution_count"] = count
        errors = [o for o in outputs if o["output_type"] == "error"
                  and not (o["ename"] == "SystemExit" and o["evalue"] in ("", "0"))]  # papermill's rule
        if errors:
            ids = [c.get("id") for c in json.loads(Path(spec["source"]).read_text(encoding="utf-8"))["cells"]]
            where = f"cell {runner.cell_label(cell, ids)} raised {errors[0]['ename']}: {errors[0]['evalue']}"
            status = FAILED
            break
    sys.stdout, sys.stderr = saved
    _write(Path(spec["output"]), nb)
    if status:
        Path(spec["output"] + WHERE).write_text(where, encoding="utf-8")
    return status


def _wire(content: dict) -> dict:
    """``content`` as a front end receives it from a kernel: cleaned and packed by ipykernel and jupyter_client,
    then unpacked (numbers, dates, NaN and bytes come out as they do in a kernel's copy)."""
    from ipykernel.jsonutil import encode_images, json_clean
    from jupyter_client.session import json_packer, json_unpacker

    content = dict(content, data=encode_images(content["data"]))
    return json_unpacker(json_packer(json_clean(content)))


def _write(path: Path, nb: dict) -> None:
    """The executed copy, laid out as nbformat writes one (text split into lines, keys sorted), under its final
    name only once complete. Not through nbformat: importing it in the child (jsonschema and its grammars)
    cost two seconds a run."""
    for cell in nb["cells"]:
        if isinstance(cell.get("source"), str):
            cell["source"] = cell["source"].splitlines(True)
        for out in cell.get("outputs", []):
            if out["output_type"] in ("execute_result", "display_data"):
                for mime, value in out["data"].items():
                    if isinstance(value, str) and (mime.startswith("text/") or mime in _SPLIT):
                        out["data"][mime] = value.splitlines(True)
            elif out["output_type"] == "stream":
                out["text"] = out["text"].splitlines(True)
    tmp = path.with_name(path.name + ".part")
    text = json.dumps(nb, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False)
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


_SPLIT = {"application/javascript", "image/svg+xml"}  # nbformat's _non_text_split_mimes

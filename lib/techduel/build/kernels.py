"""Kernels that talk over Unix sockets instead of TCP ports, and can be started ahead of their turn.

A kernel started on TCP picks free ports and binds them a moment later; kernels started side by side can
pick the same ports and fail (papermill issue 511). IPC transport has no ports to race for, and ipykernel
stops warning about unencrypted TCP. Each kernel gets its own socket folder.

A notebook that must wait for others (the overview waits for the threads) can have its kernel started
early, behind a *gate*: the kernel boots and imports the heavy libraries while the others run, and the
notebook's first cell runs only once the gate file says ``go``. If it says ``skip`` (the cache can serve
the notebook after all), the kernel is shut down and nothing runs.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager

_serial = itertools.count()

# Imported by a gated kernel while it waits; the notebooks import them anyway, so nothing they show changes.
WARM_IMPORTS = "import pandas, matplotlib.figure, techduel.claims, techduel.data, techduel.plotting"


class GateClosed(RuntimeError):
    """The gate said skip: the notebook was not run."""


async def wait_for_gate(gate: Path, poll: float = 0.02) -> None:
    import asyncio

    while not gate.exists():
        await asyncio.sleep(poll)
    if gate.read_text(encoding="utf-8").strip() != "go":
        raise GateClosed(str(gate))


def socket_folder() -> Path:
    """A fresh folder for this run's kernel sockets, named after this process so leftovers can be traced."""
    return Path(tempfile.mkdtemp(prefix=f"techduel-{os.getpid()}-"))


def clear_stale_sockets() -> None:
    """Remove the socket folders of runners that are no longer alive (killed with -9, say)."""
    from .files import _alive

    for entry in Path(tempfile.gettempdir()).glob("techduel-*-*"):
        pid = entry.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def zygote_provisioner_class(address: str):
    """jupyter_client's local provisioner, with the kernel forked by the zygote at ``address`` instead of
    started as a new interpreter (``techduel.build.zygote``). Everything else (connection file, environment,
    signals, shutdown) is the local provisioner's. A kernel command the zygote cannot stand in for (another
    interpreter), or a zygote that cannot answer, gets an ordinary kernel."""
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    from . import zygote

    class ZygoteProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd, **kwargs):  # type: ignore[override]
            if not zygote.same_interpreter(cmd):
                return await super().launch_kernel(cmd, **kwargs)
            env = dict(kwargs["env"], JPY_PARENT_PID=str(os.getpid()))  # what jupyter_client's launch_kernel adds
            try:
                self.process = zygote.Child(address, [os.path.expanduser(a) for a in cmd], env,
                                            str(kwargs.get("cwd") or os.getcwd()))
            except zygote.Unavailable:
                return await super().launch_kernel(cmd, **kwargs)
            self.pid = self.pgid = self.process.pid  # the child leads its own process group, as launched kernels do
            self.cwd = kwargs.get("cwd") or os.getcwd()
            return self.connection_info

    return ZygoteProvisioner


SHUTDOWN_POLL = 0.005  # s between looks at whether a kernel asked to shut down has exited


def ready_client_class():
    """jupyter_client's async kernel client, minus the 0.2 s of silence it waits for on IOPub once the kernel
    has answered. Its readiness test is kept whole (a kernel_info reply, then a message on IOPub, so the
    cells' outputs cannot be lost); only the trailing drain no longer waits: what it would drop are status
    messages of that kernel_info request, which nbclient skips anyway (it keeps only messages whose parent
    is the cell it runs). Paid by every run, that wait was a sixth of a short notebook's."""
    import time
    from queue import Empty

    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import KernelManager

    class ReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
            end = time.time() + (float("inf") if timeout is None else timeout)
            if not isinstance(self.parent, KernelManager):
                return await super().wait_for_ready(timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    pass
                else:
                    if msg["msg_type"] == "kernel_info_reply":
                        try:
                            await self.iopub_channel.get_msg(timeout=0.2)  # IOPub is connected
                        except Empty:
                            pass
                        else:
                            self._handle_kernel_info_reply(msg)
                            break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.time() > end:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
            while True:  # what is already there, without waiting for more
                try:
                    await self.iopub_channel.get_msg(timeout=0)
                except Empty:
                    break

    return ReadyClient


def ipc_manager_class(base: str, gate: Path | None = None, zygote: str | None = None) -> type[AsyncKernelManager]:
    """A kernel-manager class whose kernels put their sockets in a fresh folder below ``base``; with
    ``zygote`` (an address), kernels are forked by that zygote."""
    # imported here: jupyter_client takes half a second, which a run the cache answers must not pay
    import uuid

    from jupyter_client.manager import AsyncKernelManager

    provisioner = zygote_provisioner_class(zygote) if zygote else None

    class IPCKernelManager(AsyncKernelManager):
        client_factory = ready_client_class()

        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            folder = tempfile.mkdtemp(prefix=f"k{next(_serial)}-", dir=base)
            kwargs.setdefault("ip", os.path.join(folder, "s"))
            kwargs.setdefault("connection_file", os.path.join(folder, "kernel.json"))  # goes with the folder
            super().__init__(**kwargs)

        async def _async_pre_start_kernel(self, **kw):  # type: ignore[override]
            if provisioner is not None and self.provisioner is None:
                self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
                self.provisioner = provisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            return await super()._async_pre_start_kernel(**kw)

        async def _async_finish_shutdown(self, waittime=None, pollinterval=SHUTDOWN_POLL, restart=False):
            # jupyter_client looks every 0.1 s whether the kernel has exited: a forked kernel exits within
            # milliseconds of its shutdown reply, so the poll was most of each shutdown
            return await super()._async_finish_shutdown(waittime, pollinterval, restart)

        async def _async_interrupt_kernel(self):  # type: ignore[override]
            # jupyter_client's shutdown_kernel first interrupts (SIGINT) in case the kernel is busy. Ours is
            # done with its notebook then, or killed at once (a timed-out cell), so the signal could only land
            # while the kernel still handled a message: ipykernel then logs "KeyboardInterrupt caught in
            # kernel", which normal runs printed.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

        async def start_kernel(self, **kw):  # type: ignore[override]
            if gate is None:
                return await super().start_kernel(**kw)
            kw["extra_arguments"] = [*kw.get("extra_arguments", []),
                                     f"--IPKernelApp.exec_lines={[WARM_IMPORTS]!r}"]
            await super().start_kernel(**kw)
            try:
                await wait_for_gate(gate)
            except GateClosed:
                await self.shutdown_kernel(now=True)
                raise

    return IPCKernelManager

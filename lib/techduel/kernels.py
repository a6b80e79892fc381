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

import asyncio
import itertools
import os
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

_serial = itertools.count()

# Imported by a gated kernel while it waits; the notebooks import them anyway, so nothing they show changes.
WARM_IMPORTS = "import pandas, matplotlib.figure, techduel.claims, techduel.data, techduel.plotting"


class GateClosed(RuntimeError):
    """The gate said skip: the notebook was not run."""


async def wait_for_gate(gate: Path, poll: float = 0.02) -> None:
    while not gate.exists():
        await asyncio.sleep(poll)
    if gate.read_text(encoding="utf-8").strip() != "go":
        raise GateClosed(str(gate))


def ipc_manager_class(base: str, gate: Path | None = None) -> type[AsyncKernelManager]:
    """A kernel-manager class whose kernels put their sockets in a fresh folder below ``base``."""

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            folder = tempfile.mkdtemp(prefix=f"k{next(_serial)}-", dir=base)
            kwargs.setdefault("ip", os.path.join(folder, "s"))
            super().__init__(**kwargs)

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

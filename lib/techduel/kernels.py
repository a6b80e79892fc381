"""Kernels that talk over Unix sockets instead of TCP ports.

A kernel started on TCP picks free ports and binds them a moment later; kernels started side by side can
pick the same ports and fail (papermill issue 511). IPC transport has no ports to race for, and ipykernel
stops warning about unencrypted TCP. Each kernel gets its own socket folder under ``base``.
"""

from __future__ import annotations

import itertools
import os
import tempfile

from jupyter_client.manager import AsyncKernelManager

_serial = itertools.count()


def ipc_manager_class(base: str) -> type[AsyncKernelManager]:
    """A kernel-manager class whose kernels put their sockets in a fresh folder below ``base``."""

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            folder = tempfile.mkdtemp(prefix=f"k{next(_serial)}-", dir=base)
            kwargs.setdefault("ip", os.path.join(folder, "s"))
            super().__init__(**kwargs)

    return IPCKernelManager

"""techduel: sourced data and tested helpers behind the research notebooks.

The notebooks stay thin; what is worth testing lives here. Modules:
``data`` (load and validate tables), ``sources`` (the source registry), ``claims`` (the verdict scale),
``results`` (named values), ``plotting`` (house style), ``outputs`` (values carried in notebook
outputs), one module per domain (``training``, ``chips``, ``energy``, ...); ``techduel.build`` runs the
notebooks (``runner``, ``cache``, ``kernels``, ``params``, ``sweep``, ``robustness``) and renders the ``site``.
"""

__version__ = "0.1.0"

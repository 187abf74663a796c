"""``python -m dtsim``: the same as the ``dtsim`` command."""

from dtsim.cli import main

main()

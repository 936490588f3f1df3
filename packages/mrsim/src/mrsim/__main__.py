"""``python -m mrsim`` runs the ``mrsim`` command line."""

from mrsim.cli import main

main()

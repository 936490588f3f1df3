"""``python -m seranet`` runs the ``seranet`` command line."""

from seranet.cli import main

main()

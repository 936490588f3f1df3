"""``python -m bench`` runs the ``bench`` command line."""

from bench.cli import main

main()

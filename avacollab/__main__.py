"""``python -m avacollab`` runs the command line, like the ``avacollab`` script."""

from .cli.app import main

main()

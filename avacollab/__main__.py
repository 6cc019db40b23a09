"""``python -m avacollab`` runs the command line, like the ``avacollab`` script."""

from .cli import main

main()

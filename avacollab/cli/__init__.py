"""The ``avacollab`` command: :mod:`.app` is the root with ``serve``,
``token`` and ``config``; :mod:`.join`, :mod:`.turn` and :mod:`.plugins` add
their own commands."""

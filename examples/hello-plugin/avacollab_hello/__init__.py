"""avacollab-hello: an example plugin adding a text chat to ``avacollab join``."""

__version__ = "0.1.0"

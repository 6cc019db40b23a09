"""avacollab-editing: a conflict-free component tree shared by every peer of a room."""

from .components import Component
from .guard import RejectedUpdate
from .model import Change, CycleError, Document, EditError, NodeChange, NodeState
from .schema import JSON, ValidationError

__all__ = [
    "JSON",
    "Change",
    "Component",
    "CycleError",
    "Document",
    "EditError",
    "NodeChange",
    "NodeState",
    "RejectedUpdate",
    "ValidationError",
]

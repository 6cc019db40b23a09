"""avacollab-editing: a conflict-free component tree shared by every peer of a room."""

from .changes import Change, NodeChange
from .components import Component
from .guard import RejectedUpdate
from .model import CycleError, Document, EditError
from .schema import JSON, ValidationError
from .view import NodeState

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

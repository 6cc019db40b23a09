"""Screen share for avacollab: ``/share`` an X11 screen, a video file or a test pattern.

Other plugins receive the decoded frames of every share through
:func:`add_frame_handler`.
"""

from .viewer import FrameHandler, add_frame_handler

__all__ = ["FrameHandler", "add_frame_handler"]

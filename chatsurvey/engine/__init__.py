"""The flow engine: flows as data, conversations as a pure function.

Nothing here touches the web, Redis or SQL; a test imports this package with
those libraries blocked. The host (chatsurvey.conversations) loads a
``State``, calls ``advance`` with a ``Resume`` and acts on the ``Event``s it
returns; the contract is written down in ``chatsurvey/engine/README.md``.
"""

from .catalogue import Catalogue
from .compile import compile_document, compile_flow, link, load_document, schema
from .events import EVENT_TYPES, Event, Finished
from .library import FlowLibrary
from .model import Flow
from .problems import FlowError, Problem
from .replies import Reply
from .resumes import Command, Expire, QuickExit, Resume, Tap, Text, resume_from
from .runtime import DEFAULT_OPTIONS, Options, advance, start, transcript
from .state import Context, State, StateError

__all__ = [
    "DEFAULT_OPTIONS",
    "EVENT_TYPES",
    "Catalogue",
    "Command",
    "Context",
    "Event",
    "Expire",
    "Finished",
    "Flow",
    "FlowError",
    "FlowLibrary",
    "Options",
    "Problem",
    "QuickExit",
    "Reply",
    "Resume",
    "State",
    "StateError",
    "Tap",
    "Text",
    "advance",
    "compile_document",
    "compile_flow",
    "link",
    "load_document",
    "resume_from",
    "schema",
    "start",
    "transcript",
]

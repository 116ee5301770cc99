"""The flow engine: flows as data, conversations as a pure function.

Nothing here touches the web, Redis or SQL; a test imports this package with
those libraries blocked. The host (chatsurvey.conversations) loads a state,
calls ``advance`` and acts on the events it returns.
"""

from .catalogue import Catalogue
from .compile import compile_document, compile_flow, link, load_document, schema
from .library import FlowLibrary
from .model import Flow
from .problems import FlowError, Problem
from .runtime import DEFAULT_OPTIONS, Options, StateError, advance, start, transcript

__all__ = [
    "DEFAULT_OPTIONS",
    "Catalogue",
    "Flow",
    "FlowError",
    "FlowLibrary",
    "Options",
    "Problem",
    "StateError",
    "advance",
    "compile_document",
    "compile_flow",
    "link",
    "load_document",
    "schema",
    "start",
    "transcript",
]

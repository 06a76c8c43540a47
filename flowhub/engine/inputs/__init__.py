"""Flow inputs and outputs: their declarations, and typed values from what a caller supplied.

Multipart forms deliver every value as text, so each type knows how to parse text; JSON bodies
deliver typed values, which are accepted when they already have the right type.
"""

from .resolve import coerce, dependency_cycle, resolve
from .specs import INPUT_ID_PATTERN, DependsOn, InputSpec, OutputSpec
from .values import ValueType

__all__ = [
    "INPUT_ID_PATTERN",
    "DependsOn",
    "InputSpec",
    "OutputSpec",
    "ValueType",
    "coerce",
    "dependency_cycle",
    "resolve",
]

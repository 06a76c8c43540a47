"""Flow inputs and outputs: their declarations, and typed values from what a caller supplied.

Multipart forms deliver every value as text, so each type knows how to parse text; JSON bodies
deliver typed values, which are accepted when they already have the right type.

`values` reads one value as its type, `temporal` the java.time ones; `specs` declares which
properties each type takes; `rules` reads a value for a declaration and holds it to its rules;
`resolve` turns what a caller supplied into an execution's inputs, in `dependsOn` order.
"""

from .resolve import dependency_cycles, resolve, value_at
from .rules import coerce
from .specs import INPUT_ID_PATTERN, DeclarationError, DependsOn, InputSpec, OutputSpec
from .values import ValueType

__all__ = [
    "INPUT_ID_PATTERN",
    "DeclarationError",
    "DependsOn",
    "InputSpec",
    "OutputSpec",
    "ValueType",
    "coerce",
    "dependency_cycles",
    "resolve",
    "value_at",
]

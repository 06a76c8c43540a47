"""A state named by a query parameter, as the actions that set one read it (change-status's `status`, unqueue's
`state`): 400 when it is missing and has no default, or is no state at all; 422 when it is a state the action does
not set, as Kestra answers each."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request

from flowhub.engine.errors import ErrorDetail
from flowhub.engine.states import State
from flowhub.exceptions import Invalid


def state_parameter(
    request: Request, name: str, allowed: frozenset[State], rule: str, default: State | None = None
) -> State:
    """The state the query parameter `name` asks for, or `default` when it is not given; `rule` says which states
    the action sets, in the 422 that refuses another."""
    query = serializers.Serializer(data=request.query_params)
    query.fields[name] = serializers.ChoiceField(choices=[state.value for state in State], required=default is None)
    query.is_valid(raise_exception=True)
    state = State(query.validated_data.get(name, default))
    if state not in allowed:
        raise Invalid(f"{name} {state} is refused: {rule}", [ErrorDetail(name, f"{rule}: one of {_listed(allowed)}")])
    return state


def state_parameter_schema(
    name: str, allowed: frozenset[State], description: str, default: State | None = None
) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.STR,
        required=default is None,
        enum=sorted(allowed),
        default=default.value if default is not None else None,
        description=description,
    )


def _listed(states: frozenset[State]) -> str:
    return ", ".join(sorted(states))

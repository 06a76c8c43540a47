"""Receivers of the executions' signals: each writes the deliveries of its event in the sender's transaction."""

from __future__ import annotations

from typing import Any

from executions.models import Execution
from flowhub.engine.states import State

from .models import Event
from .services import ENDING_EVENTS, deliveries_record


def on_execution_created(*, execution: Execution, **_: Any) -> None:
    deliveries_record(event=Event.EXECUTION_CREATED, execution=execution)


def on_execution_ended(*, execution: Execution, **_: Any) -> None:
    if (event := ENDING_EVENTS.get(State(execution.state))) is not None:
        deliveries_record(event=event, execution=execution)

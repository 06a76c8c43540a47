"""What follows the end of an execution, whichever path ended it (the executor, a kill, a cancelling
Pause, a concurrency limit): the Subflow run waiting for it ends, its flow's queue moves on, the trigger
that started it is disabled if its `stopAfter` names the state it ended in, and the flows listening for it start."""

from __future__ import annotations

from . import signals
from .concurrency import dequeue_on_commit
from .flow_triggers import flow_triggers_fire
from .models import Execution
from .subflows import subflow_child_ended
from .trigger_actions import trigger_stop_after


def execution_ended(execution: Execution) -> None:
    """Call in the transaction that ended `execution`."""
    subflow_child_ended(child=execution)
    dequeue_on_commit(execution)
    trigger_stop_after(execution)
    flow_triggers_fire(upstream=execution)
    signals.execution_ended.send(sender=Execution, execution=execution)

"""What follows the end of an execution, whichever path ended it (the executor, a kill, a cancelling
Pause, a concurrency limit): the Subflow run waiting for it ends, and its flow's queue moves on."""

from __future__ import annotations

from .concurrency import dequeue_on_commit
from .flow_triggers import flow_triggers_fire
from .models import Execution
from .subflows import subflow_child_ended


def execution_ended(execution: Execution) -> None:
    """Call in the transaction that ended `execution`."""
    subflow_child_ended(child=execution)
    dequeue_on_commit(execution)
    flow_triggers_fire(upstream=execution)

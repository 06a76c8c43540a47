"""What other apps may follow of executions without executions importing them (notifications, for one)."""

from django.dispatch import Signal

execution_created = Signal()
"""Sent in the transaction that stored a new execution. Argument: `execution`."""

execution_ended = Signal()
"""Sent in the transaction that ended an execution: its state is terminal (RETRIED included, when a flow
`retry` hands over to a new execution). Argument: `execution`."""

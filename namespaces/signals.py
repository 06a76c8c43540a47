"""What other apps may follow of flows without namespaces importing them."""

from django.dispatch import Signal

flow_changed = Signal()
"""Sent in the transaction that saved a new revision of a flow (`parsed` is it) or deleted it (`parsed` is None).
Arguments: `namespace`, `flow_id`, `parsed`."""

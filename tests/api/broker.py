"""The test settings' in-memory broker, read back: the messages the code sent, delivered as Celery would."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from executions import executor, worker
from executions.dispatch import ADVANCE, RUN_TASK
from flowhub.celery import app

QUEUES = {ADVANCE: "executor", RUN_TASK: "worker"}


class Broker:
    """Reads the messages sent to a queue and runs them, each in a transaction whose on_commit callbacks
    (the messages it sends) run: `capture` is pytest-django's `django_capture_on_commit_callbacks`."""

    def __init__(self, capture: Callable[..., AbstractContextManager[Any]]):
        self.capture = capture
        for name in QUEUES:
            self.sent(name)  # what earlier tests left behind

    def sent(self, name: str) -> list[str]:
        """The ids sent as `name` messages (advance or run_task) since last read, in order; taken off the queue."""
        return [message_id for message_id, _ in self.messages(name)]

    def messages(self, name: str) -> list[tuple[str, str | None]]:
        """As `sent`, each id with the time it is due, for a message sent with a countdown (else None)."""
        messages: list[tuple[str, str | None]] = []
        with app.connection_for_read() as connection:
            queue = connection.SimpleQueue(QUEUES[name], no_ack=True)
            try:
                while True:
                    message = queue.get(block=False)
                    messages.append((message.payload[0][0], message.headers.get("eta")))
            except queue.Empty:
                pass
            finally:
                queue.close()
        return messages

    def deliver(self, name: str) -> list[str]:
        """Run every `name` message sent until none is left (those the runs send too); the ids run."""
        step = {
            ADVANCE: lambda execution_id: executor.execution_advance(execution_id=execution_id),
            RUN_TASK: lambda task_run_id: worker.task_run_execute(task_run_id=task_run_id, worker_id="test-worker"),
        }[name]
        delivered: list[str] = []
        while ids := self.sent(name):
            for message_id in ids:
                with self.capture(execute=True):
                    step(message_id)
            delivered += ids
        return delivered

"""The audited actions: stable dotted slugs, `<object>.<verb>`, that the API filters on (`action=flow.`)."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    FLOW_CREATE = "flow.create"
    FLOW_UPDATE = "flow.update"
    FLOW_DELETE = "flow.delete"
    KV_SET = "kv.set"
    KV_DELETE = "kv.delete"
    FILE_WRITE = "file.write"
    FILE_RESTORE = "file.restore"
    FILE_DELETE = "file.delete"
    FILE_MOVE = "file.move"
    FILE_IMPORT = "file.import"
    DIRECTORY_CREATE = "directory.create"
    SECRET_SET = "secret.set"  # noqa: S105 (a slug, not a password)
    SECRET_DELETE = "secret.delete"  # noqa: S105 (a slug, not a password)
    EXECUTION_CREATE = "execution.create"
    EXECUTION_KILL = "execution.kill"
    EXECUTION_PAUSE = "execution.pause"
    EXECUTION_RESUME = "execution.resume"
    EXECUTION_RESTART = "execution.restart"
    EXECUTION_REPLAY = "execution.replay"
    EXECUTION_DELETE = "execution.delete"
    EXECUTION_LABEL = "execution.label"
    EXECUTION_STATUS = "execution.status"
    EXECUTION_UNQUEUE = "execution.unqueue"
    EXECUTION_FORCE_RUN = "execution.force_run"
    TASK_RUN_SKIP = "taskrun.skip"
    LOGS_DELETE = "logs.delete"
    TRIGGER_DISABLE = "trigger.disable"
    TRIGGER_ENABLE = "trigger.enable"
    TRIGGER_UNLOCK = "trigger.unlock"
    TRIGGER_RESTART = "trigger.restart"
    TRIGGER_RESET = "trigger.reset"
    TRIGGER_BACKFILL = "trigger.backfill"
    TRIGGER_BACKFILL_PAUSE = "trigger.backfill.pause"
    TRIGGER_BACKFILL_UNPAUSE = "trigger.backfill.unpause"
    TRIGGER_BACKFILL_DELETE = "trigger.backfill.delete"
    TOKEN_CREATE = "token.create"  # noqa: S105 (a slug, not a password)
    TOKEN_REVOKE = "token.revoke"  # noqa: S105 (a slug, not a password)
    ROLE_CREATE = "role.create"
    ROLE_UPDATE = "role.update"
    ROLE_DELETE = "role.delete"
    AUDIT_PURGE = "audit.purge"

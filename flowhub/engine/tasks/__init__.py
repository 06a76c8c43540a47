"""Built-in task and trigger types, grouped by Kestra plugin family."""

from flowhub.engine.registry import Plugin

from . import core, flow, http, kv, namespace, scripts, storage, triggers

BUILT_IN: tuple[type[Plugin], ...] = (
    *core.TASK_TYPES,
    *kv.TASK_TYPES,
    *namespace.TASK_TYPES,
    *storage.TASK_TYPES,
    *http.TASK_TYPES,
    *scripts.TASK_TYPES,
    *flow.TASK_TYPES,
    *triggers.TRIGGER_TYPES,
)

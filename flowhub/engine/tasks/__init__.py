"""Built-in task and trigger types, grouped by Kestra plugin family."""

from flowhub.engine.registry import Plugin

from . import core, flow, triggers

BUILT_IN: tuple[type[Plugin], ...] = (*core.TASK_TYPES, *flow.TASK_TYPES, *triggers.TRIGGER_TYPES)

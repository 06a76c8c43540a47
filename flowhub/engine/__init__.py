"""The pure orchestration engine: flow parsing, validation, templating, states and planning.

Nothing in this package may import Django, DRF or Celery (ruff enforces it): the apps load
snapshots from the database, call the engine, and persist what it decides.
"""

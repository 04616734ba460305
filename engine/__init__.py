"""chatflow's core: flow model and loader, validator, interpreter, templates, clock, routing, stores.

It imports nothing from ``nodes``, ``channels`` or ``admin_api``.
"""

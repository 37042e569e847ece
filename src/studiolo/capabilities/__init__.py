"""Capabilities: one folder each (engines, typed verbs, CLI commands, web routes, credits).

Each folder's `__init__.py` holds its hook implementations; the built-in ones
are listed in `studiolo.plugins.DEFAULT_PLUGINS`.
"""

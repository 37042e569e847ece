"""Restoration: find the damage in a scanned painting, fill it, recover its colour, show how it ages.

Phase 1 holds the library functions (`api.damage`, `api.restore`, `api.age`) that
the `studiolo damage/restore/age` commands and the web actions will call; the
hook implementations come with phase 2.
"""

"""Analysis of paintings: colour, composition, brushwork, attribution, authenticity, connections.

Phase 1 holds the library (plain functions returning frozen dataclasses with
`to_json()`); the CLI commands, catalog tables and web action are wired on
these functions in phase 2. See docs/analysis.md.
"""

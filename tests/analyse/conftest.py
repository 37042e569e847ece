"""Fixtures of the analysis tests (helpers live in analyse_helpers.py, so that their module
name cannot clash with another folder's conftest)."""

from __future__ import annotations

import pytest
from analyse_helpers import light_content, light_style


@pytest.fixture(scope="session")
def light_networks():
    """Light stand-ins for the style and content networks (fast, deterministic)."""
    return (light_style, light_content)

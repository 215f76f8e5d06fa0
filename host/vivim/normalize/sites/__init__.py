"""Per-site knowledge for the normalizer: one small module per site, one shape for all.

A site redesign should be a change to one of these modules (plus a fixture), never to the
shared core in `vivim.normalize.markdown`. Each module is named after its provider's key in
`vivim.providers` and defines RULES (a `rules.SiteRules`); it is imported when first needed.
"""

from __future__ import annotations

import importlib

from ...providers import resolve
from .rules import GENERIC, SiteRules

__all__ = ["GENERIC", "SiteRules", "rules_for"]


def rules_for(provider: str | None) -> SiteRules:
    """The rules of a provider (its key, an alias or one of its hosts); generic rules for anything else."""
    info = resolve(provider)
    if info is None:
        return GENERIC
    rules: SiteRules = importlib.import_module(f"{__name__}.{info.key}").RULES
    return rules

"""How many generated examples a property runs: every one in `make test` and CI; a share of them in
`make test-fast`, the inner loop, which sets ``ENTENTE_TEST_EXAMPLE_SHARE`` (0.25 there). A property's
explicit ``@example`` cases always run, and so does at least one generated example."""

from __future__ import annotations

import math
import os

SHARE = float(os.environ.get("ENTENTE_TEST_EXAMPLE_SHARE") or 1)
if not 0 < SHARE <= 1:
    raise ValueError(f"ENTENTE_TEST_EXAMPLE_SHARE must be a fraction in (0, 1], not {SHARE}")


def examples(count: int) -> int:
    """``count`` generated examples, or this run's share of them."""
    return max(1, math.ceil(count * SHARE))

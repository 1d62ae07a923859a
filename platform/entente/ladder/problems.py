"""Collecting every problem in a piece of input before refusing it.

A drafter who sends six metrics with three mistakes should learn about all three at once. Checks
add ``(field, reason)`` pairs; :meth:`Problems.raise_if_any` raises one
:class:`~entente.errors.InvalidInputError` whose ``extra["errors"]`` lists them all, with ``field``
and ``detail`` taken from the first so simple clients still get a useful message. The metric
rubric and the crisis template parameters both validate this way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InvalidInputError

__all__ = ["Problems"]


@dataclass
class Problems:
    """Problems found so far in one input; ``prefix`` is the field path of the input itself."""

    prefix: str
    found: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, reason: str) -> None:
        self.found.append((f"{self.prefix}.{name}", reason))

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_if_any(self) -> None:
        """Raise one InvalidInputError listing every problem, if there is any."""
        if not self.found:
            return
        first_field, first_reason = self.found[0]
        more = len(self.found) - 1
        detail = first_reason + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
        raise InvalidInputError(
            detail,
            field=first_field,
            extra={"errors": [{"field": name, "reason": reason} for name, reason in self.found]},
        )

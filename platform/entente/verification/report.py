"""Checks and the verdict: every check is ``ok``, ``failed`` or ``indeterminate`` with a one-line reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Check", "Report", "Status"]


class Status(StrEnum):
    OK = "ok"
    FAILED = "failed"
    INDETERMINATE = "indeterminate"


@dataclass
class Check:
    name: str
    status: Status
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"check": self.name, "status": str(self.status), "detail": self.detail}


@dataclass
class Report:
    """What was checked, in order; ``trusted`` says what was taken on trust (an unpinned first roster...)."""

    subject: str
    checks: list[Check] = field(default_factory=list)
    trusted: list[str] = field(default_factory=list)

    def ok(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, Status.OK, detail))

    def fail(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, Status.FAILED, detail))

    def unsure(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, Status.INDETERMINATE, detail))

    @property
    def result(self) -> Status:
        if not self.checks or any(c.status is Status.FAILED for c in self.checks):
            return Status.FAILED
        if any(c.status is Status.INDETERMINATE for c in self.checks):
            return Status.INDETERMINATE
        return Status.OK

    @property
    def verdict(self) -> str:
        return {Status.OK: "valid", Status.FAILED: "invalid", Status.INDETERMINATE: "indeterminate"}[self.result]

    @property
    def reason(self) -> str | None:
        for status in (Status.FAILED, Status.INDETERMINATE):
            for check in self.checks:
                if check.status is status:
                    return f"{check.name}: {check.detail}"
        return None if self.checks else "nothing to check"

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "result": self.verdict,
            "reason": self.reason,
            "trusted": self.trusted,
            "checks": [c.to_dict() for c in self.checks],
        }

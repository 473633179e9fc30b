"""Refusals of the case domain: each names what was asked and why it cannot be done."""

from __future__ import annotations


class CaseError(Exception):
    """A command the case refuses; nothing was changed."""

    code = "case_error"

    def __init__(self, case_id: str, message: str) -> None:
        super().__init__(message)
        self.case_id = case_id


class CaseClosedError(CaseError):
    code = "case_closed"

    def __init__(self, case_id: str) -> None:
        super().__init__(case_id, f"case {case_id} is closed")


class UnknownCommandError(CaseError):
    code = "unknown_command"

    def __init__(self, case_id: str, command: str) -> None:
        super().__init__(case_id, f"{command!r} is not a command for case {case_id}")


class CommandNotAllowedError(CaseError):
    code = "command_not_allowed"

    def __init__(self, case_id: str, command: str, state: str) -> None:
        super().__init__(case_id, f"{command!r} is not allowed while case {case_id} is {state}")
        self.state = state


class InvalidReasonError(CaseError):
    code = "invalid_reason"

    def __init__(self, case_id: str, command: str, reason: str | None,
                 allowed: list[str]) -> None:
        super().__init__(case_id, f"{command!r} needs one of the statutory reasons "
                                  f"{allowed}; got {reason!r}")
        self.allowed = allowed


class MissingArgumentError(CaseError):
    code = "missing_argument"

    def __init__(self, case_id: str, argument: str) -> None:
        super().__init__(case_id, f"the command on case {case_id} needs {argument!r}")


class NotExtendableError(CaseError):
    code = "not_extendable"

    def __init__(self, case_id: str, deadline: str) -> None:
        super().__init__(case_id, f"deadline {deadline!r} of case {case_id} cannot be extended")


class NotPausableError(CaseError):
    code = "not_pausable"

    def __init__(self, case_id: str, deadline: str) -> None:
        super().__init__(case_id, f"the clock of {deadline!r} on case {case_id} cannot stop")


class DeadlineNotRunningError(CaseError):
    code = "deadline_not_running"

    def __init__(self, case_id: str, deadline: str) -> None:
        super().__init__(case_id, f"deadline {deadline!r} of case {case_id} is not running")

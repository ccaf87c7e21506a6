"""Mail about a person's account rather than their leave: a sign-in link, the confirmation
of a second company, an invitation. What each one says, channel-neutral; the email
templates lay it out.

The link is the whole point of these mails and, for sign-in and signup, a credential: it
is rendered into the message and nowhere else (never logged, never in the delivery log).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

SIGN_IN, CONFIRM_SIGNUP, INVITE = "sign_in", "confirm_signup", "invite"
PURPOSES = (SIGN_IN, CONFIRM_SIGNUP, INVITE)
# How long the requests service keeps a magic link valid (the mail says so).
LINK_MINUTES = 15

_WHITESPACE = re.compile(r"\s+")


def one_line(text: str | None) -> str:
    """A name as a header may carry it: no line breaks, no runs of spaces."""
    return _WHITESPACE.sub(" ", text or "").strip()


def signin_link(dashboard_url: str, email: str) -> str:
    """The dashboard's sign-in page with the address filled in: an invitation carries no
    credential, only the way in."""
    return f"{dashboard_url.rstrip('/')}/signin?{urlencode({'email': email})}"


@dataclass(frozen=True)
class AccountMail:
    purpose: str
    link: str
    # The company the mail is about: the one inviting, or the one being created.
    company: str | None = None
    # The recipient's name and the inviter's (invitations only).
    name: str | None = None
    invited_by: str | None = None

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            raise ValueError(f"unknown account mail purpose {self.purpose!r}")

    @property
    def _company(self) -> str:
        return one_line(self.company)

    @property
    def subject(self) -> str:
        if self.purpose == SIGN_IN:
            return "Your sign-in link for Leaveflow"
        if self.purpose == CONFIRM_SIGNUP:
            return "Confirm your new company on Leaveflow"
        return f"{self._company or 'Your company'} invited you to Leaveflow"

    @property
    def greeting(self) -> str:
        name = one_line(self.name)
        return f"Hello {name}," if name else "Hello,"

    @property
    def paragraphs(self) -> list[str]:
        if self.purpose == SIGN_IN:
            return [
                "Someone asked to sign in to Leaveflow with this email address. "
                "If that was you, use the link below to sign in."
            ]
        if self.purpose == CONFIRM_SIGNUP:
            named = f" called {self._company}" if self._company else ""
            return [
                f"You asked to create a new company{named} on Leaveflow with this email "
                "address. This address already runs a company on Leaveflow, so we need you "
                "to confirm that the new one is yours too."
            ]
        inviter = one_line(self.invited_by)
        if inviter:
            who = f"{inviter} invited you to {self._company or 'your company'} on Leaveflow"
        else:
            who = f"{self._company or 'Your company'} invited you to Leaveflow"
        return [
            f"{who}, where you ask for time off and see who is away.",
            "There is no password to remember: on the sign-in page, enter this email "
            "address and choose how to sign in.",
        ]

    @property
    def action(self) -> str:
        """The label of the link's button."""
        return "Confirm the new company" if self.purpose == CONFIRM_SIGNUP else "Sign in"

    @property
    def small_print(self) -> str:
        once = (
            f"The link works once, for {LINK_MINUTES} minutes, and only in the browser "
            "where you asked for it."
        )
        if self.purpose == SIGN_IN:
            return f"{once} If you did not ask, ignore this email: nobody can sign in without it."
        if self.purpose == CONFIRM_SIGNUP:
            return f"{once} If you did not ask, ignore this email: no company is created."
        return "If you did not expect this invitation, you can ignore this email."

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountMail:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

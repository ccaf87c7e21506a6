"""What account mails say, and the operator's mail server settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaveflow_notifications.adapters.rendering import account_message
from leaveflow_notifications.bootstrap import operator_smtp
from leaveflow_notifications.config import Settings
from leaveflow_notifications.domain.account_mail import (
    CONFIRM_SIGNUP,
    INVITE,
    SIGN_IN,
    AccountMail,
    signin_link,
)

LINK = "https://leave.example.com/signin/link?token=abc&x=1"


def test_the_sign_in_link_carries_the_address_encoded() -> None:
    assert (
        signin_link("https://leave.example.com/", "a+b@x.test")
        == "https://leave.example.com/signin?email=a%2Bb%40x.test"
    )


def test_a_company_name_cannot_break_the_subject_line() -> None:
    mail = AccountMail(INVITE, LINK, company="Acme\r\nBcc: evil@x.test")
    assert mail.subject == "Acme Bcc: evil@x.test invited you to Leaveflow"
    assert "\n" not in account_message(mail)["subject"]


@pytest.mark.parametrize(
    ("mail", "subject"),
    [
        (AccountMail(SIGN_IN, LINK), "Your sign-in link for Leaveflow"),
        (AccountMail(CONFIRM_SIGNUP, LINK), "Confirm your new company on Leaveflow"),
        (AccountMail(INVITE, LINK, company="Acme"), "Acme invited you to Leaveflow"),
        (AccountMail(INVITE, LINK), "Your company invited you to Leaveflow"),
    ],
)
def test_each_purpose_has_its_subject(mail: AccountMail, subject: str) -> None:
    assert mail.subject == subject


def test_html_escapes_the_link_and_the_names_text_keeps_them() -> None:
    mail = AccountMail(INVITE, LINK, company="A&B <Ltd>", name="Dee", invited_by="Cy")
    message = account_message(mail)
    assert 'href="https://leave.example.com/signin/link?token=abc&amp;x=1"' in message["html"]
    assert "A&amp;B &lt;Ltd&gt;" in message["html"]
    assert LINK in message["text"]
    assert "Cy invited you to A&B <Ltd> on Leaveflow" in message["text"]


def test_a_stored_mail_reads_back_and_an_unknown_purpose_is_refused() -> None:
    mail = AccountMail(INVITE, LINK, company="Acme", name="Dee", invited_by="Cy")
    assert AccountMail.from_dict({**mail.to_dict(), "later_field": 1}) == mail
    with pytest.raises(ValueError, match="purpose"):
        AccountMail("reset_password", LINK)


def test_the_operator_server_is_off_unless_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("HOST", "PORT", "FROM", "USERNAME", "PASSWORD", "STARTTLS", "SSL"):
        monkeypatch.delenv(f"LEAVEFLOW_SMTP_{name}", raising=False)
    assert operator_smtp(Settings(data_dir=tmp_path)) is None
    monkeypatch.setenv("LEAVEFLOW_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("LEAVEFLOW_SMTP_FROM", "leave@example.com")
    monkeypatch.setenv("LEAVEFLOW_SMTP_USERNAME", "ops")
    monkeypatch.setenv("LEAVEFLOW_SMTP_PASSWORD", "hunter2")
    assert operator_smtp(Settings(data_dir=tmp_path)) == {
        "smtp_host": "smtp.example.com",
        "smtp_port": 587,
        "from": "leave@example.com",
        "username": "ops",
        "password": "hunter2",
        "starttls": True,
        "ssl": False,
    }


def test_a_server_without_a_sender_stops_the_service(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LEAVEFLOW_SMTP_FROM", raising=False)
    monkeypatch.setenv("LEAVEFLOW_SMTP_HOST", "smtp.example.com")
    with pytest.raises(ValueError, match="LEAVEFLOW_SMTP_FROM"):
        Settings(data_dir=tmp_path)

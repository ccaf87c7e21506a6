"""The Integrations page's "Add to Slack": a button to the install link notifications
hands out (a GET form carrying the ticket), only when the installation has a Slack app,
and a sentence once Slack sent the admin back."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest

from leaveflow_web.bootstrap import create_app

from .admin_fakes import AdminServices
from .conftest import WEB, settings, sign_in


@dataclass
class WithSlackApp(AdminServices):
    """Notifications with (or without) a Slack app: its install link for admins."""

    slack_app: bool = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/v1/integrations/slack/install":
            if not self.slack_app:
                return httpx.Response(404, json={"title": "Not Found", "status": 404})
            url = "https://notify.example/slack/install?ticket=gAAAA-ticket_1=="
            return httpx.Response(200, json={"url": url})
        return super().__call__(request)


async def _page(services: WithSlackApp, path: str) -> httpx.Response:
    app = create_app(settings(), transport=httpx.MockTransport(services))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        signed = await sign_in(client, "ada@acme.test")
        assert signed.status_code in (200, 303), signed.text
        return await client.get(path)


@pytest.fixture
def services() -> WithSlackApp:
    return WithSlackApp()


async def test_the_button_goes_to_the_install_link(services: WithSlackApp) -> None:
    page = await _page(services, "/admin/integrations")
    assert page.status_code == 200
    form = re.search(r'<section class="card" id="add-to-slack">.*?</section>', page.text, re.S)
    assert form is not None
    html = form.group(0)
    assert '<form method="get" action="https://notify.example/slack/install">' in html
    assert '<input type="hidden" name="ticket" value="gAAAA-ticket_1==">' in html
    assert ">Add to Slack</button>" in html
    assert "slack-installed" not in html


async def test_back_from_slack_the_page_says_it_is_added(services: WithSlackApp) -> None:
    page = await _page(services, "/admin/integrations?slack=installed")
    assert "Slack is added: people find Leaveflow under Apps in Slack." in page.text


async def test_without_a_slack_app_there_is_no_button(services: WithSlackApp) -> None:
    services.slack_app = False
    page = await _page(services, "/admin/integrations")
    assert page.status_code == 200
    assert "Add to Slack" not in page.text
    assert 'id="integration-slack"' in page.text  # the hand-wired form stays

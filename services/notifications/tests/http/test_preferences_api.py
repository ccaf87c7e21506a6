"""Reading an employee's notification preferences: what the dashboard's Notifications page
shows before anyone saves, who may read them, and which channels are worth offering."""

from __future__ import annotations

from .conftest import App
from .test_admin_api import EMAIL, SLACK

ALL_ON = {"slack": True, "teams": True, "email": True}
DEFAULTS = {"level_updates": False, "language": None}


async def test_never_chosen_reads_as_every_channel_on_and_nothing_set_up(app: App) -> None:
    own = await app.http.get("/v1/preferences/t1-ana", headers=app.auth("t1-ana", "user"))
    assert own.status_code == 200, own.text
    assert own.json() == {
        "tenant_id": "t1",
        "employee_id": "t1-ana",
        **ALL_ON,
        **DEFAULTS,
        "available": [],
    }


async def test_the_choice_saved_is_the_one_read_with_the_channels_the_company_has(
    app: App,
) -> None:
    admin = app.auth()
    for channel, body in (("slack", SLACK), ("email", EMAIL)):
        connected = await app.http.put(f"/v1/integrations/{channel}", json=body, headers=admin)
        assert connected.status_code == 200, connected.text
    ana = app.auth("t1-ana", "user")
    saved = await app.http.put("/v1/preferences/t1-ana", json={"email": False}, headers=ana)
    assert saved.status_code == 200, saved.text
    read = await app.http.get("/v1/preferences/t1-ana", headers=ana)
    assert read.json() == {
        "tenant_id": "t1",
        "employee_id": "t1-ana",
        "slack": True,
        "teams": True,
        "email": False,
        **DEFAULTS,
        "available": ["slack", "email"],
    }
    # An admin opens the same page for anyone of the company.
    assert (await app.http.get("/v1/preferences/t1-ana", headers=admin)).json() == read.json()


async def test_only_the_person_or_an_admin_reads_them_and_never_across_companies(
    app: App,
) -> None:
    anonymous = await app.http.get("/v1/preferences/t1-ana")
    assert anonymous.status_code == 401
    colleague = await app.http.get("/v1/preferences/t1-ana", headers=app.auth("t1-bo", "user"))
    assert colleague.status_code == 403
    unknown = await app.http.get("/v1/preferences/t1-nobody", headers=app.auth())
    assert unknown.status_code == 404
    foreign = await app.http.get("/v1/preferences/t1-ana", headers=app.auth("t2-cy", tenant="t2"))
    assert foreign.status_code == 404
    assert foreign.headers["content-type"].startswith("application/problem+json")


async def test_level_updates_and_language_are_kept_and_a_channels_only_form_keeps_them(
    app: App,
) -> None:
    ana = app.auth("t1-ana", "user")
    chosen = {"email": False, "level_updates": True, "language": "de"}
    saved = await app.http.put("/v1/preferences/t1-ana", json=chosen, headers=ana)
    assert saved.status_code == 200, saved.text
    assert saved.json()["level_updates"] is True
    assert saved.json()["language"] == "de"
    # A form that knows only the channels (an older dashboard) changes only those.
    channels_only = await app.http.put("/v1/preferences/t1-ana", json={"slack": False}, headers=ana)
    assert channels_only.json() == {
        "tenant_id": "t1",
        "employee_id": "t1-ana",
        "slack": False,
        "teams": True,
        "email": True,
        "level_updates": True,
        "language": "de",
    }
    read = (await app.http.get("/v1/preferences/t1-ana", headers=ana)).json()
    assert (read["level_updates"], read["language"], read["slack"]) == (True, "de", False)
    # null is a choice of its own: follow the browser again.
    back = await app.http.put("/v1/preferences/t1-ana", json={"language": None}, headers=ana)
    assert back.json()["language"] is None
    assert back.json()["level_updates"] is True


async def test_only_english_or_german_and_a_boolean_for_level_updates(app: App) -> None:
    ana = app.auth("t1-ana", "user")
    for body in ({"language": "fr"}, {"language": "DE"}, {"level_updates": "sometimes"}):
        refused = await app.http.put("/v1/preferences/t1-ana", json=body, headers=ana)
        assert refused.status_code == 422, body
    read = (await app.http.get("/v1/preferences/t1-ana", headers=ana)).json()
    assert (read["level_updates"], read["language"]) == (False, None)

"""Feeds through the HTTP app: the `.ics` matches the projection, read by two parsers;
tokens are secrets (hashed, revocable at once, never logged, never cross a tenant)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import ics
import pytest
import structlog
from icalendar import Calendar

from leaveflow_calendar.adapters.snapshot_cache import MemorySnapshotCache
from leaveflow_calendar.bootstrap import Overrides, create_app
from leaveflow_calendar.config import Settings
from leaveflow_calendar.domain.feed import token_hash
from leaveflow_calendar.service_layer import feeds as feeds_module
from leaveflow_calendar.service_layer.queries import Viewer, whos_off_views
from leaveflow_contracts import LeaveApproved, LeavePending, LeaveRepriced
from leaveflow_kit.logging import configure
from leaveflow_kit.storage import Store

T = "tenant-1"
THIS_YEAR = datetime.now(UTC).year
SOON = date(THIS_YEAR, 1, 1) + timedelta(days=200)  # inside every feed's window


def parse_icalendar(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    events = {
        str(e["UID"]): (
            e.decoded("DTSTART"),
            e.decoded("DTEND"),
            str(e["SUMMARY"]),
            int(str(e["SEQUENCE"])),
            e.decoded("LAST-MODIFIED"),
            str(e["TRANSP"]),
        )
        for e in calendar.walk("VEVENT")
    }
    return {"name": str(calendar["X-WR-CALNAME"]), "events": events}


def parse_ics(body: bytes) -> dict[str, Any]:
    """The independent parser (`ics`, built on its own grammar): dates, titles, UIDs."""
    calendar = ics.Calendar(body.decode("utf-8"))
    assert all(e.all_day for e in calendar.events)
    return {e.uid: (e.begin.date(), e.end.date(), e.name) for e in calendar.events}


def both_parsers(body: bytes) -> dict[str, Any]:
    """Parse with both libraries and insist they read the same events."""
    one = parse_icalendar(body)
    other = parse_ics(body)
    assert {uid: v[:3] for uid, v in one["events"].items()} == other
    return one


async def new_feed(
    client: httpx.AsyncClient, headers: dict[str, str], scope: str = "tenant", scope_id: str = ""
) -> dict[str, Any]:
    body = {"scope": scope, **({"scope_id": scope_id} if scope_id else {})}
    response = await client.post("/v1/feeds", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def fetch(client: httpx.AsyncClient, feed: dict[str, Any], **headers: str) -> httpx.Response:
    return await client.get(feed["url"].removeprefix("http://cal.test"), headers=headers)


async def leave_of_ana(events: Any) -> None:
    await events.standard_directory()
    await events.employee("e2", "Bo Berg", department_id="d2", location_id="l2")
    await events.approved("r1", start_date=SOON, end_date=SOON + timedelta(days=2))
    await events.approved(
        "r2", employee_id="e2", start_date=SOON, end_date=SOON, start_part="pm", amount="0.5"
    )


async def test_a_tenant_feed_holds_exactly_the_projection(
    client: httpx.AsyncClient, store: Store, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    feed = await new_feed(client, auth())
    response = await fetch(client, feed)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "private" in response.headers["cache-control"]
    parsed = both_parsers(response.content)
    assert parsed["name"] == "Acme — who's off"
    leave = {uid: v for uid, v in parsed["events"].items() if uid.startswith("leave-")}
    window = (date(THIS_YEAR - 1, 1, 1), date(THIS_YEAR + 1, 12, 31))
    views = await whos_off_views(store, MemorySnapshotCache(), Viewer(T, "admin", "admin"), *window)
    projection = [view.as_item() for view in views]
    assert {uid: v[:3] for uid, v in leave.items()} == {
        f"leave-{i['request_id']}@leaveflow": (
            date.fromisoformat(str(i["start_date"])),
            date.fromisoformat(str(i["end_date"])) + timedelta(days=1),  # DTEND is exclusive
            f"{i['employee_name']} — {i['leave_type_name']}"
            + (" (half day, afternoon)" if i["start_part"] == "pm" else ""),
        )
        for i in projection
    }
    assert all(v[5] == "TRANSPARENT" for v in parsed["events"].values())
    calendar = Calendar.from_ical(response.content)
    refresh = calendar["REFRESH-INTERVAL"].to_ical()
    assert (refresh.decode() if isinstance(refresh, bytes) else str(refresh)) == "PT1H"
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"


async def test_holidays_follow_each_locations_subdivision(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    await events.location("l3", "Lisbon", "PT", None, {date(THIS_YEAR, 6, 13): "Santo António"})
    munich = both_parsers(
        (await fetch(client, await new_feed(client, auth(), "location", "l1"))).content
    )
    berlin = both_parsers(
        (await fetch(client, await new_feed(client, auth(), "location", "l2"))).content
    )
    lisbon = both_parsers(
        (await fetch(client, await new_feed(client, auth(), "location", "l3"))).content
    )

    def holidays(parsed: dict[str, Any]) -> dict[date, str]:
        return {v[0]: v[2] for uid, v in parsed["events"].items() if uid.startswith("holiday-")}

    assumption = date(THIS_YEAR, 8, 15)  # Bavaria (catholic category, as requests prices it)
    womens_day = date(THIS_YEAR, 3, 8)  # Berlin only
    assert holidays(munich)[assumption] == "Assumption Day (public holiday, Munich)"
    assert assumption not in holidays(berlin)
    assert womens_day in holidays(berlin)
    assert womens_day not in holidays(munich)
    assert holidays(lisbon)[date(THIS_YEAR, 6, 13)] == "Santo António (public holiday, Lisbon)"
    for parsed in (munich, berlin):
        assert date(THIS_YEAR, 12, 25) in holidays(parsed)
        assert date(THIS_YEAR + 1, 1, 1) in holidays(parsed)  # next year's too
    # Each location feed shows its own people's leave only.
    assert [u for u in munich["events"] if u.startswith("leave-")] == ["leave-r1@leaveflow"]
    assert [u for u in berlin["events"] if u.startswith("leave-")] == ["leave-r2@leaveflow"]


@pytest.mark.parametrize(
    ("scope", "scope_id", "expected"),
    [
        ("tenant", "", {"r1", "r2"}),
        ("department", "d1", {"r1"}),
        ("department", "d2", {"r2"}),
        ("employee", "e2", {"r2"}),
    ],
)
async def test_scopes_select_their_leave(
    client: httpx.AsyncClient,
    events: Any,
    auth: Any,
    scope: str,
    scope_id: str,
    expected: set[str],
) -> None:
    await leave_of_ana(events)
    # Anyone may follow the tenant or a person; a department is for admins and its approvers.
    caller = auth() if scope == "department" else auth("e1", "user")
    feed = await new_feed(client, caller, scope, scope_id)
    parsed = both_parsers((await fetch(client, feed)).content)
    leave = {u.split("@")[0].removeprefix("leave-") for u in parsed["events"] if "leave-" in u}
    assert leave == expected


async def test_pending_leave_never_reaches_a_feed(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await events.standard_directory()
    await events.deliver(LeavePending(**events.facts("r1", start_date=SOON, end_date=SOON)))
    parsed = both_parsers((await fetch(client, await new_feed(client, auth()))).content)
    assert not [u for u in parsed["events"] if u.startswith("leave-")]


async def test_changes_bump_sequence_and_last_modified_with_a_stable_uid(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    feed = await new_feed(client, auth(), "employee", "e1")
    uid = "leave-r1@leaveflow"
    seen = [parse_icalendar((await fetch(client, feed)).content)["events"][uid]]
    await events.employee("e1", "Ana Souza")  # a rename
    seen.append(parse_icalendar((await fetch(client, feed)).content)["events"][uid])
    await events.leave_type("vac", "Annual leave")  # the type renamed
    seen.append(parse_icalendar((await fetch(client, feed)).content)["events"][uid])
    await events.deliver(  # re-priced: a holiday was added inside it
        LeaveRepriced(**events.facts("r1", amount="2"), old_amount="3", status="approved")
    )
    seen.append(parse_icalendar((await fetch(client, feed)).content)["events"][uid])
    assert [s[2] for s in seen] == [
        "Ana Lima — Vacation",
        "Ana Souza — Vacation",
        "Ana Souza — Annual leave",
        "Ana Souza — Annual leave",
    ]
    sequences = [s[3] for s in seen]
    modified = [s[4] for s in seen]
    assert sequences == sorted(set(sequences))
    assert modified == sorted(set(modified))


async def test_etag_answers_304_and_changes_when_leave_is_cancelled(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    feed = await new_feed(client, auth())
    first = await fetch(client, feed)
    etag = first.headers["etag"]
    again = await fetch(client, feed, **{"if-none-match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag
    weak = await fetch(client, feed, **{"if-none-match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    # An event elsewhere in the tenant re-renders the same bytes: the ETag holds.
    await events.department("d9", "Legal")
    assert (await fetch(client, feed, **{"if-none-match": etag})).status_code == 304
    await events.cancelled("r1")
    after = await fetch(client, feed, **{"if-none-match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    assert "leave-r1@leaveflow" not in both_parsers(after.content)["events"]
    assert "leave-r2@leaveflow" in both_parsers(after.content)["events"]


async def test_a_revoked_feed_is_404_at_once_even_when_cached(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    feed = await new_feed(client, auth("e1", "user"))
    assert (await fetch(client, feed)).status_code == 200  # now cached
    deleted = await client.delete(f"/v1/feeds/{feed['id']}", headers=auth("e1", "user"))
    assert deleted.status_code == 204
    gone = await fetch(client, feed)
    assert gone.status_code == 404
    assert feed["token"] not in gone.text
    again = await client.delete(f"/v1/feeds/{feed['id']}", headers=auth("e1", "user"))
    assert again.status_code == 404


async def test_unknown_tokens_are_plain_404s(client: httpx.AsyncClient) -> None:
    for path in ("/ical/nope.ics", "/ical/" + "A" * 43 + ".ics"):
        response = await client.get(path)
        assert response.status_code == 404
        assert "nope" not in response.text


async def test_tokens_are_random_long_and_stored_only_as_a_hash(
    client: httpx.AsyncClient, store: Store, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    made = [await new_feed(client, auth()) for _ in range(3)]
    tokens = {f["token"] for f in made}
    assert len(tokens) == 3
    assert all(len(t) >= 43 for t in tokens)  # 32 random bytes, base64url: 256 bits
    stored = json.dumps(await store.find("feeds", {"tenant_id": T}))
    assert not any(t in stored for t in tokens)
    assert all(token_hash(t) in stored for t in tokens)
    listed = await client.get("/v1/feeds", headers=auth())
    assert not any(t in listed.text for t in tokens)
    assert {i["id"] for i in listed.json()["items"]} == {f["id"] for f in made}


async def test_a_token_of_one_tenant_never_shows_another(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    await events.standard_directory(tenant="tenant-2")  # same ids, another tenant
    await events.approved("z9", tenant="tenant-2", start_date=SOON, end_date=SOON)
    other = auth(tenant="tenant-2")
    theirs = await new_feed(client, other)
    uids = set(both_parsers((await fetch(client, theirs)).content)["events"])
    assert "leave-z9@leaveflow" in uids
    assert not uids & {"leave-r1@leaveflow", "leave-r2@leaveflow"}
    # The same ids in another tenant address other records: renaming theirs leaves ours.
    await events.employee("e1", "Zed Zorn", tenant="tenant-2")
    ours = await new_feed(client, auth())
    our_events = both_parsers((await fetch(client, ours)).content)["events"]
    assert "leave-z9@leaveflow" not in our_events
    assert our_events["leave-r1@leaveflow"][2] == "Ana Lima — Vacation"
    # Another tenant's admin can neither see nor revoke our feed.
    assert (await client.delete(f"/v1/feeds/{ours['id']}", headers=other)).status_code == 404
    listed = (await client.get("/v1/feeds", headers=other)).json()["items"]
    assert [i["id"] for i in listed] == [theirs["id"]]
    assert (await fetch(client, ours)).status_code == 200


async def test_scope_ids_must_be_of_the_callers_tenant(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    await events.department("dx", "Theirs", tenant="tenant-2")
    cases = [
        ({"scope": "department", "scope_id": "dx"}, "scope_id"),
        ({"scope": "department"}, "scope_id"),
        ({"scope": "employee", "scope_id": "nobody"}, "scope_id"),
        ({"scope": "planet"}, "scope"),
    ]
    for body, field in cases:
        response = await client.post("/v1/feeds", json=body, headers=auth())
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (await client.post("/v1/feeds", json={"scope": "tenant"})).status_code == 401


async def test_a_scope_the_projection_has_not_heard_of_is_checked_with_the_directory(
    client: httpx.AsyncClient, events: Any, auth: Any, directory: Any
) -> None:
    await leave_of_ana(events)
    directory.known.add("d-new")  # created in requests, its event still on the way
    made = await new_feed(client, auth(), "department", "d-new")
    assert made["scope_id"] == "d-new"
    assert directory.asked == [(auth()["authorization"], "department", "d-new")]
    await new_feed(client, auth(), "department", "d1")  # known: not asked
    assert len(directory.asked) == 1


async def test_users_list_and_revoke_only_their_own_feeds(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    ana = await new_feed(client, auth("e1", "user"))
    bo = await new_feed(client, auth("e2", "user"))
    mine = (await client.get("/v1/feeds", headers=auth("e1", "user"))).json()["items"]
    assert [i["id"] for i in mine] == [ana["id"]]
    stolen = await client.delete(f"/v1/feeds/{bo['id']}", headers=auth("e1", "user"))
    assert stolen.status_code == 404
    assert (await client.delete(f"/v1/feeds/{bo['id']}", headers=auth())).status_code == 204


async def test_a_feed_dies_when_its_owner_leaves(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    feed = await new_feed(client, auth("e2", "user"))
    assert (await fetch(client, feed)).status_code == 200
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    await events.employee("e2", "Bo Berg", department_id="d2", location_id="l2", end_date=yesterday)
    assert (await fetch(client, feed)).status_code == 404


@pytest.fixture
def service_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The service's logging set up as in production, at DEBUG, onto the captured stdout;
    logging is process-global, so everything is put back afterwards."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    configure("calendar", "DEBUG")
    structlog.configure(cache_logger_on_first_use=False)  # no logger kept bound to capsys
    # The test's own HTTP client logs the URLs it calls; only the service's lines count.
    monkeypatch.setattr(logging.getLogger("httpx"), "disabled", True)
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


@pytest.mark.usefixtures("service_logging")
async def test_tokens_never_reach_the_logs(
    client: httpx.AsyncClient,
    events: Any,
    auth: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await leave_of_ana(events)
    feed = await new_feed(client, auth())
    assert (await fetch(client, feed)).status_code == 200
    assert (await client.get("/ical/not-a-token.ics")).status_code == 404

    async def broken(*args: Any) -> None:
        raise RuntimeError(f"store down while serving {args[2]}")

    monkeypatch.setattr(feeds_module, "feed_document", broken)
    failing = await fetch(client, feed)
    assert failing.status_code == 503
    assert feed["token"] not in failing.text
    logged = capsys.readouterr().out
    assert "feed_failed" in logged  # the failure was logged...
    assert feed["token"] not in logged  # ...without the token
    assert "not-a-token" not in logged


async def test_a_thousand_people_with_a_year_of_leave_are_served_warm_under_50_ms(
    client: httpx.AsyncClient, store: Store, events: Any, auth: Any
) -> None:
    await events.standard_directory()
    for i in range(1000):
        await events.employee(f"p{i}", f"Person {i}", department_id=f"d{i % 2 + 1}")
    start = date(THIS_YEAR, 1, 5)
    for n in range(5000):  # five week-long leaves each across the year
        first = start + timedelta(days=(n * 7) % 350)
        await events.deliver(
            LeaveApproved(
                **events.facts(
                    f"q{n}",
                    employee_id=f"p{n % 1000}",
                    start_date=first,
                    end_date=first + timedelta(days=4),
                    amount="5",
                )
            )
        )
    feed = await new_feed(client, auth())
    cold = await fetch(client, feed)
    assert cold.status_code == 200
    assert cold.content.count(b"BEGIN:VEVENT") >= 5000
    timings = []
    for _ in range(20):
        began = datetime.now(UTC)
        warm = await fetch(client, feed)
        timings.append((datetime.now(UTC) - began).total_seconds())
        assert warm.content == cold.content
    timings.sort()
    assert timings[len(timings) // 2] < 0.05, timings


async def test_gzip_when_asked_with_its_own_etag_and_either_etag_revalidates(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    feed = await new_feed(client, auth())
    plain = await fetch(client, feed, **{"accept-encoding": "identity"})
    zipped = await fetch(client, feed, **{"accept-encoding": "br;q=1, gzip;q=0.8"})
    refused = await fetch(client, feed, **{"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in plain.headers
    assert "content-encoding" not in refused.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decoded it
    assert zipped.headers["etag"] != plain.headers["etag"]
    assert "accept-encoding" in zipped.headers["vary"].lower()
    for etag in (plain.headers["etag"], zipped.headers["etag"]):
        assert (await fetch(client, feed, **{"if-none-match": etag})).status_code == 304


async def test_every_instance_sees_a_change_handled_by_any_other(
    client: httpx.AsyncClient, app: Any, store: Store, events: Any, auth: Any, directory: Any
) -> None:
    """Two calendar instances on one store: each keeps its own cache, yet neither serves
    a document made stale by an event (the tenant's version lives in the store)."""
    second = create_app(
        Settings(calendar_url="http://cal.test"),
        overrides=Overrides(
            store=store, verifier=app.state.token_verifier, directory_for=directory.for_caller
        ),
    )
    transport = httpx.ASGITransport(app=second)
    async with httpx.AsyncClient(transport=transport, base_url="http://cal.test") as other:
        await leave_of_ana(events)
        feed = await new_feed(client, auth())
        for http in (client, other):  # both caches warm
            assert "leave-r1@leaveflow" in both_parsers((await fetch(http, feed)).content)["events"]
        await events.cancelled("r1")
        for http in (client, other):
            assert (
                "leave-r1@leaveflow"
                not in both_parsers((await fetch(http, feed)).content)["events"]
            )
        revoked = await other.delete(f"/v1/feeds/{feed['id']}", headers=auth())
        assert revoked.status_code == 204
        assert (await fetch(client, feed)).status_code == 404


async def test_head_of_a_feed_answers_its_headers_without_the_body(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await leave_of_ana(events)
    feed = await new_feed(client, auth())
    full = await fetch(client, feed)
    head = await client.head(feed["url"].removeprefix("http://cal.test"))
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["etag"] == full.headers["etag"]
    assert head.headers["content-type"].startswith("text/calendar")
    assert (await client.head("/ical/not-a-token.ics")).status_code == 404

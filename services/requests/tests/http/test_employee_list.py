"""`GET /v1/employees` (issue 19 serialises its pages on their own path): every person of
the tenant once, in pages of `limit` with a cursor, each item exactly what
`GET /v1/employees/{id}` answers for that person, and nobody of another tenant."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, Company, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def walk(company: Company, who: str, limit: int) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        url = f"/v1/employees?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = await company.call(who, "GET", url)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_pages_hold_everyone_once_as_the_single_get_shows_them(
    api: Api, company: Company
) -> None:
    part_time = {
        "name": "Pia",
        "email": "pia@acme.test",
        "role": "approver",
        "location_id": company.ids["office"],
        "department_id": company.ids["sales"],
        "start_date": "2020-02-03",
        "work_hours_per_day": 7.5,
        "work_pattern": {"1": 7.5, "3": 4},
        "labels": ["senior"],
        "slack_user_id": "U1",
    }
    await company.ok("ada", "POST", "/v1/employees", part_time)
    other = await sign_up(api, "Other")
    pages = await walk(company, "ana", limit=2)
    assert [len(p) for p in pages] == [2, 2, 1]
    items = [item for page in pages for item in page]
    assert len({i["id"] for i in items}) == 5
    assert other.ids["ada"] not in {i["id"] for i in items}
    for item in items:
        assert item == await company.ok("ada", "GET", f"/v1/employees/{item['id']}")
    pia = next(i for i in items if i["email"] == "pia@acme.test")
    assert pia["work_hours_per_day"] == 7.5
    assert pia["work_pattern"] == {"1": 7.5, "3": 4}
    assert (pia["labels"], pia["start_date"], pia["end_date"]) == (["senior"], "2020-02-03", None)
    assert "request_guard" not in pia
    # One page of everyone is the same people in the same order.
    assert await walk(company, "ana", limit=1000) == [items]


async def test_the_list_needs_a_token_and_bounds_its_limit(company: Company) -> None:
    assert (await company.call(None, "GET", "/v1/employees")).status_code == 401
    too_many = await company.call("ada", "GET", "/v1/employees?limit=1001")
    assert too_many.status_code == 422, too_many.text


async def test_department_and_location_narrow_the_list_and_page_within_it(
    company: Company,
) -> None:
    ids = company.ids
    for i in range(3):
        person = {"name": f"S{i}", "email": f"s{i}@acme.test", "department_id": ids["sales"]}
        person["location_id"] = ids["remote"] if i == 2 else ids["office"]
        await company.ok("ada", "POST", "/v1/employees", person)

    async def emails(query: str, limit: int = 1000) -> list[list[str]]:
        pages, cursor = [], None
        while True:
            url = f"/v1/employees?limit={limit}&{query}" + (f"&cursor={cursor}" if cursor else "")
            body = await company.ok("bob", "GET", url)
            pages.append([i["email"] for i in body["items"]])
            cursor = body["next_cursor"]
            if cursor is None:
                return pages

    sales = ["ana@acme.test", "ben@acme.test", "s0@acme.test", "s1@acme.test", "s2@acme.test"]
    assert await emails(f"department_id={ids['sales']}") == [sales]
    assert await emails(f"department_id={ids['sales']}", limit=2) == [
        sales[:2],
        sales[2:4],
        sales[4:],
    ]
    both = f"department_id={ids['sales']}&location_id={ids['remote']}"
    assert await emails(both) == [["s2@acme.test"]]
    at_office = await emails(f"location_id={ids['office']}")
    assert at_office == [["bob@acme.test", *sales[:4]]]
    assert await emails("department_id=nothing-here") == [[]]
    # An empty filter is no filter.
    everyone = await emails("department_id=&location_id=")
    assert len(everyone[0]) == 7

"""The visibility rule: admins see all, approvers their departments and themselves, users
themselves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leaveflow_kit.auth import Principal
from leaveflow_kit.auth.scope import Scope, scope_of

DEPARTMENTS = [
    ("sales", ["ann", "bob"]),
    ("ops", ["bob"]),
    ("dev", []),
]


def who(employee_id: str, role: str) -> Principal:
    return Principal(tenant_id="t1", employee_id=employee_id, role=role)


@pytest.mark.parametrize(
    ("caller", "employee_id", "department_id", "covered"),
    [
        (who("root", "admin"), "zed", "dev", True),
        (who("root", "admin"), "zed", None, True),
        (who("ann", "approver"), "zed", "sales", True),
        (who("ann", "approver"), "zed", "ops", False),
        (who("ann", "approver"), "zed", None, False),
        (who("ann", "approver"), "ann", "dev", True),  # herself, in another department
        (who("bob", "approver"), "zed", "ops", True),
        (who("bob", "approver"), "zed", "sales", True),
        (who("bob", "approver"), "zed", "dev", False),
        (who("cat", "approver"), "zed", "sales", False),  # approves for nothing
        (who("cat", "approver"), "cat", None, True),
        (who("ann", "user"), "zed", "sales", False),  # demoted, still listed
        (who("ann", "user"), "ann", "sales", True),
        (who("dan", "user"), "dan", None, True),
        (who("dan", "user"), "zed", "dev", False),
    ],
)
def test_covers(
    caller: Principal, employee_id: str, department_id: str | None, covered: bool
) -> None:
    assert scope_of(caller, DEPARTMENTS).covers(employee_id, department_id) is covered


@pytest.mark.parametrize(
    ("caller", "everyone", "department_ids"),
    [
        (who("root", "admin"), True, frozenset()),
        (who("ann", "approver"), False, frozenset({"sales"})),
        (who("bob", "approver"), False, frozenset({"sales", "ops"})),
        (who("ann", "user"), False, frozenset()),
    ],
)
def test_the_scope_names_the_departments_approved_for(
    caller: Principal, everyone: bool, department_ids: frozenset[str]
) -> None:
    scope = scope_of(caller, DEPARTMENTS)
    assert (scope.everyone, scope.department_ids) == (everyone, department_ids)
    for department_id, _ in DEPARTMENTS:
        assert scope.covers_department(department_id) is (
            everyone or department_id in department_ids
        )


def test_departments_may_be_a_one_shot_iterable() -> None:
    scope = scope_of(who("bob", "approver"), ((d, iter(a)) for d, a in DEPARTMENTS))
    assert scope.department_ids == {"sales", "ops"}


ids = st.sampled_from(["a", "b", "c", "d"])
department_ids = st.sampled_from(["x", "y", "z"])
departments = st.lists(st.tuples(department_ids, st.lists(ids)), max_size=5)
roles = st.sampled_from(["admin", "approver", "user", "other"])


@given(
    caller=ids, role=roles, table=departments, employee=ids, department=st.none() | department_ids
)
def test_the_rule_holds_for_any_table(
    caller: str,
    role: str,
    table: list[tuple[str, list[str]]],
    employee: str,
    department: str | None,
) -> None:
    scope = scope_of(who(caller, role), table)
    approves = {d for d, approvers in table if caller in approvers}
    expected = (
        role == "admin"
        or employee == caller
        or (role == "approver" and department is not None and department in approves)
    )
    assert scope.covers(employee, department) is expected
    assert isinstance(scope, Scope)
    # a caller's own data is always in scope
    assert scope.covers(caller, department)

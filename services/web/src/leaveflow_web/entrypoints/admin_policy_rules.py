"""The policy form's request rules and entitlements (issue 17), form fields <-> JSON (pure).

Every rule is optional and an empty field means "off": the PUT replaces the policy, so a
rule left out is a rule removed. Seniority steps and label extras are a few rows of two
inputs each; a row with both inputs empty is no step.
"""

from __future__ import annotations

from typing import Any

from .. import problems
from ..api import ApiError
from ..i18n import N_, ngettext
from ..i18n import gettext as _
from .admin_forms import _plain, checked, number

# Plain number fields, named as the API names them.
RULE_FIELDS = ("min_notice_days", "max_days_ahead", "max_consecutive", "probation_days")
ENTITLEMENT_FIELDS = ("accrual_cap",)

# Every form field this module reads, for ``form_fields``.
TEXT_FIELDS = (
    *RULE_FIELDS, *ENTITLEMENT_FIELDS, "sandwich", "seniority_from", "toil_expiry_months",
)  # fmt: skip


def _rows(form: Any, first: str, second: str) -> list[tuple[str, str]]:
    """The (first, second) pairs typed in the rows, empty rows dropped."""
    lefts = [str(v).strip() for v in form.getlist(first)]
    rights = [str(v).strip() for v in form.getlist(second)]
    rights += [""] * (len(lefts) - len(rights))
    return [(a, b) for a, b in zip(lefts, rights, strict=False) if a or b]


def rules_body(form: Any, fields: dict[str, str]) -> dict[str, Any]:
    """The rule and entitlement fields of a policy PUT (only those that are on)."""
    body: dict[str, Any] = {
        name: number(fields[name]) for name in (*RULE_FIELDS, *ENTITLEMENT_FIELDS) if fields[name]
    }
    if fields["sandwich"] not in ("", "off"):
        body["sandwich"] = fields["sandwich"]
    steps = _rows(form, "seniority_years", "seniority_extra")
    if steps:
        body["seniority"] = [
            {"after_years": number(years), "extra": number(extra or "0")} for years, extra in steps
        ]
        body["seniority_from"] = fields["seniority_from"] or "anniversary"
    extras = _rows(form, "label", "label_extra")
    if extras:
        body["label_extra"] = [{"label": label, "extra": number(e or "0")} for label, e in extras]
    if checked(form, "toil"):
        months = fields["toil_expiry_months"]
        body["toil"] = {"expiry_months": number(months)} if months else {}
    return body


def rules_values(form: Any, fields: dict[str, str]) -> dict[str, Any]:
    """What was typed, to show the form again after a refusal."""
    values: dict[str, Any] = {name: fields[name] for name in TEXT_FIELDS}
    values["seniority"] = _rows(form, "seniority_years", "seniority_extra")
    values["label_extra"] = _rows(form, "label", "label_extra")
    if checked(form, "toil"):
        values["toil"] = "on"
    return values


def saved_rules_values(policy: dict[str, Any]) -> dict[str, Any]:
    """A saved policy's rules as the form's fields."""
    values: dict[str, Any] = {
        name: "" if policy.get(name) is None else _plain(policy[name])
        for name in (*RULE_FIELDS, *ENTITLEMENT_FIELDS)
    }
    values["sandwich"] = str(policy.get("sandwich") or "off")
    values["seniority_from"] = str(policy.get("seniority_from") or "anniversary")
    steps = policy.get("seniority") or []
    values["seniority"] = [(_plain(s.get("after_years")), _plain(s.get("extra"))) for s in steps]
    values["label_extra"] = [
        (str(r.get("label", "")), _plain(r.get("extra"))) for r in policy.get("label_extra") or []
    ]
    toil = policy.get("toil")
    if isinstance(toil, dict):
        values["toil"] = "on"
        months = toil.get("expiry_months")
        values["toil_expiry_months"] = "" if months is None else str(months)
    else:
        values["toil_expiry_months"] = ""
    return values


def rule_errors(problem: ApiError) -> dict[str, str]:
    """The API's field errors as sentences keyed by the form's fields: "seniority.0.extra"
    is about the seniority rows, "toil.expiry_months" about the expiry months."""
    out: dict[str, str] = {}
    for error in problem.errors:
        field = str(error.get("field", "") or "body")
        message = str(error.get("message", ""))
        head = field.split(".")[0]
        if head == "toil":
            head = "toil_expiry_months"
        if head not in FORM_ERRORS:
            continue
        out.setdefault(head, _rule_sentence(head, field, message))
    return out


def _rule_sentence(head: str, field: str, message: str) -> str:
    lowered = message.lower()
    if "below min_notice_days" in lowered:
        return _("Allow at least as many days ahead as the notice needs, or no day could be asked.")
    if "one step per" in lowered:
        return _("Give each number of years one step only.")
    if "one rule per label" in lowered:
        return _("Give each label one extra only.")
    if "cannot be unlimited" in lowered:
        return _("Time off in lieu counts what was earned: untick Unlimited to use it.")
    return problems.field_sentence(field, message)


# The form's fields a rule error is shown at.
FORM_ERRORS = (*TEXT_FIELDS, "seniority", "label_extra", "unlimited")


def rules_summary(policy: dict[str, Any]) -> str:
    """The rules and extras a saved policy has, in a few words ("" for none)."""
    parts: list[str] = []
    notice = policy.get("min_notice_days")
    if notice is not None:
        parts.append(ngettext("%(num)s day's notice", "%(num)s days' notice", int(notice)))
    ahead = policy.get("max_days_ahead")
    if ahead is not None:
        parts.append(
            ngettext("at most %(num)s day ahead", "at most %(num)s days ahead", int(ahead))
        )
    if policy.get("max_consecutive") is not None:
        parts.append(_("at most %(amount)s in a row", amount=_plain(policy["max_consecutive"])))
    probation = policy.get("probation_days")
    if probation is not None:
        parts.append(
            ngettext("%(num)s day of probation", "%(num)s days of probation", int(probation))
        )
    sandwich = SANDWICH_WORDS.get(str(policy.get("sandwich") or "off"))
    if sandwich:
        parts.append(_(sandwich))
    if policy.get("accrual_cap") is not None:
        parts.append(_("accrual stops at %(amount)s", amount=_plain(policy["accrual_cap"])))
    for step in policy.get("seniority") or []:
        parts.append(_("+%(extra)s after %(years)s years", extra=_plain(step.get("extra")),
                       years=step.get("after_years")))  # fmt: skip
    for rule in policy.get("label_extra") or []:
        parts.append(_("+%(extra)s for %(label)s", extra=_plain(rule.get("extra")),
                       label=rule.get("label")))  # fmt: skip
    if isinstance(policy.get("toil"), dict):
        parts.append(_("time off in lieu"))
    return "; ".join(parts)


SANDWICH_WORDS = {
    "weekends": N_("weekends between leave days count"),
    "holidays": N_("holidays between leave days count"),
    "both": N_("weekends and holidays between leave days count"),
}

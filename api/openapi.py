"""What the OpenAPI document says beyond what FastAPI derives from the routes: operation ids, and the
schemas of bodies that the routes read themselves (the scenario, whose changes are tagged by type).

Operation ids are the routes' names (`create_run`, `get_run_kpis`, `list_datasets`): stable, unique
(checked here, when the document is built), and what generated clients name their functions after.
"""

from __future__ import annotations

from collections import Counter

from fastapi.routing import APIRoute

from models.scenario import CHANGE_TYPES, Scenario

#: A scenario's changes are written `- capacity: {...}`: one key naming the change type.
CHANGE_KINDS = CHANGE_TYPES
SCENARIO_SCHEMA = "ScenarioDefinition"
_REF = "#/components/schemas/{model}"


def operation_id(route: APIRoute) -> str:
    """A route's operation id: its name (the handler's, or the `name=` it was added with)."""
    return route.name


def check_operation_ids(schema: dict) -> None:
    """Every operation id occurs once (a generated client has one function per id)."""
    ids = Counter(op.get("operationId") for item in schema.get("paths", {}).values() for op in item.values())
    repeated = sorted(str(i) for i, n in ids.items() if n > 1)
    if repeated:
        raise RuntimeError(f"operation ids used more than once: {', '.join(repeated)}")


def add_scenario_schema(components: dict) -> dict:
    """Add `ScenarioDefinition` (a scenario as `scenarios/*.yaml` holds it, as JSON: `models.scenario.Scenario`
    with changes tagged by type) and the schemas it refers to; return a reference to it."""
    body = Scenario.model_json_schema(ref_template=_REF)
    components.update(body.pop("$defs", {}))
    items = []
    for kind, model in CHANGE_KINDS.items():
        name = f"{model.__name__}Item"
        components[name] = {
            "type": "object",
            "title": name,
            "description": f"A `{kind}` change: {model.__doc__ or ''}".strip(),
            "properties": {kind: {"$ref": _REF.format(model=model.__name__)}},
            "required": [kind],
            "additionalProperties": False,
        }
        items.append({"$ref": _REF.format(model=name)})
    body["properties"]["changes"] = {
        "type": "array",
        "title": "Changes",
        "description": "What the scenario changes, in order: each item names one change type.",
        "items": {"oneOf": items},
    }
    body["title"] = SCENARIO_SCHEMA
    body["description"] = (
        "A scenario as in `scenarios/*.yaml` (`models.scenario.Scenario`): `dataset` names a stored dataset. "
        "Weeks are ISO labels (`2025-W14`); a change's `weeks` is `{first, last}` or the text `2025-W26..2025-W32`."
    )
    components[SCENARIO_SCHEMA] = body
    return {"$ref": _REF.format(model=SCENARIO_SCHEMA)}


def type_scenarios(schema: dict) -> None:
    """The scenario's schema where the document refers to a scenario: the JSON body of POST /scenarios and
    `ScenarioPublic.definition`."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    ref = add_scenario_schema(components)
    public = components.get("ScenarioPublic", {}).get("properties", {})
    if "definition" in public:
        public["definition"] = {**ref, "description": "The scenario in its YAML form, as JSON."}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if operation.get("operationId") != "create_scenario":
                continue
            json_body = operation["requestBody"]["content"]["application/json"]
            json_body["schema"] = ref

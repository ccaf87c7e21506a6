"""Write the JSON Schema of the envelope and of every event payload to a folder.

Usage: python -m leaveflow_contracts.schema_export docs/events
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .envelope import Envelope
from .registry import EVENT_TYPES


def export(target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    schemas = {"Envelope.json": Envelope.model_json_schema(mode="serialization")}
    for cls in EVENT_TYPES:
        schema = cls.model_json_schema(mode="serialization")
        schema["x-producer"] = cls.PRODUCER
        schemas[f"{cls.EVENT_TYPE}.v{cls.VERSION}.json"] = schema
    for name, schema in schemas.items():
        path = target / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/events")
    for path in export(target):
        print(path)


if __name__ == "__main__":
    main()

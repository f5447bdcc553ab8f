"""A pass over the models module: its classes derive from `specfirst_runtime.deferred.BaseModel`
(Pydantic's, with `defer_build`), so importing the module builds no validators.

Only the import changes: `from pydantic import BaseModel` becomes
`from specfirst_runtime.deferred import BaseModel`. Classes, fields and JSON Schemas stay as
datamodel-code-generator wrote them (its `ConfigDict` has no `defer_build` key).
"""

from __future__ import annotations

import ast

RUNTIME_IMPORT = "from specfirst_runtime.deferred import BaseModel"


def defer_models(source: str) -> str:
    """`source` with `BaseModel` imported from the runtime instead of from pydantic."""
    tree = ast.parse(source)
    for node in tree.body:
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "pydantic"
            and node.level == 0
            and any(a.name == "BaseModel" and a.asname is None for a in node.names)
        ):
            kept = [a for a in node.names if not (a.name == "BaseModel" and a.asname is None)]
            lines = source.splitlines(keepends=True)
            replacement = [RUNTIME_IMPORT + "\n"]
            if kept:
                names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in kept)
                replacement.insert(0, f"from pydantic import {names}\n")
            assert node.end_lineno is not None
            lines[node.lineno - 1 : node.end_lineno] = replacement
            return "".join(lines)
    return source

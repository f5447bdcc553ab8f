"""What the models stage hands the view builder: the models module and the classes it defines.

The view builder needs to know which classes datamodel-code-generator produced (whether a
readOnly/writeOnly schema was split into `...Request`/`...Response`, for instance). This is the
interface it reads them through. Until the models layer reports them itself, `read_classes`
takes them from the module's syntax tree (its top-level class statements), never from a text
pattern.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class GeneratedModels:
    source: str  # the text of models.py
    classes: frozenset[str]  # every class it defines at module level


def read_classes(source: str) -> GeneratedModels:
    tree = ast.parse(source)
    names = frozenset(node.name for node in tree.body if isinstance(node, ast.ClassDef))
    return GeneratedModels(source=source, classes=names)

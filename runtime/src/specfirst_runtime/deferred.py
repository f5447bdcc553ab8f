"""The base of generated models: Pydantic's `BaseModel`, built on first use.

A generated `models.py` can hold thousands of classes (GitHub's contract: about 4,000 models);
building every validator and serializer at import costs about a second of CPU there. With
`defer_build` a class is built when it is first validated, constructed or reached from
another class being built. An app builds the body models of a tag's routes when it builds
those routes (`specfirst_runtime.routing`), on the first request to one of them.
"""

from __future__ import annotations

import pydantic

__all__ = ["BaseModel"]


class BaseModel(pydantic.BaseModel):
    """`pydantic.BaseModel` with `defer_build=True`; subclasses' own config is merged in."""

    model_config = pydantic.ConfigDict(defer_build=True)

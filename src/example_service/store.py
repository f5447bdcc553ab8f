"""In-memory records; kept apart from the API models, which are converted at the service boundary."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field


@dataclass
class PetRecord:
    id: int
    name: str
    species: str
    nickname: str | None
    nickname_set: bool
    weight_kg: float | None
    microchip: str | None
    version: int = 1


@dataclass
class Store:
    pets: dict[int, PetRecord] = field(default_factory=dict)
    photos: dict[str, tuple[int, int, str | None]] = field(default_factory=dict)
    feedback: list[tuple[int, str | None]] = field(default_factory=list)
    adoptions: dict[str, int] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

"""The datamodel-code-generator work an edit of one schema triggers, without timing anything.

    uv run python bench/edit_reach.py [CONTRACT] [--top N] [--every K] [--bench N]

For every schema of the models document (the contract's component schemas, and the schemas
hoisted out of them), its `description` is set to a new text in the built document, the parts
are planned again (`parts.plan_parts_of`, on the schema's new JSON and facts), and the bytes
of the part documents that are not among the cold run's (the cache misses: what
datamodel-code-generator must run, identical documents counted once) are summed. Printed: the
median, 90th and 99th percentile and largest of those sums, the cold run's part bytes (every
distinct part document) beside the models document's own schema bytes, the largest parts, and
the schemas whose edit re-runs the most. datamodel-code-generator costs about 5 µs per byte of
part document on this machine (docs/speed.md), so 200 kB is about 1 s of its CPU.
`--every K` measures every K-th schema only (a quicker look); `--bench N` measures instead the
schema edits of `bench_generate.py`'s edit loops (`EDITS`, indexes 0 to N-1, applied to the
contract one after the other, as the loops do). Measured for docs/speed.md
("Part sizes (session 7)").
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
from pathlib import Path
from typing import Any

from specfirst.generator.build import plan_models
from specfirst.generator.pydantic_models.document import ModelsDocument
from specfirst.generator.pydantic_models.parts import Part, plan_parts_of, schema_facts
from specfirst.generator.schemas import MARK_KEY
from specfirst.loader import load_contract

GITHUB = Path("/work/shared/corpus/specs/github-api.json")
EDITED = "Edited by bench/edit_reach.py."


def models_document(contract: Path) -> ModelsDocument:
    document = load_contract(contract).document
    return ModelsDocument.from_document(plan_models(document).build(document))


def part_bytes(parts: list[Part]) -> dict[str, int]:
    """Each distinct part document → its size in UTF-8 bytes (what datamodel-code-generator reads)."""
    return {part.text: len(part.text.encode()) for part in parts}


def edited(text: str) -> str | None:
    """The schema's JSON with its description replaced (or added); None: not an object."""
    schema: Any = json.loads(text)
    if not isinstance(schema, dict):
        return None
    schema["description"] = EDITED
    return json.dumps(schema, ensure_ascii=False)


def reach(models: ModelsDocument, cold: dict[str, int], name: str) -> tuple[int, int] | None:
    """(bytes, parts) of the part documents an edit of `name`'s description makes run."""
    text = edited(models.texts[name])
    if text is None:
        return None
    texts = {**models.texts, name: text}
    facts = {**models.facts, name: schema_facts(json.loads(text))}
    missed = {t: n for t, n in part_bytes(plan_parts_of(models.header, texts, facts)).items()}
    missed = {t: n for t, n in missed.items() if t not in cold}
    return sum(missed.values()), len(missed)


def bench_reach(contract: Path, runs: int) -> None:
    """The part bytes each of the bench's schema edits re-runs (its models document rebuilt)."""
    import bench_generate

    document = load_contract(contract).document
    models = ModelsDocument.from_document(plan_models(document).build(document))
    cold = part_bytes(plan_parts_of(models.header, models.texts, models.facts))
    for kind, edit in bench_generate.EDITS.items():
        if "operation" in kind:
            continue  # the schemas are unchanged: the models are taken whole from the cache
        found = []
        for index in range(runs):
            edit(document, index)
            built = plan_models(document).build(copy.deepcopy(document))
            models = ModelsDocument.from_document(built)
            now = part_bytes(plan_parts_of(models.header, models.texts, models.facts))
            found.append(sum(n for t, n in now.items() if t not in cold) / 1e3)
            cold = now
        print(f"{kind}: kB re-run {', '.join(f'{kb:.1f}' for kb in found)}")


def percentile(values: list[int], fraction: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("contract", nargs="?", type=Path, default=GITHUB)
    parser.add_argument("--top", type=int, default=12, help="how many of the heaviest to list")
    parser.add_argument("--every", type=int, default=1, help="measure every K-th schema only")
    parser.add_argument("--bench", type=int, default=0, help="the bench's edits 0..N-1 instead")
    args = parser.parse_args()
    if args.bench:
        bench_reach(args.contract, args.bench)
        return

    models = models_document(args.contract)
    mark = models.header.get("info", {}).get(MARK_KEY, "")
    parts = plan_parts_of(models.header, models.texts, models.facts)
    if not parts:
        print("one run: the document is not split")
        return
    cold = part_bytes(parts)
    schema_bytes = sum(len(text.encode()) for text in models.texts.values())
    total = sum(cold.values())
    print(
        f"{len(models.texts)} schemas, {schema_bytes / 1e3:.0f} kB; {len(parts)} parts, "
        f"{len(cold)} distinct: {total / 1e3:.0f} kB cold ({total / schema_bytes:.3f}x)"
    )
    largest = sorted(cold.values(), reverse=True)[:8]
    print("largest parts, kB:", ", ".join(f"{n / 1e3:.0f}" for n in largest))

    names = list(models.texts)[:: args.every]
    found: dict[str, tuple[int, int]] = {}
    for name in names:
        measured = reach(models, cold, name)
        if measured is not None:
            found[name] = measured
    sizes = [size for size, _ in found.values()]
    print(
        f"description edit of {len(found)} schemas, kB re-run: "
        f"median {statistics.median(sizes) / 1e3:.1f}, p90 {percentile(sizes, 0.9) / 1e3:.1f}, "
        f"p99 {percentile(sizes, 0.99) / 1e3:.1f}, max {max(sizes) / 1e3:.1f}, "
        f"mean {statistics.mean(sizes) / 1e3:.1f}; above 100 kB: "
        f"{sum(size > 100_000 for size in sizes)}"
    )
    heaviest = sorted(found.items(), key=lambda item: -item[1][0])[: args.top]
    for name, (size, count) in heaviest:
        own = len(models.texts[name].encode())
        print(f"  {size / 1e3:7.1f} kB in {count:3d} parts  {name.removeprefix(mark)} ({own} B)")


if __name__ == "__main__":
    main()

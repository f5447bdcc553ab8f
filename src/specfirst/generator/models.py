"""The models stage: datamodel-code-generator, set up to be as strict as the contract."""

from __future__ import annotations

import warnings
from typing import Any

from datamodel_code_generator import generate
from datamodel_code_generator.enums import (
    DataModelType,
    InputFileType,
    ReadOnlyWriteOnlyModelType,
    StrictTypes,
    TargetPydanticVersion,
)

from specfirst.errors import SpecfirstError


class ModelGenerationError(SpecfirstError):
    """datamodel-code-generator refused the contract's schemas."""


def generate_models(document: dict[str, Any], header: str) -> str:
    """Pydantic v2 source for `document["components"]["schemas"]`.

    Strictness, as the contract says it: optional fields are `X | MISSING` so `null` is refused
    where the contract does not allow it; `StrictFloat`/`StrictBool` refuse `false` for a number
    and `1` for a boolean; readOnly/writeOnly split request and response variants; discriminators
    become tagged unions.
    """
    if not document["components"]["schemas"]:
        return f"{header}\n\nfrom __future__ import annotations\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            output = generate(
                document,
                input_file_type=InputFileType.OpenAPI,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_pydantic_version=TargetPydanticVersion.V2_14,
                disable_timestamp=True,
                use_standard_collections=True,
                use_union_operator=True,
                use_missing_sentinel=True,
                strict_types=[StrictTypes.float, StrictTypes.bool],
                read_only_write_only_model_type=ReadOnlyWriteOnlyModelType.RequestResponse,
                use_annotated=True,
                field_constraints=True,
                use_schema_description=True,
                use_double_quotes=True,
                keep_model_order=True,
                set_default_enum_member=True,
                formatters=[],
                custom_file_header=header,
            )
        except Exception as exc:  # the library raises many kinds; report them as one
            raise ModelGenerationError(f"datamodel-code-generator failed: {exc}") from exc
    if not isinstance(output, str):
        raise ModelGenerationError("datamodel-code-generator returned several modules")
    return output

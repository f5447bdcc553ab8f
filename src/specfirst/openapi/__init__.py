"""One way to read an OpenAPI document: operations, parameters, references, schemas, locations.

Every reader of a contract (lint, diff, validation, the corpus runner, the generator) asks the same
questions of the bundled document that `specfirst.loader` produces; this package answers each with
one rule, tolerating malformed input (readers skip what the validator reports):

- `operations`: the HTTP methods, the operations of `paths`, their merged parameters and security;
- `refs`: what a `$ref` names, following chains, reporting missing targets and loops;
- `schemas`: every schema slot of the document, the types a schema names, JSON media types;
- `pointers`: JSON pointers and the node at one.

Where a node was written (file, line) is the loader's source map: `Contract.locate(pointer)` maps a
pointer of the bundled document, including one reached through a multi-file `$ref`, to the file and
line of the source it came from.
"""

from specfirst.openapi.operations import (
    HTTP_METHODS,
    PARAMETER_LOCATIONS,
    PATH_TEMPLATE,
    Operation,
    Parameter,
    effective_parameters,
    effective_security,
    iter_operations,
    iter_webhooks,
    parameter_key,
    path_item_operations,
    status_class,
)
from specfirst.openapi.pointers import as_dict, as_list, child, find, node_at, pointer_to
from specfirst.openapi.refs import (
    SCHEMA_PREFIX,
    References,
    RefError,
    Target,
    component_of,
    component_ref,
    deref,
    enclosing_component,
    is_ref,
    iter_refs,
    mapping_ref,
    ref_pointer,
    referenced_files,
    resolve,
    walk_objects,
)
from specfirst.openapi.schemas import (
    SchemaSite,
    SchemaTypes,
    flatten_all_of,
    is_json_media,
    iter_media_schemas,
    iter_schemas,
    schema_types,
)

__all__ = [
    "HTTP_METHODS",
    "PARAMETER_LOCATIONS",
    "PATH_TEMPLATE",
    "SCHEMA_PREFIX",
    "Operation",
    "Parameter",
    "RefError",
    "References",
    "SchemaSite",
    "SchemaTypes",
    "Target",
    "as_dict",
    "as_list",
    "child",
    "component_of",
    "component_ref",
    "deref",
    "effective_parameters",
    "effective_security",
    "enclosing_component",
    "find",
    "flatten_all_of",
    "is_json_media",
    "is_ref",
    "iter_media_schemas",
    "iter_operations",
    "iter_refs",
    "iter_schemas",
    "iter_webhooks",
    "mapping_ref",
    "node_at",
    "parameter_key",
    "path_item_operations",
    "pointer_to",
    "ref_pointer",
    "referenced_files",
    "resolve",
    "schema_types",
    "status_class",
    "walk_objects",
]

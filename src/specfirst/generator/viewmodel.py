"""The view model: everything templates need, already decided, as typed and immutable data.

Types are `TypeRef`s and constraint values are values; no field holds Python source. The source
text is produced only when templates render, by the filters of `source.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class TypeRef:
    """A Python type: `models.Task`, `list[int]`, `Literal['a', 'b']`, `datetime.date | None`."""

    name: str  # `Task`, `list`, `Literal`, `int`, `Any`, `None`
    module: str | None = None  # `models`, `responses`, `datetime`, `uuid`; None for builtins/typing
    args: tuple[TypeRef, ...] = ()  # type arguments (`list[...]`)
    literals: tuple[str | int, ...] = ()  # the values of a `Literal[...]`
    nullable: bool = False  # `| None`

    @property
    def is_any(self) -> bool:
        return self.name == "Any" and self.module is None

    @property
    def is_list(self) -> bool:
        return self.name == "list" and self.module is None

    @property
    def is_model(self) -> bool:
        return self.module == "models"

    def or_none(self) -> TypeRef:
        return self if self.is_any or self == NONE else replace(self, nullable=True)


ANY = TypeRef("Any")
NONE = TypeRef("None")
STR = TypeRef("str")
BYTES = TypeRef("bytes")


def list_of(item: TypeRef) -> TypeRef:
    return TypeRef("list", args=(item,))


def literal(values: tuple[str | int, ...]) -> TypeRef:
    return TypeRef("Literal", literals=values)


def model(class_name: str) -> TypeRef:
    return TypeRef(class_name, module="models")


def response_class(class_name: str) -> TypeRef:
    return TypeRef(class_name, module="responses")


@dataclass(frozen=True)
class Constraint:
    """One keyword of a FastAPI parameter marker: `ge=1`, `max_length=200`, `pattern='^a'`."""

    keyword: str
    value: int | float | str
    compiled: bool = False  # a pattern with lookaround or backreferences: `re.compile(...)`


@dataclass(frozen=True)
class StyledPath:
    """How an array or object path parameter is spelled (FastAPI routes only scalars)."""

    style: str  # simple | label | matrix
    explode: bool
    kind: str  # array | object
    items: tuple[Constraint, ...] = ()  # constraints of each item of an array


@dataclass(frozen=True)
class Default:
    """A parameter's contract default; `enum` when it is a member of a generated enum class."""

    value: str | int | float | bool
    enum: TypeRef | None = None


@dataclass(frozen=True)
class ParameterView:
    wire_name: str
    python_name: str
    location: str  # path | query | header | cookie
    type: TypeRef  # the value's type, without `| None`
    required: bool
    default: Default | None  # None: optional parameters default to None
    alias: str | None  # the wire name, where FastAPI needs it spelled out
    constraints: tuple[Constraint, ...] = ()
    iso_text: bool = False  # a date or date-time: RFC 3339 text only, never a number
    description: str = ""
    # minLength/maxLength/pattern of a uuid/date/date-time string, checked on the text as sent
    string_keywords: tuple[Constraint, ...] = ()
    styled: StyledPath | None = None  # an array or object path parameter

    @property
    def nullable(self) -> bool:
        """Optional without a default: `None` stands for absent."""
        return not self.required and self.default is None


@dataclass(frozen=True)
class FormFieldView:
    wire_name: str
    kind: str  # str | int | float | bool | file | json | any
    many: bool  # an array: every value of the field


@dataclass(frozen=True)
class BodyView:
    kind: str  # json | form | raw
    media_type: str
    type: TypeRef
    required: bool
    form_fields: tuple[FormFieldView, ...] = ()


@dataclass(frozen=True)
class HeaderView:
    wire_name: str
    python_name: str
    type: TypeRef
    required: bool


@dataclass(frozen=True)
class ResponseView:
    """One response class of `responses.py`: shared by every operation that `$ref`s the same
    `components/responses` entry under the same key, else one per (operation, key)."""

    key: str  # "200", "default", "4XX"
    class_name: str
    status: int | None  # None: the class carries `status_code`
    media_type: str | None
    body_kind: str | None  # json | text | bytes | None
    body: TypeRef | None
    headers: tuple[HeaderView, ...]
    description: str = ""
    component: str | None = None  # the components/responses key it comes from

    @property
    def is_error(self) -> bool:
        """4xx, 5xx, `default` and range keys: raisable as well as returnable."""
        return self.status is None or self.status >= 400

    @property
    def is_success(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def type(self) -> TypeRef:
        return response_class(self.class_name)


@dataclass(frozen=True)
class BareView:
    """The success a service returns as the body itself (no wrapper class)."""

    status: int
    media_type: str | None
    body_kind: str | None
    type: TypeRef  # the body's type (`NONE` for a body-less response)


@dataclass(frozen=True)
class SecurityView:
    dependency: str  # name in security.py
    optional: bool
    schemes: tuple[str, ...]  # every scheme named by the requirement's alternatives


@dataclass(frozen=True)
class OperationView:
    operation_id: str
    method: str
    path: str  # as in the contract
    route_path: str  # with Python parameter names
    python_name: str
    summary: str
    parameters: tuple[ParameterView, ...]
    body: BodyView | None
    responses: tuple[ResponseView, ...]
    bare: BareView | None
    security: SecurityView | None
    returns: tuple[TypeRef, ...]  # the members of the service's return type, in order
    errors: tuple[ResponseView, ...]  # the error responses it may raise
    raise_only: tuple[ResponseView, ...] = ()  # errors left out of `returns` (framework statuses)
    deprecated: bool = False


@dataclass(frozen=True)
class TagView:
    name: str
    python_name: str  # create_app keyword
    protocol_name: str
    module_name: str  # routers/<module_name>.py
    description: str
    operations: tuple[OperationView, ...]

    @property
    def uses_forms(self) -> bool:
        return any(op.body is not None and op.body.kind == "form" for op in self.operations)

    @property
    def secured(self) -> bool:
        return any(op.security is not None for op in self.operations)


@dataclass(frozen=True)
class SchemeView:
    name: str
    kind: str  # bearer | basic | apikey | oauth2 | openidconnect | unsupported
    location: str  # header | query | cookie
    parameter: str  # header/query/cookie name carrying the credential


@dataclass(frozen=True)
class RequirementView:
    name: str
    alternatives: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]  # ((scheme, scopes), ...)
    optional: bool


@dataclass(frozen=True)
class ApiView:
    title: str
    version: str
    contract_path: str
    contract_sha256: str
    package: str
    tags: tuple[TagView, ...]
    schemes: tuple[SchemeView, ...]
    requirements: tuple[RequirementView, ...]
    responses: tuple[ResponseView, ...]  # every class of responses.py

    @property
    def operations(self) -> list[OperationView]:
        return [op for tag in self.tags for op in tag.operations]

    @property
    def secured(self) -> bool:
        return bool(self.requirements)

    @property
    def uses_forms(self) -> bool:
        return any(tag.uses_forms for tag in self.tags)

    @property
    def enum_defaults(self) -> bool:
        """Whether a parameter defaults to a member of a model enum (`models.Sort("asc")`):
        then `services.py` needs the models at run time, not for its annotations only."""
        return any(
            p.default is not None and p.default.enum is not None
            for op in self.operations
            for p in op.parameters
        )

"""The view model: everything templates need, already decided. Templates hold no logic."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ParameterView:
    wire_name: str
    python_name: str
    location: str  # path | query | header | cookie
    annotation: str  # the value's type, without `| None`
    required: bool
    default: str  # Python source of the default ("None" when optional without a default)
    marker: str  # the FastAPI marker call, e.g. `Query(alias="page-size", ge=1)`
    description: str = ""

    @property
    def full_annotation(self) -> str:
        if self.required or self.default != "None":
            return self.annotation
        return f"{self.annotation} | None"

    @property
    def router_declaration(self) -> str:
        decl = f"{self.python_name}: Annotated[{self.full_annotation}, {self.marker}]"
        return decl if self.required else f"{decl} = {self.default}"

    @property
    def service_declaration(self) -> str:
        decl = f"{self.python_name}: {self.full_annotation}"
        return decl if self.required else f"{decl} = {self.default}"


@dataclass
class FormFieldView:
    wire_name: str
    kind: str  # str | int | float | bool | file | json | any
    many: bool  # an array: every value of the field


@dataclass
class BodyView:
    kind: str  # json | form | raw
    media_type: str
    annotation: str
    required: bool
    form_fields: list[FormFieldView] = field(default_factory=list)

    @property
    def full_annotation(self) -> str:
        return self.annotation if self.required else f"{self.annotation} | None"

    @property
    def service_declaration(self) -> str:
        decl = f"body: {self.full_annotation}"
        return decl if self.required else f"{decl} = None"


@dataclass
class HeaderView:
    wire_name: str
    python_name: str
    annotation: str
    required: bool

    @property
    def declaration(self) -> str:
        if self.required:
            return f"{self.python_name}: {self.annotation}"
        return f"{self.python_name}: {self.annotation} | None = None"


@dataclass
class ResponseView:
    """One response class of `responses.py`: shared by every operation that `$ref`s the same
    `components/responses` entry under the same key, else one per (operation, key)."""

    key: str  # "200", "default", "4XX"
    class_name: str
    status: int | None  # None: the class carries `status_code`
    media_type: str | None
    body_kind: str | None  # json | text | bytes | None
    body_annotation: str | None
    headers: list[HeaderView]
    description: str = ""
    shared: bool = False  # from components/responses
    component: str | None = None  # the components/responses key it comes from

    @property
    def is_error(self) -> bool:
        """4xx, 5xx, `default` and range keys: raisable as well as returnable."""
        return self.status is None or self.status >= 400

    @property
    def is_success(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def base_class(self) -> str:
        return "ErrorResponse" if self.is_error else "ContractResponse"

    @property
    def class_keywords(self) -> list[str]:
        """The class statement's keywords (`key="404", media_type=..., body_kind=...`)."""
        words = [f"key={self.key!r}"]
        if self.media_type is not None:
            words.append(f"media_type={self.media_type!r}")
        if self.body_kind is not None:
            words.append(f"body_kind={self.body_kind!r}")
        if self.headers:
            words.append(f"headers={self.header_map}")
        return words

    @property
    def fields(self) -> list[str]:
        required: list[str] = []
        optional: list[str] = []
        if self.status is None:
            required.append("status_code: int")
        if self.body_annotation is not None:
            required.append(f"body: {self.body_annotation}")
        for header in self.headers:
            (required if header.required else optional).append(header.declaration)
        return required + optional

    @property
    def header_map(self) -> str:
        pairs = ", ".join(f'"{h.python_name}": "{h.wire_name}"' for h in self.headers)
        return "{" + pairs + "}"


@dataclass
class BareView:
    """The success a service returns as the body itself (no wrapper class)."""

    status: int
    media_type: str | None
    body_kind: str | None
    annotation: str  # the model (or `None` for a body-less response)


@dataclass
class SecurityView:
    dependency: str  # name in security.py
    optional: bool
    schemes: tuple[str, ...]  # every scheme named by the requirement's alternatives


@dataclass
class OperationView:
    operation_id: str
    method: str
    path: str  # as in the contract
    route_path: str  # with Python parameter names
    python_name: str
    summary: str
    parameters: list[ParameterView]
    body: BodyView | None
    responses: list[ResponseView]
    bare: BareView | None
    security: SecurityView | None
    return_annotation: str = ""
    deprecated: bool = False
    returns: list[ResponseView] = field(default_factory=list)  # what the service may return
    errors: list[ResponseView] = field(default_factory=list)  # what it may raise

    @property
    def service_arguments(self) -> list[str]:
        args = [p.service_declaration for p in self.parameters if p.required]
        if self.body is not None and self.body.required:
            args.append(self.body.service_declaration)
        if self.security is not None:
            args.append(
                "principal: security.Principal | None"
                if self.security.optional
                else "principal: security.Principal"
            )
        args += [p.service_declaration for p in self.parameters if not p.required]
        if self.body is not None and not self.body.required:
            args.append(self.body.service_declaration)
        return args

    @property
    def service_signature(self) -> list[str]:
        arguments = self.service_arguments
        return ["self", "*", *arguments] if arguments else ["self"]

    @property
    def router_arguments(self) -> list[str]:
        """The handler's parameters: FastAPI reads, validates and passes each of them."""
        json_body = self.body if self.body is not None and self.body.kind == "json" else None
        args = ["request: Request"]
        args += [p.router_declaration for p in self.parameters if p.required]
        if self.security is not None:
            principal = (
                "security.Principal | None" if self.security.optional else "security.Principal"
            )
            args.append(
                f"principal: Annotated[{principal}, Depends(security.{self.security.dependency})]"
            )
        if json_body is not None and json_body.required:
            args.append(f"body: Annotated[{json_body.annotation}, Body()]")
        args += [p.router_declaration for p in self.parameters if not p.required]
        if json_body is not None and not json_body.required:
            args.append(f"body: Annotated[{json_body.annotation} | None, Body()] = None")
        return args

    @property
    def bare_expression(self) -> str:
        if self.bare is None:
            return "None"
        return (
            f"Bare(status={self.bare.status}, media_type={self.bare.media_type!r},"
            f" body_kind={self.bare.body_kind!r})"
        )

    @property
    def raise_only(self) -> list[str]:
        """Error classes left out of the return type (the framework also sends their status):
        the service may still raise them."""
        returned = {r.class_name for r in self.returns}
        return [f"responses.{r.class_name}" for r in self.errors if r.class_name not in returned]

    @property
    def errors_expression(self) -> str:
        """The tuple of error classes the router lets a service raise."""
        names = [f"responses.{r.class_name}" for r in self.errors]
        return "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"

    @property
    def call_arguments(self) -> list[str]:
        names = [p.python_name for p in self.parameters]
        if self.body is not None:
            names.append("body")
        if self.security is not None:
            names.append("principal")
        return [f"{name}={name}" for name in names]


@dataclass
class TagView:
    name: str
    python_name: str  # create_app keyword
    protocol_name: str
    module_name: str  # routers/<module_name>.py
    description: str
    operations: list[OperationView] = field(default_factory=list)

    @property
    def uses_forms(self) -> bool:
        return any(op.body is not None and op.body.kind == "form" for op in self.operations)

    @property
    def secured(self) -> bool:
        return any(op.security is not None for op in self.operations)


@dataclass
class SchemeView:
    name: str
    kind: str  # bearer | basic | apikey | oauth2 | openidconnect | unsupported
    location: str  # header | query | cookie
    parameter: str  # header/query/cookie name carrying the credential


@dataclass
class RequirementView:
    name: str
    alternatives: list[dict[str, list[str]]]
    optional: bool


@dataclass
class ApiView:
    title: str
    version: str
    contract_path: str
    contract_sha256: str
    package: str
    tags: list[TagView]
    schemes: list[SchemeView]
    requirements: list[RequirementView]
    responses: list[ResponseView] = field(default_factory=list)  # every class of responses.py

    @property
    def secured(self) -> bool:
        return bool(self.requirements)

    @property
    def uses_forms(self) -> bool:
        return any(op.body is not None and op.body.kind == "form" for op in self.operations)

    @property
    def operations(self) -> list[OperationView]:
        return [op for tag in self.tags for op in tag.operations]

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
    key: str  # "200", "default", "4XX"
    class_name: str
    status: int | None  # None: the class carries `status_code`
    media_type: str | None
    body_kind: str | None  # json | text | bytes | None
    body_annotation: str | None
    headers: list[HeaderView]
    description: str = ""

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
    """The first 2xx response, which a service may return without its wrapper class."""

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
            f"runtime.Bare({self.bare.status}, {self.bare.media_type!r}, {self.bare.body_kind!r})"
        )

    @property
    def security_schemes(self) -> tuple[str, ...]:
        return self.security.schemes if self.security is not None else ()

    @property
    def call_arguments(self) -> list[str]:
        names = [p.python_name for p in self.parameters]
        if self.body is not None:
            names.append("body")
        if self.security is not None:
            names.append("principal")
        return [f"{name}={name}" for name in names]

    @property
    def keyword_names(self) -> list[str]:
        return [argument.split("=")[0] for argument in self.call_arguments]


@dataclass
class TagView:
    name: str
    python_name: str  # create_app keyword
    protocol_name: str
    module_name: str  # routers/<module_name>.py
    description: str
    operations: list[OperationView] = field(default_factory=list)


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

    @property
    def operations(self) -> list[OperationView]:
        return [op for tag in self.tags for op in tag.operations]

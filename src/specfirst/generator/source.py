"""The view model as Python source: the one place that spells types, markers and arguments.

Templates call these as filters (`op | router_arguments`); the diff's signatures use them too,
so the text it shows is exactly what `services.py` says. Nothing here decides anything: every
choice was made when the view model was built.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from specfirst.generator.viewmodel import (
    Constraint,
    Default,
    OperationView,
    ParameterView,
    RequirementView,
    ResponseView,
    TypeRef,
)

PRINCIPAL = TypeRef("Principal", module="security")
_MARKERS = {"path": "Path", "query": "Query", "header": "Header", "cookie": "Cookie"}


def python_type(ref: TypeRef, drop: frozenset[str] = frozenset()) -> str:
    """`models.Task`, `list[int] | None`, `Literal['a', 'b']`; modules in `drop` left off."""
    if ref.name == "Literal" and ref.module is None:
        text = "Literal[" + ", ".join(repr(v) for v in ref.literals) + "]"
    else:
        text = f"{ref.module}.{ref.name}" if ref.module and ref.module not in drop else ref.name
        if ref.args:
            text += "[" + ", ".join(python_type(a, drop) for a in ref.args) + "]"
    return f"{text} | None" if ref.nullable else text


def union(members: Iterable[TypeRef], drop: frozenset[str] = frozenset()) -> str:
    return " | ".join(python_type(m, drop) for m in members) or "None"


def python_value(default: Default) -> str:
    if default.enum is not None:
        return f"{python_type(default.enum)}({default.value!r})"
    return repr(default.value)


def parameter_type(param: ParameterView) -> str:
    return python_type(param.type.or_none() if param.nullable else param.type)


def _keyword(constraint: Constraint) -> str:
    if constraint.compiled:
        return f"{constraint.keyword}=re.compile({constraint.value!r})"
    return f"{constraint.keyword}={constraint.value!r}"


def marker(param: ParameterView) -> str:
    """`Query(alias='page-size', ge=1)`, behind `ISO_TEXT, ` for dates and `StringKeywords(...)`
    for formatted strings; `Depends(styled_path(...))` for array and object path parameters."""
    styled = param.styled
    if styled is not None:
        arguments = [
            repr(param.python_name),
            repr(param.wire_name),
            repr(styled.style),
            repr(styled.explode),
            repr(styled.kind),
            python_type(param.type),
            *(_keyword(c) for c in param.constraints),
        ]
        if styled.items:
            arguments.append(f"items=dict({', '.join(_keyword(c) for c in styled.items)})")
        return f"Depends(styled_path({', '.join(arguments)}))"
    keywords = [f"alias={param.alias!r}"] if param.alias is not None else []
    keywords += [_keyword(c) for c in param.constraints]
    call = f"{_MARKERS[param.location]}({', '.join(keywords)})"
    if param.string_keywords:
        call = f"StringKeywords({', '.join(_keyword(c) for c in param.string_keywords)}), {call}"
    return f"ISO_TEXT, {call}" if param.iso_text else call


def _default(param: ParameterView) -> str:
    return python_value(param.default) if param.default is not None else "None"


def _router_parameter(param: ParameterView) -> str:
    declaration = f"{param.python_name}: Annotated[{parameter_type(param)}, {marker(param)}]"
    return declaration if param.required else f"{declaration} = {_default(param)}"


def _service_parameter(param: ParameterView, drop: frozenset[str]) -> str:
    kind = param.type.or_none() if param.nullable else param.type
    declaration = f"{param.python_name}: {python_type(kind, drop)}"
    return declaration if param.required else f"{declaration} = {_default(param)}"


def _principal(op: OperationView, drop: frozenset[str]) -> str:
    principal = PRINCIPAL.or_none() if op.security and op.security.optional else PRINCIPAL
    return python_type(principal, drop)


def service_arguments(op: OperationView, drop: frozenset[str] = frozenset()) -> list[str]:
    """The method's keyword-only parameters: required ones first, as Python wants."""
    args = [_service_parameter(p, drop) for p in op.parameters if p.required]
    body = op.body
    body_type = python_type(body.type, drop) if body is not None else ""
    if body is not None and body.required:
        args.append(f"body: {body_type}")
    if op.security is not None:
        args.append(f"principal: {_principal(op, drop)}")
    args += [_service_parameter(p, drop) for p in op.parameters if not p.required]
    if body is not None and not body.required:
        args.append(f"body: {python_type(body.type.or_none(), drop)} = None")
    return args


def service_signature(op: OperationView, drop: frozenset[str] = frozenset()) -> list[str]:
    arguments = service_arguments(op, drop)
    return ["self", "*", *arguments] if arguments else ["self"]


def return_annotation(op: OperationView, drop: frozenset[str] = frozenset()) -> str:
    return union(op.returns, drop)


def router_arguments(op: OperationView) -> list[str]:
    """The handler's parameters: FastAPI reads, validates and passes each of them."""
    json_body = op.body if op.body is not None and op.body.kind == "json" else None
    args = ["request: Request"]
    args += [_router_parameter(p) for p in op.parameters if p.required]
    if op.security is not None:
        dependency = f"Depends(security.{op.security.dependency})"
        args.append(f"principal: Annotated[{_principal(op, frozenset())}, {dependency}]")
    if json_body is not None and json_body.required:
        args.append(f"body: Annotated[{python_type(json_body.type)}, Body()]")
    args += [_router_parameter(p) for p in op.parameters if not p.required]
    if json_body is not None and not json_body.required:
        args.append(f"body: Annotated[{python_type(json_body.type.or_none())}, Body()] = None")
    return args


def body_type(op: OperationView) -> str:
    """A form or raw body's declared type in the handler (`| None` when optional)."""
    assert op.body is not None
    return python_type(op.body.type if op.body.required else op.body.type.or_none())


def call_arguments(op: OperationView) -> str:
    names = [p.python_name for p in op.parameters]
    if op.body is not None:
        names.append("body")
    if op.security is not None:
        names.append("principal")
    return ", ".join(f"{name}={name}" for name in names)


def bare_expression(op: OperationView) -> str:
    assert op.bare is not None
    return (
        f"Bare(status={op.bare.status}, media_type={op.bare.media_type!r},"
        f" body_kind={op.bare.body_kind!r})"
    )


def class_tuple(responses: Sequence[ResponseView]) -> str:
    names = [python_type(r.type) for r in responses]
    return "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"


def class_names(responses: Sequence[ResponseView]) -> str:
    return ", ".join(python_type(r.type) for r in responses)


def class_keywords(response: ResponseView) -> str:
    """The class statement's keywords: `key='404', media_type=..., body_kind=..., headers=...`."""
    words = [f"key={response.key!r}"]
    if response.media_type is not None:
        words.append(f"media_type={response.media_type!r}")
    if response.body_kind is not None:
        words.append(f"body_kind={response.body_kind!r}")
    if response.headers:
        pairs = ", ".join(f"{h.python_name!r}: {h.wire_name!r}" for h in response.headers)
        words.append(f"headers={{{pairs}}}")
    return ", ".join(words)


def response_fields(response: ResponseView) -> list[str]:
    required: list[str] = []
    optional: list[str] = []
    if response.status is None:
        required.append("status_code: int")
    if response.body is not None:
        required.append(f"body: {python_type(response.body)}")
    for header in response.headers:
        if header.required:
            required.append(f"{header.python_name}: {python_type(header.type)}")
        else:
            optional.append(f"{header.python_name}: {python_type(header.type.or_none())} = None")
    return required + optional


def alternatives(requirement: RequirementView) -> str:
    """`[{'oauth2': ['admin']}]`: the requirement's alternatives as the runtime takes them."""
    return repr(
        [{scheme: list(scopes) for scheme, scopes in alt} for alt in requirement.alternatives]
    )


FILTERS = {
    "python_type": python_type,
    "return_annotation": return_annotation,
    "service_signature": service_signature,
    "router_arguments": router_arguments,
    "body_type": body_type,
    "call_arguments": call_arguments,
    "bare_expression": bare_expression,
    "class_tuple": class_tuple,
    "class_names": class_names,
    "class_keywords": class_keywords,
    "response_fields": response_fields,
    "alternatives": alternatives,
}

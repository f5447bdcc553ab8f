"""Parameters: path templates and declarations agree; names stay distinct as keyword arguments."""

from __future__ import annotations

from collections.abc import Iterator

from specfirst.lint.model import Finding, LintContext, Severity, rule
from specfirst.names import snake_case
from specfirst.openapi import PATH_TEMPLATE, effective_parameters

# Keyword arguments the generated service method already uses for other things.
RESERVED_ARGUMENTS = frozenset({"self", "body", "principal"})


@rule(
    "path-params-declared",
    Severity.ERROR,
    "Every {name} in a path is declared as a required path parameter, and only those are.",
)
def path_params_declared(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        template = PATH_TEMPLATE.findall(op.path)
        declared = {
            p.name: p for p in effective_parameters(ctx.document, op) if p.location == "path"
        }
        for name in template:
            if name not in declared:
                yield Finding(
                    "path-params-declared",
                    f"{op.label}: path parameter {{{name}}} is not declared",
                    op.pointer,
                )
        for name, param in declared.items():
            if name not in template:
                yield Finding(
                    "path-params-declared",
                    f"{op.label}: path parameter {name!r} is declared but not in the path",
                    param.site,
                )
            elif not param.required:
                yield Finding(
                    "path-params-declared",
                    f"{op.label}: path parameter {name!r} must have required: true",
                    param.pointer,
                )


@rule(
    "parameter-names-distinct",
    Severity.ERROR,
    "An operation's parameters stay distinct once snake-cased (each is a keyword argument).",
)
def parameter_names_distinct(ctx: LintContext) -> Iterator[Finding]:
    for op in ctx.operations:
        seen: dict[str, str] = {}
        for param in effective_parameters(ctx.document, op):
            argument = snake_case(param.name)
            label = f"{param.location} parameter {param.name!r}"
            if argument in RESERVED_ARGUMENTS:
                yield Finding(
                    "parameter-names-distinct",
                    f"{op.label}: {label} becomes the argument {argument!r}, which the service"
                    " method uses for something else",
                    param.site,
                )
            elif argument in seen:
                yield Finding(
                    "parameter-names-distinct",
                    f"{op.label}: {label} and {seen[argument]} both become the argument"
                    f" {argument!r}",
                    param.site,
                )
            else:
                seen[argument] = label

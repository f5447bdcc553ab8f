"""The bundled contract → the view model (operations, parameters, bodies, responses, security).

Two passes: `plan_models` names every schema that needs a class (before datamodel-code-generator
runs); `build_view` then describes every operation with the class names that were generated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from typing import Any

from specfirst.generator.patterns import ecma_to_python, needs_python_engine
from specfirst.generator.schemas import ModelPlan, TypeNamer
from specfirst.generator.view_cache import (
    DraftStore,
    OperationDraft,
    ResponseDraft,
    SecurityDraft,
    digest,
)
from specfirst.generator.viewmodel import (
    BYTES,
    NONE,
    STR,
    ApiView,
    BareView,
    BodyView,
    Constraint,
    Default,
    FormFieldView,
    HeaderView,
    OperationView,
    ParameterView,
    RequirementView,
    ResponseView,
    SchemeView,
    SecurityView,
    StyledPath,
    TagView,
    TypeRef,
    list_of,
)
from specfirst.names import NameAllocator, pascal_case, safe_identifier, snake_case
from specfirst.openapi import (
    PARAMETER_LOCATIONS,
    PATH_TEMPLATE,
    Operation,
    References,
    RefError,
    Target,
    child,
    component_of,
    components,
    is_json_media,
    iter_operations,
    iter_webhooks,
    path_item_operations,
    pointer_to,
    schema_types,
)
from specfirst.openapi.pointers import split_pointer

# Header parameters OpenAPI says to ignore: the framework owns them.
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
# Names a handler's parameters must not take: they are the handler's own locals and modules.
RESERVED_ARGUMENTS = frozenset(
    {
        "self",
        "body",
        "principal",
        "request",
        "models",
        "responses",
        "security",
        "services",
        "runtime",
        "service",
        "result",
        "typing",
        "datetime",
        "uuid",
        "re",
        "respond",
        "bound_service",
        "read_raw",
        "read_form",
    }
)
# create_app's keywords are the tags' python names: they must not hide what app.py uses (its
# imports, the package's own modules), create_app's own keywords, or FastAPI(...)'s keywords
# (which go through **fastapi_kwargs).
RESERVED_TAG_NAMES = frozenset(
    {
        # app.py's module-level names and the package's modules
        "annotations",
        "json",
        "Mapping",
        "Any",
        "FastAPI",
        "CONTRACT_JSON",
        "create_app",
        "app",
        "contract",
        "models",
        "responses",
        "routers",
        "runtime",
        "security",
        "services",
        # create_app's own keywords
        "verifiers",
        "fastapi_kwargs",
        # FastAPI.__init__'s keywords (fastapi 0.165)
        *[
            "callbacks",
            "contact",
            "debug",
            "default_response_class",
            "dependencies",
            "deprecated",
            "description",
            "docs_url",
            "exception_handlers",
            "form_limits",
            "generate_unique_id_function",
            "include_in_schema",
            "license_info",
            "lifespan",
            "max_body_size",
            "middleware",
            "on_shutdown",
            "on_startup",
            "openapi_external_docs",
            "openapi_tags",
            "openapi_url",
            "redirect_slashes",
            "redoc_url",
            "root_path",
            "root_path_in_servers",
            "routes",
            "separate_input_output_schemas",
            "servers",
            "strict_content_type",
            "summary",
            "swagger_ui_init_oauth",
            "swagger_ui_oauth2_redirect_url",
            "swagger_ui_parameters",
            "telemetry",
            "terms_of_service",
            "title",
            "version",
            "webhooks",
        ],
    }
)
# Module-level names of routers/<tag>.py and services.py that handlers and methods must not shadow.
RESERVED_METHOD_NAMES = frozenset(
    {
        "annotations",
        "datetime",
        "re",
        "uuid",
        "models",
        "responses",
        "security",
        "services",
        "runtime",
        "router",
        "Bare",
        "respond",
        "bound_service",
        "read_raw",
        "read_form",
        "FormField",
        "ISO_TEXT",
        "Protocol",
        "Annotated",
        "Any",
        "Literal",
        "APIRouter",
        "DeferredRouter",
        "TYPE_CHECKING",
        "Body",
        "Cookie",
        "Depends",
        "Header",
        "Path",
        "Query",
        "Request",
        "Response",
    }
)
# Names security.py defines or imports, which requirement dependencies must not take.
RESERVED_SECURITY_NAMES = frozenset(
    {"annotations", "SCHEMES", "Credential", "Principal", "Requirement", "Scheme", "Verifier"}
)
_HEADER_SCALARS = frozenset({"str", "int", "float", "bool"})
_NO_BODY_STATUSES = {204, 205, 304}
# Statuses only the framework sends: never in a service's return type (it may still raise them).
_TRANSPORT_STATUSES = frozenset({405, 406, 414, 431})
_BODY_STATUSES = frozenset({400, 413, 415})  # a malformed, too large or unsupported body
_INPUT_STATUSES = frozenset({422})  # input that does not match the contract
# Names responses.py defines or imports, which response classes must not take.
RESERVED_RESPONSE_NAMES = frozenset(
    {"annotations", "dataclass", "datetime", "uuid", "models", "Any", "Literal"}
    | {"ContractResponse", "ErrorResponse"}
)
# Parameters whose values pydantic's lax mode would also read from a number (a timestamp).
_TEMPORAL_TYPES = frozenset(
    {TypeRef("datetime", module="datetime"), TypeRef("date", module="datetime")}
)
_FORMAT_TYPES = _TEMPORAL_TYPES | {TypeRef("UUID", module="uuid")}
_ABSENT = ("absent",)  # the document's `security` when it has none


def pick_media(content: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The media type code is generated for: JSON first, then forms, then the first declared."""
    if not isinstance(content, dict) or not content:
        return None
    for media, value in content.items():
        if is_json_media(media):
            return media, value if isinstance(value, dict) else {}
    for media, value in content.items():
        lowered = media.lower()
        if lowered.startswith(("multipart/", "application/x-www-form-urlencoded")):
            return media, value if isinstance(value, dict) else {}
    media, value = next(iter(content.items()))
    return media, value if isinstance(value, dict) else {}


def status_label(key: str) -> str:
    """`200` → `200`, `4xx` → `4XX`, `default` → `Default`: the status part of a class name."""
    label = pascal_case(key, fallback="") if not key[:1].isdigit() else key.upper()
    return re.sub(r"\W", "", label) or "Status"


def operation_name(raw: Operation) -> str:
    return str(raw.node.get("operationId") or f"{raw.method} {raw.path}")


def plan_models(document: dict[str, Any], texts: dict[str, str] | None = None) -> ModelPlan:
    """Class names for the components and the inline schemas that need one. `texts`: each
    component schema's JSON (`document.component_texts`), when the caller has them (the
    same plan, without dumping every schema again)."""
    plan = ModelPlan()
    plan.name_components(components(document, "schemas"), texts)
    refs = References(document)
    for raw in iter_operations(document, refs):
        base = pascal_case(operation_name(raw), fallback="Operation")
        for param in raw.parameters:
            schema = param.node.get("schema")
            if param.location == "path" and isinstance(schema, dict):
                # an object in the path is parsed by style, then validated by its own class
                wanted = base + pascal_case(param.name, fallback="Param") + "Path"
                plan.hoist(schema, child(param.pointer, "schema"), wanted)
        resolved, owner = refs.resolve(
            raw.node.get("requestBody"), child(raw.pointer, "requestBody")
        )
        if isinstance(resolved, dict):
            picked = pick_media(resolved.get("content") or {})
            if picked is not None:
                media, value = picked
                pointer = child(owner, "content", media, "schema")
                plan.hoist(value.get("schema"), pointer, base + "RequestBody")
        for key, response in (raw.node.get("responses") or {}).items():
            resolved, owner = refs.resolve(response, child(raw.pointer, "responses", str(key)))
            if not isinstance(resolved, dict):
                continue
            picked = pick_media(resolved.get("content") or {})
            if picked is None:
                continue
            media, value = picked
            pointer = child(owner, "content", media, "schema")
            wanted = (
                pascal_case(owner.rsplit("/", 1)[-1]) + "Body"
                if owner.startswith("/components/responses/")
                else f"{base}{status_label(str(key))}ResponseBody"
            )
            plan.hoist(value.get("schema"), pointer, wanted)
    webhooks = list(iter_webhooks(document, refs))
    for hook in webhooks:
        # Webhooks are requests the API sends, not routes it serves: only their payloads get
        # classes (`<Webhook>WebhookPayload` when inline), for the service that sends them.
        resolved, owner = refs.resolve(
            hook.node.get("requestBody"), child(hook.pointer, "requestBody")
        )
        if isinstance(resolved, dict):
            picked = pick_media(resolved.get("content") or {})
            if picked is not None:
                media, value = picked
                wanted = pascal_case(hook.path, fallback="Webhook")
                if sum(other.path == hook.path for other in webhooks) > 1:
                    wanted += pascal_case(hook.method)
                pointer = child(owner, "content", media, "schema")
                plan.hoist(value.get("schema"), pointer, wanted + "WebhookPayload")
    plan.read_through(refs.looked_up())  # those that named nothing too: a schema put in later
    return plan


class _Reads:
    """The questions the draft being made asks, `(kind, argument)` in order, each once."""

    def __init__(self) -> None:
        self.current: dict[tuple[str, Any], None] | None = None

    def note(self, kind: str, argument: Any) -> None:
        if self.current is not None:
            self.current[(kind, argument)] = None


class _RecordingReferences(References):
    """`References` noting every `$ref` it looks up (each hop of a chain)."""

    def __init__(self, document: Any, reads: _Reads) -> None:
        super().__init__(document)
        self.reads = reads

    def target(self, ref: str) -> Target | None:
        self.reads.note("ref", ref)
        return super().target(ref)


class _RecordingNames(dict[str, str]):
    """A copy of `plan.class_names` or `plan.hoisted` noting every key looked up."""

    def __init__(self, data: dict[str, str], kind: str, reads: _Reads) -> None:
        super().__init__(data)
        self.kind = kind
        self.reads = reads

    def __getitem__(self, key: str) -> str:
        self.reads.note(self.kind, key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.reads.note(self.kind, key)
        return super().__contains__(key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.reads.note(self.kind, key)
        return super().get(key, default)


class _RecordingSet(set[str]):
    """A copy of `plan.families` noting every membership test."""

    def __init__(self, data: Collection[str], reads: _Reads) -> None:
        super().__init__(data)
        self.reads = reads

    def __contains__(self, key: object) -> bool:
        self.reads.note("family", key)
        return super().__contains__(key)


class _RecordingClasses(Collection[str]):
    """The generated class names, noting every membership test."""

    def __init__(self, classes: Collection[str], reads: _Reads) -> None:
        self.classes = classes
        self.reads = reads

    def __contains__(self, key: object) -> bool:
        self.reads.note("generated", key)
        return key in self.classes

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a draft may only ask whether a class was generated")

    def __len__(self) -> int:
        raise TypeError("a draft may only ask whether a class was generated")


class _RecordingTypes(TypeNamer):
    """`TypeNamer` over recording plan, classes and references; notes which component schemas
    it asks about (`annotation` takes only their names from `component`)."""

    def __init__(
        self, document: dict[str, Any], plan: ModelPlan, classes: Collection[str], reads: _Reads
    ) -> None:
        recording = ModelPlan(
            class_names=_RecordingNames(plan.class_names, "class", reads),
            hoisted=_RecordingNames(plan.hoisted, "hoisted", reads),
            taken=plan.taken,
            splitting=plan.splitting,
            mark=plan.mark,
            families=_RecordingSet(plan.families, reads),
        )
        super().__init__(document, recording, _RecordingClasses(classes, reads))
        self.refs = _RecordingReferences(document, reads)
        self.reads = reads

    def component(self, ref: str) -> tuple[str, Any] | None:
        found = component_of(ref)
        if found is not None and found[0] == "schemas":
            self.reads.note("schema", found[1])
        return super().component(ref)


class ViewBuilder:
    """Builds the `ApiView` once model classes are known.

    Each operation is first drafted (everything that depends on it alone), then named in
    document order (what depends on the operations before it). With `store`, drafts come from
    the last run wherever everything they read is unchanged (`view_cache`); the caller saves
    the store once the view is built (`DraftStore.save`).
    """

    def __init__(
        self,
        document: dict[str, Any],
        plan: ModelPlan,
        classes: Collection[str],
        *,
        package: str,
        contract_path: str,
        contract_sha256: str,
        store: DraftStore | None = None,
        operations_of: str | None = None,
    ) -> None:
        self.document = document
        self.plan = plan
        self.classes = classes
        self.store = store
        # The hash of a contract whose operations this one's are (its edit lies in the component
        # schemas): the store's list of that contract's operations is this one's (`drafts`).
        self.operations_of = operations_of
        self.reads = _Reads()
        if store is None:
            self.refs = References(document)
            self.types = TypeNamer(document, plan, classes)
        else:
            self.types = _RecordingTypes(document, plan, classes, self.reads)
            self.refs = self.types.refs
        self.package = package
        self.contract_path = contract_path
        self.contract_sha256 = contract_sha256
        self.requirements: dict[str, RequirementView] = {}
        self.requirement_names = NameAllocator()
        self.operation_bases = NameAllocator()
        self.response_names = NameAllocator(RESERVED_RESPONSE_NAMES)
        self.shared_responses: dict[tuple[str, str], ResponseView] = {}
        # The digest of the draft each shared response view was made from (`router_keys`).
        self.shared_from: dict[tuple[str, str], str | None] = {}
        self.shared_components: set[str] = set()
        self._answers: dict[str, object] = {}
        # Each router's key, once assembled with a store (`router_keys`).
        self.router_keys: dict[str, str] = {}

    def build(self) -> ApiView:
        return self.assemble(self.drafts())

    def drafts(self) -> list[tuple[str, OperationDraft, str | None]]:
        """(tag, draft, its digest: None without a store) of every operation, in order. When
        this document's operations are those of the contract the store last listed them for
        (`operations_of`: everything they are drafted from, outside the component schemas, is
        byte for byte that contract's), that list gives each operation's tag and key (the
        digest of what it is drafted from) without walking the operations; an operation whose
        draft's answers changed is found again by its path and method and drafted."""
        store = self.store
        listed = store.listed(self.operations_of) if store and self.operations_of else None
        if listed is not None:
            found = self._listed_drafts(listed)
            if found is not None:
                assert store is not None
                store.list_operations(self.contract_sha256, listed)
                return found
        drafted = []
        operations: list[tuple[str, str, str, str]] = []
        for raw in iter_operations(self.document, References(self.document)):
            tag_list = raw.node.get("tags") or ["default"]
            draft, identity, key = self._cached_draft(raw)
            drafted.append((str(tag_list[0]), draft, identity))
            if key is not None:
                operations.append((str(tag_list[0]), key, raw.path, raw.method))
        if store is not None and len(operations) == len(drafted):
            store.list_operations(self.contract_sha256, operations)
        return drafted

    def _listed_drafts(
        self, listed: list[tuple[str, str, str, str]]
    ) -> list[tuple[str, OperationDraft, str | None]] | None:
        """The drafts of the operations `listed` (`drafts`); None where one is not found."""
        drafted: list[tuple[str, OperationDraft, str | None]] = []
        refs: References | None = None
        for tag, key, path, method in listed:
            draft, identity = self._kept_draft(key)
            if draft is None:
                refs = refs or References(self.document)
                item = (self.document.get("paths") or {}).get(path)
                raw = next(
                    (
                        op
                        for op in path_item_operations(refs, path, item, pointer_to("paths", path))
                        if op.method == method
                    ),
                    None,
                )
                if raw is None:
                    return None
                draft, identity, _ = self._cached_draft(raw, key)
            drafted.append((tag, draft, identity))
        return drafted

    def view_key(self, drafted: list[tuple[str, OperationDraft, str | None]]) -> str | None:
        """A digest of everything `assemble(drafted)` makes the view model of, but the contract's
        hash (which only the files' headers show); None without a store. Every draft is named
        by its digest (the operation and the answers to its questions, which make the draft)."""
        if self.store is None or any(identity is None for _, _, identity in drafted):
            return None
        return digest(
            (
                self.store.context,
                self.package,
                self.contract_path,
                self._info(),
                self._descriptions(),
                tuple(self._schemes()),
                tuple((tag, identity) for tag, _, identity in drafted),
            )
        )

    def _info(self) -> tuple[str, str]:
        info = self.document.get("info") or {}
        return str(info.get("title", "")), str(info.get("version", ""))

    def _descriptions(self) -> dict[str, str]:
        return {
            str(t.get("name")): str(t.get("description", ""))
            for t in self.document.get("tags") or []
            if isinstance(t, dict)
        }

    def assemble(self, drafted: list[tuple[str, OperationDraft, str | None]]) -> ApiView:
        """The view model from the drafts: names handed out in document order."""
        title, version = self._info()
        tags: dict[str, dict[str, Any]] = {}
        operations: dict[str, list[OperationView]] = {}
        tag_names = NameAllocator(RESERVED_TAG_NAMES)
        module_names = NameAllocator({"__init__"})
        protocol_names = NameAllocator()
        descriptions = self._descriptions()
        method_names: dict[str, NameAllocator] = {}
        sources: dict[str, list[object]] = {}
        for tag_name, draft, identity in drafted:
            if tag_name not in tags:
                python = tag_names.allocate(snake_case(tag_name, fallback="tag"), key=tag_name)
                tags[tag_name] = {
                    "name": tag_name,
                    "python_name": python,
                    "protocol_name": protocol_names.allocate(
                        pascal_case(tag_name, fallback="Tag") + "Service"
                    ),
                    "module_name": module_names.allocate(python),
                    "description": descriptions.get(tag_name, ""),
                }
                operations[tag_name] = []
                sources[tag_name] = []
                method_names[tag_name] = NameAllocator(RESERVED_METHOD_NAMES)
            python_name = method_names[tag_name].allocate(draft.method_name)
            view, source = self._operation(draft, python_name, identity)
            operations[tag_name].append(view)
            sources[tag_name].append((identity, python_name, source))
        views = tuple(
            TagView(**fields, operations=tuple(operations[name])) for name, fields in tags.items()
        )
        self.router_keys = {}
        if self.store is not None and all(identity is not None for _, _, identity in drafted):
            for name, fields in tags.items():
                key = (self.store.context, self.package, self.contract_path, fields, sources[name])
                self.router_keys[f"routers/{fields['module_name']}.py"] = digest(key)
        used: dict[str, ResponseView] = {}
        for tag in views:
            for op in tag.operations:
                for response in op.responses:
                    if response.is_error or response.type in op.returns:
                        used.setdefault(response.class_name, response)
        return ApiView(
            title=title,
            version=version,
            contract_path=self.contract_path,
            contract_sha256=self.contract_sha256,
            package=self.package,
            tags=views,
            schemes=tuple(self._schemes()),
            requirements=tuple(self.requirements.values()),
            responses=tuple(used.values()),
        )

    # -- drafts, and what they read ---------------------------------------------------------

    def _cached_draft(
        self, raw: Operation, key: str | None = None
    ) -> tuple[OperationDraft, str | None, str | None]:
        """The operation's draft, its digest and its key (None without a store): from the
        store where its answers hold. `key`: the operation's key, known already (`drafts`)."""
        store = self.store
        if store is None:
            return self._draft(raw), None, None
        if key is None:
            key = digest(
                (
                    raw.path,
                    raw.method,
                    raw.pointer,
                    raw.node,
                    tuple((p.name, p.location, p.pointer, p.node) for p in raw.parameters),
                )
            )
        kept, identity = self._kept_draft(key)
        if kept is not None:
            return kept, identity, key
        self.reads.current = {}
        try:
            draft = self._draft(raw)
            asked = tuple(self.reads.current)
        finally:
            self.reads.current = None
        reads = tuple((kind, argument, self._answer(kind, argument)) for kind, argument in asked)
        identity = digest((key, reads))
        store.keep(key, (reads, draft, identity), fresh=True)
        return draft, identity, key

    def _kept_draft(self, key: str) -> tuple[OperationDraft | None, str | None]:
        """The store's draft under `key` and its digest, when every question it asked gets the
        same answer now (kept for this run); else (None, None)."""
        store = self.store
        entry = store.get(key) if store is not None else None
        if entry is None or not all(
            self._answer(kind, argument) == answer for kind, argument, answer in entry[0]
        ):
            return None, None
        assert store is not None
        store.keep(key, entry, fresh=False)
        return entry[1], entry[2]

    def _answer(self, kind: str, argument: Any) -> object:
        """What a draft's question (`_Reads`) gets now, asked of the real plan and document."""
        if kind == "ref":
            try:
                return self._answers["ref:" + argument]
            except KeyError:
                pass
            try:
                found = self.refs.target(argument)  # outside a draft: noted nowhere
            except RefError:
                answer: object = "missing"
            else:
                answer = "unfollowed" if found is None else (found.pointer, digest(found.node))
            self._answers["ref:" + argument] = answer
            return answer
        if kind == "class":
            return self.plan.class_names.get(argument)
        if kind == "hoisted":
            return self.plan.hoisted.get(argument)
        if kind == "family":
            return argument in self.plan.families
        if kind == "generated":
            return argument in self.classes
        if kind == "schema":
            return argument in self.types.components
        if kind == "security":
            if "security" not in self._answers:
                self._answers["security"] = digest(self.document.get("security", _ABSENT))
            return self._answers["security"]
        raise ValueError(f"unknown question {kind!r}")  # a cache entry of another build

    def _draft(self, raw: Operation) -> OperationDraft:
        op = raw.node
        names = NameAllocator(RESERVED_ARGUMENTS)
        parameters = self._parameters(raw, names)
        route_path = raw.path
        for param in parameters:
            if param.location == "path":
                route_path = route_path.replace(
                    "{" + param.wire_name + "}", "{" + param.python_name + "}"
                )
        responses = self._responses(raw)
        body = self._body(raw)
        name = operation_name(raw)
        return OperationDraft(
            operation_id=name,
            method=raw.method,
            path=raw.path,
            route_path=route_path,
            summary=" ".join(str(op.get("summary", "")).split()),
            parameters=tuple(parameters),
            body=body,
            responses=tuple(responses),
            security=self._security(op),
            deprecated=bool(op.get("deprecated")),
            base=pascal_case(name, fallback="Operation"),
            method_name=snake_case(name, fallback="operation"),
        )

    # -- operations -------------------------------------------------------------------------

    def _operation(
        self, draft: OperationDraft, python_name: str, identity: str | None = None
    ) -> tuple[OperationView, tuple[object, ...]]:
        """The operation's view, and what it was made of besides its draft (`identity`) and
        `python_name`: the names handed out to it and the drafts its shared responses come
        from. The view is a function of those (`router_keys`)."""
        # `meta/root` and `metaRoot` are one name once Pascal-cased: response classes must differ.
        base = self.operation_bases.allocate(draft.base, key=(draft.path, draft.method))
        parameters = draft.parameters
        responses, made = self._named_responses(draft.responses, base, identity)
        body = draft.body
        bare = self._bare(responses)
        framework = set(_TRANSPORT_STATUSES)
        if body is not None:
            framework |= _BODY_STATUSES
        if body is not None or parameters:
            framework |= _INPUT_STATUSES
        returned = [
            r
            for r in responses
            if not (bare is not None and r.is_success and r.status == bare.status)
            and not (r.is_error and r.status in framework)
        ]
        errors = tuple(r for r in responses if r.is_error)
        returns = ((bare.type,) if bare else ()) + tuple(r.type for r in returned)
        security = self._named_security(draft.security)
        source = (base, tuple(made), security.dependency if security is not None else None)
        view = OperationView(
            operation_id=draft.operation_id,
            method=draft.method,
            path=draft.path,
            route_path=draft.route_path,
            python_name=python_name,
            summary=draft.summary,
            parameters=parameters,
            body=body,
            responses=tuple(responses),
            bare=bare,
            security=security,
            returns=returns or (NONE,),
            errors=errors,
            raise_only=tuple(r for r in errors if r not in returned),
            deprecated=draft.deprecated,
        )
        return view, source

    def _parameters(self, raw: Operation, names: NameAllocator) -> list[ParameterView]:
        in_path = set(PATH_TEMPLATE.findall(raw.path))
        return [
            self._parameter(param.node, names, param.pointer)
            for param in raw.parameters
            if param.location in PARAMETER_LOCATIONS
            and not (param.location == "header" and param.name.lower() in IGNORED_HEADERS)
            and (param.location != "path" or param.name in in_path)
        ]

    def _parameter(
        self, param: dict[str, Any], names: NameAllocator, pointer: str
    ) -> ParameterView:
        location = str(param["in"])
        wire = str(param["name"])
        wanted = safe_identifier(snake_case(wire, fallback="param"), RESERVED_ARGUMENTS)
        if wanted in names:  # `userId` in the path and `user_id` in the query: say where
            wanted = f"{wanted.rstrip('_')}_{location}"
        python = names.allocate(wanted, key=(location, wire))
        required = location == "path" or bool(param.get("required"))
        schema, component = self.types.resolve(param.get("schema") or {})
        kind, constraints = self._parameter_type(schema, component)
        if location == "path":
            styled = self._styled_path(param, schema, pointer, python, kind, constraints)
            if styled is not None:
                return styled
        default = None
        if not required and "default" in schema:
            default = _python_default(schema["default"], kind)
        aliased = location != "path" and (python != wire or location in ("header", "cookie"))
        return ParameterView(
            wire_name=wire,
            python_name=python,
            location=location,
            type=kind,
            required=required,
            default=default,
            alias=wire if aliased else None,
            constraints=tuple(constraints),
            iso_text=kind in _TEMPORAL_TYPES,
            string_keywords=tuple(_string_keywords(schema, kind)),
            description=" ".join(str(param.get("description", "")).split()),
        )

    def _styled_path(
        self,
        param: dict[str, Any],
        schema: dict[str, Any],
        pointer: str,
        python: str,
        kind: TypeRef,
        constraints: list[Constraint],
    ) -> ParameterView | None:
        """An array or object path parameter, read by the runtime's `styled_path` (FastAPI routes
        only scalars): split as its style says, then validated as its list or class."""
        types = schema_types(schema).names
        if types == ("array",):
            shape = "array"
        elif types == ("object",) or (not types and "properties" in schema):
            shape = "object"
            kind = self.types.annotation(param.get("schema"), pointer + "/schema", "request")
            if not kind.is_model:
                kind = TypeRef("dict", args=(STR, STR))
        else:
            return None
        style = str(param.get("style") or "simple")
        if style not in ("simple", "label", "matrix"):
            style = "simple"
        item_bounds: list[Constraint] = []
        if shape == "array":
            items, item_component = self.types.resolve(schema.get("items") or {})
            _, item_bounds = self._parameter_type(items, item_component)
        return ParameterView(
            wire_name=str(param["name"]),
            python_name=python,
            location="path",
            type=kind,
            required=True,
            default=None,
            alias=None,
            constraints=tuple(constraints) if shape == "array" else (),
            styled=StyledPath(
                style=style,
                explode=param.get("explode") is True,
                kind=shape,
                items=tuple(item_bounds),
            ),
            description=" ".join(str(param.get("description", "")).split()),
        )

    def _parameter_type(
        self, schema: dict[str, Any], component: str | None
    ) -> tuple[TypeRef, list[Constraint]]:
        if schema_types(schema).names == ("array",):
            items, item_component = self.types.resolve(schema.get("items") or {})
            inner, _ = self._parameter_type(items, item_component)
            if inner.is_list:
                inner = STR
            constraints = _bounds(schema, "min_length", "max_length", "minItems", "maxItems")
            return list_of(inner), constraints
        if component is not None and "enum" in schema:
            class_base = self.types.plan.class_names[component]
            try:
                return TypeRef(self.types.class_for(class_base, "request"), module="models"), []
            except LookupError:
                pass
        scalar = self.types.scalar(schema)
        if scalar is None or scalar == BYTES:
            return STR, []
        bounds: list[Constraint] = []
        if scalar.name in ("int", "float"):
            bounds += _numeric_bounds(schema)
        elif scalar == STR:
            bounds += _bounds(schema, "min_length", "max_length", "minLength", "maxLength")
            pattern = schema.get("pattern")
            if isinstance(pattern, str):
                pattern = ecma_to_python(pattern)
            if isinstance(pattern, str) and _python_regex_ok(pattern):
                # lookaround and backreferences: a compiled pattern makes pydantic use `re`
                bounds.append(Constraint("pattern", pattern, compiled=needs_python_engine(pattern)))
        return scalar, bounds

    def _body(self, raw: Operation) -> BodyView | None:
        body, owner = self.refs.resolve(
            raw.node.get("requestBody"), child(raw.pointer, "requestBody")
        )
        if not isinstance(body, dict) or not body:
            return None
        picked = pick_media(body.get("content") or {})
        if picked is None:
            return None
        media, value = picked
        pointer = child(owner, "content", media, "schema")
        schema = value.get("schema")
        required = bool(body.get("required"))
        lowered = media.lower()
        if is_json_media(media):
            kind = self.types.annotation(schema, pointer, "request")
            return BodyView("json", media, kind, required)
        if lowered.startswith(("multipart/", "application/x-www-form-urlencoded")):
            kind = self.types.annotation(schema, pointer, "request")
            if not kind.is_model:
                return BodyView("raw", media, BYTES, required)
            return BodyView("form", media, kind, required, tuple(self._form_fields(schema)))
        return BodyView("raw", media, BYTES, required)

    def _form_fields(self, schema: Any) -> list[FormFieldView]:
        resolved, _ = self.types.resolve(schema)
        fields: list[FormFieldView] = []
        for name, prop in _properties(self.types, resolved).items():
            prop_schema, _ = self.types.resolve(prop)
            types = schema_types(prop_schema).names
            many = types == ("array",)
            if many:
                prop_schema, _ = self.types.resolve(prop_schema.get("items") or {})
                types = schema_types(prop_schema).names
            fields.append(FormFieldView(name, _form_kind(prop_schema, types), many))
        return fields

    def _responses(self, raw: Operation) -> list[ResponseDraft]:
        drafts: list[ResponseDraft] = []
        for key, response_node in (raw.node.get("responses") or {}).items():
            key = str(key)
            response, owner = self.refs.resolve(response_node, child(raw.pointer, "responses", key))
            if not isinstance(response, dict):
                continue
            status = int(key) if key.isdigit() else None
            media: str | None = None
            body_kind: str | None = None
            body_type: TypeRef | None = None
            picked = pick_media(response.get("content") or {})
            if picked is not None and status not in _NO_BODY_STATUSES and not key.startswith("1"):
                media, value = picked
                pointer = child(owner, "content", media, "schema")
                if is_json_media(media):
                    body_kind = "json"
                    body_type = self.types.annotation(value.get("schema"), pointer, "response")
                elif media.lower().startswith("text/"):
                    body_kind, body_type = "text", STR
                else:
                    body_kind, body_type = "bytes", BYTES
                if media == "*/*":
                    media = "application/json"
            component = _response_component(response_node)
            drafts.append(
                ResponseDraft(
                    key=key,
                    status=status,
                    media_type=media,
                    body_kind=body_kind,
                    body=body_type,
                    headers=tuple(self._headers(response.get("headers") or {})),
                    description=" ".join(str(response.get("description", "")).split()),
                    component=component,
                    label=status_label(key),
                    component_class=(
                        pascal_case(component, fallback="Response") if component else ""
                    ),
                )
            )
        return drafts

    def _named_responses(
        self, drafts: tuple[ResponseDraft, ...], base: str, identity: str | None
    ) -> tuple[list[ResponseView], list[tuple[str, str | None]]]:
        """The response views, and what each was made of besides the draft of `identity`: its
        class name, and the draft a shared one was made from (its digest), else None."""
        views: list[ResponseView] = []
        made: list[tuple[str, str | None]] = []
        for draft in drafts:
            component = draft.component
            shared = self.shared_responses.get((component, draft.key)) if component else None
            if component and shared is not None:
                views.append(shared)
                made.append((shared.class_name, self.shared_from[(component, draft.key)]))
                continue
            if component is not None:
                wanted = draft.component_class
                if component in self.shared_components:  # the same response, a second status
                    wanted += draft.label
                class_name = self.response_names.allocate(wanted)
            else:
                class_name = self.response_names.allocate(f"{base}{draft.label}Response")
            view = ResponseView(
                key=draft.key,
                class_name=class_name,
                status=draft.status,
                media_type=draft.media_type,
                body_kind=draft.body_kind,
                body=draft.body,
                headers=draft.headers,
                description=draft.description,
                component=component,
            )
            if component is not None:
                self.shared_responses[(component, draft.key)] = view
                self.shared_from[(component, draft.key)] = identity
                self.shared_components.add(component)
            views.append(view)
            made.append((class_name, None))
        return views, made

    def _headers(self, headers: dict[str, Any]) -> list[HeaderView]:
        names = NameAllocator({"status_code", "body"})
        views: list[HeaderView] = []
        for wire, node in headers.items():
            if wire.lower() == "content-type":
                continue
            header, _ = self.refs.resolve(node, "")
            if not isinstance(header, dict):
                continue
            schema, _ = self.types.resolve(header.get("schema") or {})
            scalar = self.types.scalar(schema)
            kind = scalar if scalar is not None and scalar.name in _HEADER_SCALARS else STR
            views.append(
                HeaderView(
                    wire_name=wire,
                    python_name=names.allocate(snake_case(wire, fallback="header")),
                    type=kind,
                    required=bool(header.get("required")),
                )
            )
        return views

    def _bare(self, responses: list[ResponseView]) -> BareView | None:
        success = [r for r in responses if r.is_success]
        if not success:
            return None
        first = min(success, key=lambda r: r.status or 0)
        if first.headers:  # headers need the wrapper: one way to return each success
            return None
        # A bare `Any` in the union would swallow every response class (`list[Any]` is fine).
        if first.body is not None and first.body.is_any:
            return None
        return BareView(
            status=first.status or 200,
            media_type=first.media_type,
            body_kind=first.body_kind,
            type=first.body or NONE,
        )

    # -- security ---------------------------------------------------------------------------

    def _security(self, op: dict[str, Any]) -> SecurityDraft | None:
        if "security" not in op:
            self.reads.note("security", "")
        requirements = op.get("security", self.document.get("security"))
        if not isinstance(requirements, list) or not requirements:
            return None
        alternatives = tuple(
            tuple((str(k), tuple(str(s) for s in v or [])) for k, v in req.items())
            for req in requirements
            if isinstance(req, dict) and req
        )
        optional = any(isinstance(req, dict) and not req for req in requirements)
        if not alternatives:
            return None
        # After scheme and scopes: `oauth2_admin`, `bearer_auth_or_api_key`, `optional_...`.
        words = "_or_".join(
            "_and_".join(
                "_".join(snake_case(part, fallback="scope") for part in (scheme, *scopes))
                for scheme, scopes in alt
            )
            for alt in alternatives
        )
        if optional:
            words = "optional_" + words
        return SecurityDraft(
            key=json.dumps([alternatives, optional], sort_keys=True),
            wanted=safe_identifier(words[:80].rstrip("_"), RESERVED_SECURITY_NAMES),
            alternatives=alternatives,
            optional=optional,
            schemes=tuple(dict.fromkeys(name for alt in alternatives for name, _ in alt)),
        )

    def _named_security(self, draft: SecurityDraft | None) -> SecurityView | None:
        if draft is None:
            return None
        requirement = self.requirements.get(draft.key)
        if requirement is None:
            name = self.requirement_names.allocate(draft.wanted)
            requirement = RequirementView(
                name=name, alternatives=draft.alternatives, optional=draft.optional
            )
            self.requirements[draft.key] = requirement
        return SecurityView(
            dependency=requirement.name, optional=draft.optional, schemes=draft.schemes
        )

    def _schemes(self) -> list[SchemeView]:
        schemes = components(self.document, "securitySchemes")
        views: list[SchemeView] = []
        for name, node in schemes.items():
            scheme, _ = self.refs.resolve(node, "")
            if not isinstance(scheme, dict):
                continue
            kind = str(scheme.get("type", ""))
            if kind == "http":
                http = str(scheme.get("scheme", "")).lower()
                views.append(
                    SchemeView(
                        name,
                        http if http in ("bearer", "basic") else f"http-{http}",
                        "header",
                        "Authorization",
                    )
                )
            elif kind == "apiKey":
                views.append(
                    SchemeView(
                        name, "apikey", str(scheme.get("in", "header")), str(scheme.get("name", ""))
                    )
                )
            elif kind in ("oauth2", "openIdConnect"):
                views.append(SchemeView(name, "bearer", "header", "Authorization"))
            else:
                views.append(SchemeView(name, "unsupported", "header", ""))
        return views


def _response_component(node: Any) -> str | None:
    """The `components/responses` key a response `$ref`s, if it is one."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    if not isinstance(ref, str) or not ref.startswith("#/components/responses/"):
        return None
    tokens = split_pointer(ref[1:])
    return tokens[2] if len(tokens) == 3 else None


def _properties(types: TypeNamer, schema: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        resolved, _ = types.resolve(part)
        props.update(_properties(types, resolved))
    return props


def _form_kind(schema: dict[str, Any], types: tuple[str, ...]) -> str:
    if (types == ("string",) and schema.get("format") in ("binary", "byte")) or schema.get(
        "contentMediaType"
    ):
        return "file"
    if types == ("integer",):
        return "int"
    if types == ("number",):
        return "float"
    if types == ("boolean",):
        return "bool"
    if types == ("object",) or "properties" in schema or "allOf" in schema or "oneOf" in schema:
        return "json"
    return "str" if types == ("string",) else "any"


def _bounds(
    schema: dict[str, Any], low_arg: str, high_arg: str, low_key: str, high_key: str
) -> list[Constraint]:
    out: list[Constraint] = []
    if isinstance(schema.get(low_key), int):
        out.append(Constraint(low_arg, schema[low_key]))
    if isinstance(schema.get(high_key), int):
        out.append(Constraint(high_arg, schema[high_key]))
    return out


def _string_keywords(schema: dict[str, Any], kind: TypeRef) -> list[Constraint]:
    """`StringKeywords(...)` arguments for a string parameter whose format maps to a type that
    takes no string constraints (uuid, date, date-time): checked on the text as sent."""
    if kind not in _FORMAT_TYPES:
        return []
    arguments = _bounds(schema, "min_length", "max_length", "minLength", "maxLength")
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and _python_regex_ok(ecma_to_python(pattern)):
        arguments.append(Constraint("pattern", ecma_to_python(pattern)))
    return arguments


def _numeric_bounds(schema: dict[str, Any]) -> list[Constraint]:
    out: list[Constraint] = []
    number = (int, float)
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    exclusive_min, exclusive_max = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(exclusive_min, number) and not isinstance(exclusive_min, bool):
        out.append(Constraint("gt", exclusive_min))
    elif isinstance(minimum, number) and not isinstance(minimum, bool):
        out.append(Constraint("gt" if exclusive_min is True else "ge", minimum))
    if isinstance(exclusive_max, number) and not isinstance(exclusive_max, bool):
        out.append(Constraint("lt", exclusive_max))
    elif isinstance(maximum, number) and not isinstance(maximum, bool):
        out.append(Constraint("lt" if exclusive_max is True else "le", maximum))
    return out


def _python_regex_ok(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _python_default(value: Any, kind: TypeRef) -> Default | None:
    """A parameter default, when it fits the parameter's type."""
    if isinstance(value, bool):
        return Default(value) if kind.name == "bool" else None
    if isinstance(value, int) and kind.name in ("int", "float") and kind.module is None:
        return Default(value)
    if isinstance(value, float) and kind.name == "float" and kind.module is None:
        return Default(value)
    if isinstance(value, str):
        if kind == STR or (kind.name == "Literal" and value in kind.literals):
            return Default(value)
        if kind.is_model:
            return Default(value, enum=kind)
    return None

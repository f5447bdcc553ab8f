"""`specfirst scaffold`: append typed 501 stubs for operations the hand-written services lack."""

from __future__ import annotations

import argparse
from typing import Any

from specfirst.commands._common import error


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "scaffold",
        help="add typed stubs for operations the service classes lack",
        description="For every operation of the generated Protocols that the hand-written "
        "service class lacks, append a stub with the Protocol's exact signature that answers "
        "501 (a new tag's class goes into a new module). Add-only and idempotent: nothing else "
        "in a file changes. The classes live in the API's `services` folder "
        "([tool.specfirst.apis]); run `specfirst generate` first. With --check, change nothing "
        "and exit 1 on missing methods, methods the contract no longer has, or differing "
        "signatures (file:line each).",
    )
    parser.add_argument("--api", help="only this configured API (default: every one with services)")
    parser.add_argument(
        "--check", action="store_true", help="report what differs, change nothing (exit 1 if any)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from specfirst.commands._common import selected_apis
    from specfirst.scaffold import ScaffoldError, apply, check, plan

    apis = selected_apis(args)
    if args.api and not apis:
        error(f"no configured API named {args.api!r}")
        return 2
    if args.api and apis[0].services is None:
        error(
            f"API {args.api!r} has no `services` folder in [tool.specfirst.apis]"
            " (where its service classes live; see docs/configuration.md)"
        )
        return 2
    apis = [api for api in apis if api.services is not None]
    if not apis:
        error("no API in [tool.specfirst] names a `services` folder (see docs/configuration.md)")
        return 2
    status = 0
    for api in apis:
        assert api.services is not None
        try:
            if args.check:
                findings = check(api.package_dir, api.services)
                for finding in findings:
                    print(finding)
                if findings:
                    status = 1
                    print(
                        f"{api.name}: {len(findings)} difference(s); `specfirst scaffold` adds missing stubs"
                    )
                else:
                    print(f"{api.name}: every operation has its method in {api.services}")
                continue
            result = plan(api.package_dir, api.services)
            apply(result)
        except ScaffoldError as exc:
            error(str(exc))
            return 2
        if not result.changes:
            print(f"{api.name}: nothing to add ({api.services} has every operation)")
        for change in result.changes:
            verb = "created" if change.created else "added to"
            print(f"{change.path}: {verb}: {', '.join(change.added)}")
        for name in result.new_classes:
            print(
                f"  new class {name}: bind it in your app, "
                f"create_app(..., {_keyword(name)}={name}())"
            )
    return status


def _keyword(class_name: str) -> str:
    from specfirst.names import snake_case

    return snake_case(class_name.removesuffix("Service") or class_name)

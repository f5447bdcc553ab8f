"""From a loaded contract to the files of a generated package.

Stages, each a module with plain-data output: `build` (document → view model, with inline schemas
hoisted), `models` (datamodel-code-generator), `render` (jinja2 over the view model), `write`
(format, then swap into place atomically).
"""

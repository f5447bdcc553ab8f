"""A hand-written implementation of the example contract (specs/example/openapi.yaml).

It shows the whole flow: the contract is the truth, `generated/example_api` is generated from it,
and this package only implements the service Protocols and the credential verifiers.
"""

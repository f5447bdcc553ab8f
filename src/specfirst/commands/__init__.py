"""Sub-commands of the `specfirst` CLI, one module each."""

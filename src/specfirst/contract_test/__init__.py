"""`specfirst contract-test`: prove that the running app keeps its contract (Schemathesis)."""

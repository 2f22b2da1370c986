"""Pure lifecycles of alerts and tasks: (state, event) -> (state, effects), no I/O."""

"""The batch runner: wires the analytics to an engine and the workspace's mart tables."""

"""The pure core: value types, task files, generation, mutation, comparison,
shrinking, triage and rendering. Nothing here starts a process or touches the
disk beyond reading a task file; every other layer may import it."""

"""Running programs: the executor (one method: ``run(program, case) -> Outcome``),
private scratch directories, the pair runner and its worker pool, and the
isolation around each run (cgroups, bubblewrap, Landlock, seccomp, the Python
fork-server). Imports only ``core``."""

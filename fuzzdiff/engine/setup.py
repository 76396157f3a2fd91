"""A campaign's set-up from names and command lines: the task file, both programs,
and the runner with its isolation. Every problem a user can cause surfaces here,
before anything runs, as a ``UserError`` with a clear message. Used by every
entry point (``api``, the coverage mode, the oracle)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace

from fuzzdiff.core.errors import ProgramError
from fuzzdiff.core.model import Program
from fuzzdiff.core.spec import TaskSpec, load_task
from fuzzdiff.run.allowlist import Allowlist, Root, always, needs, which
from fuzzdiff.run.execute import resolve_executable
from fuzzdiff.run.hermetic import HERMETIC_LIB, hermetic_spec
from fuzzdiff.run.paths import copies, data_paths, git_dirs, program_files
from fuzzdiff.run.program import candidate_program, program_name, reference_program, reference_version
from fuzzdiff.run.runner import Isolation, PoolRunner, ReferenceCache, default_jobs


@dataclass(frozen=True, slots=True)
class Setup:
    spec: TaskSpec
    reference: Program
    candidate: Program
    warnings: tuple[str, ...]
    #: False where ``prepare`` was told the reference need not run and it is not
    #: installed: ``reference`` then only names it (a replay of stored outcomes).
    reference_installed: bool = True


def prepare(task: str | TaskSpec, candidate: str, cwd: str | None = None, *, need_reference: bool = True) -> Setup:
    """Load the task and resolve both programs; raises ``UserError`` on any problem.
    A hermetic task's environment gains the hermetic variables (``run.hermetic``).
    ``need_reference=False``: a reference that is not installed is no error (a CI
    machine replaying a committed corpus need not have it)."""
    spec = hermetic_spec(task if isinstance(task, TaskSpec) else load_task(task))
    installed = True
    try:
        reference = reference_program(spec)
    except ProgramError:
        if need_reference:
            raise
        reference, installed = Program(argv=(spec.program, *spec.args), argv0=program_name(spec)), False
    cand = candidate_program(candidate, spec, cwd)
    path = dict(spec.env).get("PATH", os.defpath)
    # `sh` is implied, not declared: a task whose PATH has none simply offers none
    missing = [t for t in spec.tools if t != "sh" and "/" not in t and which(t, path) is None]
    if missing:  # a typo here would make every sandboxed run of a candidate that uses it fail
        raise ProgramError(
            f"task {spec.name!r} lists tools {missing} that are not on its PATH ({path}); "
            f"install them or remove them from `tools` in {spec.source}"
        )
    warnings: list[str] = []
    # data a build traced on its machine (figlet's fonts) may lie elsewhere on this one
    absent = [t for t in spec.tools if "/" in t and not os.path.exists(t)]
    if absent:
        warnings.append(
            f"task {spec.name!r} lists files {absent} in `tools` that are not on this machine: a sandboxed "
            f"candidate will not see them (nor, likely, the reference); install them or edit {spec.source}"
        )
    if spec.version and installed:
        found = reference_version(reference)
        # "": the program does not say (openssl refuses --version); nothing to compare
        if found and found != spec.version:
            warnings.append(
                f"reference version is {found!r} but task {spec.name!r} was written for {spec.version!r}; "
                "verdicts may differ from those recorded for it"
            )
    return Setup(spec, reference, cand, tuple(warnings), reference_installed=installed)


def hidden_paths(setup: Setup, mask_reference: bool) -> tuple[str, ...]:
    """What a sandboxed candidate must not see: fuzzdiff's task files, corpora and
    caches (expected outputs), and with ``mask_reference`` the reference itself,
    the programs its task file lists under ``mask`` (multi-call binaries), and any
    hard link or copy of them on the task's PATH or beside them."""
    paths = list(data_paths())
    paths += git_dirs(paths)  # the shipped corpora's history: the same answers
    if mask_reference:
        path_env = dict(setup.spec.env).get("PATH", "")
        # a reference not installed here has no files to hide (its bare name, resolved
        # against the current directory, hid a candidate of the same name)
        programs = list(program_files(setup.reference.argv)) if setup.reference_installed else []
        for name in setup.spec.mask:
            with suppress(ProgramError):  # not installed here: nothing to hide
                programs.append(resolve_executable(name, path_env))
        real = [os.path.realpath(p) for p in programs]
        search = [*path_env.split(os.pathsep), *(os.path.dirname(p) for p in programs + real)]
        paths += [*programs, *real, *copies(real, search)]
    return tuple(dict.fromkeys(p for p in paths if os.path.exists(p)))


def candidate_root(setup: Setup, mask_reference: bool, hide: Sequence[str] = ()) -> Root:
    """What the candidate's sandbox holds (``fuzzdiff.run.allowlist``): what its command
    needs and the task's ``tools``; where the reference is not masked (the
    candidate may run it, so nothing is secret), also the reference and the
    system's ``/usr``, so that shell wrappers find their tools. fuzzdiff's data is
    kept out either way, and so is ``hide``. A hermetic task's preloaded library is bound too."""
    spec = setup.spec
    path = dict(spec.env).get("PATH", os.defpath)
    allow = Allowlist(tools=spec.tools, system=not mask_reference, path=path, keep_out=(*data_paths(), *hide))
    root = needs(setup.candidate.argv, allow).union(always())
    if not mask_reference:
        root = root.union(needs(setup.reference.argv, replace(allow, tools=())))
    if spec.hermetic:
        root = root.union(needs([HERMETIC_LIB], replace(allow, tools=(), system=False)))
    return root


def sandboxed_root(setup: Setup, mask_reference: bool, hide: Sequence[str] = ()) -> tuple[tuple[str, ...], Root]:
    """The paths the sandbox hides and the candidate's root (``candidate_root``),
    after refusing a candidate whose own program is hidden: wherever a runner
    takes a candidate, a new runner or one reused for the next (a batch slot took
    `/usr/bin/wc` after a Python candidate without the check, and said
    "Permission denied; check the path" where alone it said why)."""
    hidden = (*hidden_paths(setup, mask_reference), *(p for p in hide if os.path.exists(p)))
    _refuse_hidden_candidate(setup, hidden)
    return hidden, candidate_root(setup, mask_reference, hide)


def _refuse_hidden_candidate(setup: Setup, hidden: Sequence[str]) -> None:
    """A ``ProgramError`` where the candidate's own program is one the sandbox hides
    (the reference itself, a copy or a masked multi-call binary): every run of it
    failed with "cannot start /usr/bin/base64: Permission denied; check the path
    and its execute bit", which sent the user to a file that is fine."""
    exe = os.path.realpath(setup.candidate.argv[0])
    if any(exe == os.path.realpath(h) or exe.startswith(os.path.realpath(h).rstrip("/") + "/") for h in hidden):
        raise ProgramError(
            f"the candidate's program {setup.candidate.argv[0]} is the reference, a copy of it or a program "
            "the task masks, which the masked sandbox hides: a candidate must be a program of its own "
            "(to compare two installed programs, run without --mask-reference, or without the sandbox)"
        )


def make_runner(
    setup: Setup,
    jobs: int | None = None,
    sandbox: bool = False,
    mask_reference: bool = False,
    reference_cache: ReferenceCache | None = None,
    hide: Sequence[str] = (),
) -> PoolRunner:
    """Worker processes for ``setup`` (the caller closes them); with ``sandbox``,
    each side runs in bubblewrap. ``hide``: more paths the sandboxed candidate
    must not see (a corpus being replayed holds the answers)."""
    isolation = Isolation()
    if sandbox:
        hidden, root = sandboxed_root(setup, mask_reference, hide)
        isolation = Isolation(True, tuple(dict.fromkeys(hidden)), root=root)
    return PoolRunner(
        jobs or default_jobs(),
        dict(setup.spec.env),
        setup.spec.limits,
        setup.reference,
        setup.candidate,
        reference_cache=reference_cache,
        isolation=isolation,
    )


@contextmanager
def open_runner(
    setup: Setup,
    jobs: int | None = None,
    sandbox: bool = False,
    mask_reference: bool = False,
    reference_cache: ReferenceCache | None = None,
    hide: Sequence[str] = (),
) -> Iterator[PoolRunner]:
    """``make_runner``'s workers, closed when the block ends."""
    runner = make_runner(setup, jobs, sandbox, mask_reference, reference_cache, hide)
    try:
        yield runner
    finally:
        runner.close()

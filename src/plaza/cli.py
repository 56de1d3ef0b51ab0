"""The `plaza` command for operators: serve, scan pictures (worker), migrate, manage users,
load demo data."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from plaza.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from plaza.runtime import Runtime

app = typer.Typer(help="Plaza: chat, moments, public accounts.", no_args_is_help=True)
user_app = typer.Typer(help="Manage people.", no_args_is_help=True)
app.add_typer(user_app, name="user")
moderation_app = typer.Typer(
    help="Trust and safety: keyword and hash lists, purging old evidence.", no_args_is_help=True
)
keywords_app = typer.Typer(help="Keyword and phrase lists, per policy.", no_args_is_help=True)
hashes_app = typer.Typer(help="PDQ picture hash lists, per policy.", no_args_is_help=True)
moderation_app.add_typer(keywords_app, name="keywords")
moderation_app.add_typer(hashes_app, name="hashes")
app.add_typer(moderation_app, name="moderation")
audit_app = typer.Typer(help="The moderation audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
console = Console(stderr=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where SQLite and uploads live (PLAZA_DATA_DIR).")
]


def _settings(data_dir: Path | None) -> Settings:
    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings


def _with_runtime(
    settings: Settings, work: Callable[[Runtime, AsyncSession], Awaitable[str]]
) -> str:
    """Run one operator action on a runtime of its own (closed afterwards); a refusal is
    printed and exits 1."""
    from plaza.app import build_runtime
    from plaza.errors import PlazaError

    async def run() -> str:
        runtime = build_runtime(settings)
        try:
            async with runtime.sessions() as session:
                return await work(runtime, session)
        finally:
            await runtime.bus.close()
            await runtime.engine.dispose()

    try:
        return asyncio.run(run())
    except PlazaError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None


def _migrate(settings: Settings) -> None:
    from plaza.migrate import upgrade

    with console.status("Applying database migrations..."):
        upgrade(settings)


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Bring the database schema up to date."""
    settings = _settings(data_dir)
    _migrate(settings)
    console.print("[green]Database is up to date.[/green]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: DataDir = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes sharing the port; more than 1 needs PostgreSQL "
            "(PLAZA_DATABASE_URL) and Redis (PLAZA_REDIS_URL).",
        ),
    ] = 1,
) -> None:
    """Migrate, then serve the web client, the API and live events until SIGTERM/Ctrl-C."""
    import uvicorn

    settings = _settings(data_dir)
    if workers > 1:
        missing = _multi_worker_problems(settings)
        if missing:
            console.print(
                f"[red]--workers {workers} needs {' and '.join(missing)}.[/red] Each worker is "
                "a process of its own: SQLite is written by one process, and the in-process "
                "event bus and rate limits do not cross processes. Run with --workers 1 "
                "otherwise."
            )
            raise typer.Exit(2)
    _check_policies(settings)
    _migrate(settings)  # once, here, before any worker starts
    where = "SQLite in " + str(settings.data_dir.resolve()) if settings.is_sqlite else "PostgreSQL"
    processes = f", {workers} worker processes" if workers > 1 else ""
    console.print(f"[bold]Plaza[/bold] on [link]http://{host}:{port}[/link] ({where}{processes})")
    console.print("Create an administrator with: plaza user create NAME --role admin")
    options: dict[str, Any] = dict(
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws="plaza.live.direct:DirectWebSocketProtocol",
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        timeout_graceful_shutdown=10,
        # Plaza reads X-Forwarded-For itself, and only from PLAZA_TRUSTED_PROXIES.
        proxy_headers=False,
        log_level="warning",
        access_log=False,
    )
    if workers > 1:
        # Every worker is a fresh (spawned) interpreter that builds its own app from the
        # environment, so --data-dir travels there as PLAZA_DATA_DIR. uvicorn's supervisor binds
        # the port once, hands the socket to each worker, restarts a worker that dies, and on
        # SIGTERM/SIGINT stops them all (each shuts down gracefully) and returns: exit 0.
        os.environ["PLAZA_DATA_DIR"] = str(settings.data_dir)
        _serve_workers(uvicorn.Config(WORKER_APP, factory=True, workers=workers, **options))
        return
    from plaza.app import create_app

    config = uvicorn.Config(create_app(settings), **options)
    # uvicorn re-raises SIGTERM after its graceful shutdown, which would make the exit status
    # "killed by SIGTERM"; with this no-op handler installed beforehand (uvicorn restores it
    # when it is done), the re-raised signal is ignored and a clean shutdown exits 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    uvicorn.Server(config).run()


#: What each worker process of `plaza serve --workers N` imports and calls.
WORKER_APP = "plaza.app:create_app_from_env"


def _serve_workers(config: Any) -> None:
    """What `uvicorn.run` does for several workers, plus an exit status: a worker that cannot
    start (it exits with uvicorn's STARTUP_FAILURE, and uvicorn then stops the others) makes
    `plaza serve` exit non-zero instead of 0."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        console.print("[red]A worker process failed to start; see the messages above.[/red]")
        raise typer.Exit(STARTUP_FAILURE)


def _check_policies(settings: Settings) -> None:
    """Refuse to start on a policy catalogue that cannot be enforced, naming the line."""
    from plaza.moderation.catalogue import CatalogueError, load

    try:
        load(settings.policies)
    except CatalogueError as error:
        console.print(str(error), style="red", highlight=False, markup=False)
        raise typer.Exit(2) from None


def _multi_worker_problems(settings: Settings) -> list[str]:
    """What several worker processes would lack: shared storage and a shared bus."""
    missing = []
    if not settings.resolved_database_url().startswith("postgresql"):
        missing.append("PostgreSQL (PLAZA_DATABASE_URL=postgresql+asyncpg://...)")
    if not settings.redis_url:
        missing.append("Redis (PLAZA_REDIS_URL=redis://...)")
    return missing


@app.command()
def worker(
    data_dir: DataDir = None,
    processes: Annotated[
        int | None,
        typer.Option(min=1, help="Pictures scanned at once, one process each (default: cores)."),
    ] = None,
) -> None:
    """Scan pictures (known-hash lists, nudity) without serving anything, until SIGTERM/Ctrl-C.
    With PLAZA_MODERATION_SCAN_QUEUE=true (PostgreSQL), it takes the scan jobs of every node;
    otherwise the pending scans of this database. Run web nodes with
    PLAZA_MODERATION_SCAN_PROCESSES=0 so they leave the scanning to workers."""
    settings = _settings(data_dir)
    if settings.moderation_scan_queue and settings.is_sqlite:
        console.print(
            "[red]PLAZA_MODERATION_SCAN_QUEUE needs PostgreSQL[/red] "
            "(PLAZA_DATABASE_URL=postgresql+asyncpg://...): the scan jobs are kept there."
        )
        raise typer.Exit(2)
    count = processes or os.cpu_count() or 1
    settings = settings.model_copy(update={"moderation_scan_processes": count})
    _check_policies(settings)
    _migrate(settings)
    queue = "the scan queue in PostgreSQL" if settings.moderation_scan_queue else "this database"
    console.print(
        f"[bold]Plaza worker[/bold]: {count} scanning processes, taking scans from {queue}"
    )
    asyncio.run(_scan_until_stopped(settings))


async def _scan_until_stopped(settings: Settings) -> None:
    """The app's start-up and shutdown (which start and stop its scanning) with no server."""
    from plaza.app import create_app

    app = create_app(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with app.router.lifespan_context(app):
        await stopping.wait()


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[str, typer.Option(help="member, moderator or admin.")] = "member",
    display_name: Annotated[str | None, typer.Option(help="Defaults to the username.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a person (asks for the password unless --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = _settings(data_dir)
    _migrate(settings)

    async def create(runtime: Runtime, session: AsyncSession) -> str:
        from plaza.accounts.service import users

        # Committed by `register`, with the person: a staff account never appears unlogged.
        _audit_operator(
            session, runtime, "user.create", username, {"username": username, "role": role}
        )
        user = await users.register(
            session,
            passwords=runtime.passwords,
            clock=runtime.clock,
            username=username,
            password=password,
            display_name=display_name or username,
            role=role,
        )
        return user.username

    name = _with_runtime(settings, create)
    console.print(f"[green]Created {name} ({role}).[/green]")


@user_app.command("status")
def user_status(
    username: str,
    status: Annotated[str, typer.Argument(help="active, suspended or closed.")],
    data_dir: DataDir = None,
) -> None:
    """Suspend, close or reinstate a person. Suspending or closing signs them out everywhere
    (their open sockets close); nothing they wrote is deleted."""
    settings = _settings(data_dir)
    _migrate(settings)

    async def change(runtime: Runtime, session: AsyncSession) -> str:
        from plaza.accounts.service import users
        from plaza.accounts.service.status import set_status

        user = await users.get_user(session, username=username)
        details = {"status": status, "previous": user.status}
        _audit_operator(session, runtime, "user.status", user.username, details)
        await set_status(session, clock=runtime.clock, bus=runtime.bus, user=user, status=status)
        return user.username

    name = _with_runtime(settings, change)
    console.print(f"[green]{name} is now {status}.[/green]")


@user_app.command("role")
def user_role(
    username: str,
    role: Annotated[str, typer.Argument(help="member, moderator or admin.")],
    data_dir: DataDir = None,
) -> None:
    """Make a person a member, a moderator or an admin. The change is in the audit log; it
    applies to their next request."""
    settings = _settings(data_dir)
    _migrate(settings)

    async def change(runtime: Runtime, session: AsyncSession) -> str:
        from plaza.accounts.service import users

        user = await users.get_user(session, username=username)
        details = {"role": role, "previous": user.role}
        users.set_role(user, role)
        _audit_operator(session, runtime, "user.role", user.username, details)
        await session.commit()
        return user.username

    name = _with_runtime(settings, change)
    console.print(f"[green]{name} is now {role}.[/green]")


def _audit_operator(
    session: AsyncSession, runtime: Runtime, verb: str, username: str, details: dict[str, Any]
) -> None:
    """An audit entry for the operator's command line (no actor), in `session`'s transaction:
    it is written when, and only if, that transaction commits."""
    from plaza.moderation.service import audit

    audit.record(
        session,
        clock=runtime.clock,
        actor_id=None,
        verb=verb,
        target=f"user:{username}",
        details=details,
    )


@audit_app.command("verify")
def audit_verify(data_dir: DataDir = None) -> None:
    """Check the audit log's hash chain: exit 0 when every entry's hash matches its contents
    and links to the entry before it, 1 naming the first entry that does not (edited,
    deleted, or written outside the chain). Entries from before the chain existed are
    counted as unchained and skipped."""
    from rich.progress import Progress

    settings = _settings(data_dir)
    _migrate(settings)

    async def walk(runtime: Runtime, session: AsyncSession) -> str:
        from plaza.moderation.service import audit_chain

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Checking the audit log", total=None)
            verdict = await audit_chain.verify(
                session,
                total=lambda count: progress.update(task, total=count),
                progress=lambda count: progress.advance(task, count),
            )
        if verdict.broken is not None:
            broken = verdict.broken
            console.print(
                f"[red]The chain is broken at entry {broken.entry_id}[/red] ({broken.verb}, "
                f"{broken.created_at.isoformat()}): {broken.reason}.",
                highlight=False,
            )
            raise typer.Exit(1)
        unchained = (
            f" ({verdict.unchained} unchained entries from before the chain, skipped)"
            if verdict.unchained
            else ""
        )
        return f"{verdict.entries} entries, chain intact{unchained}"

    console.print(f"[green]{_with_runtime(settings, walk)}[/green]", highlight=False)


ListFile = Annotated[
    Path,
    typer.Argument(exists=True, dir_okay=False, readable=True, help="One entry a line, UTF-8."),
]
PolicyOption = Annotated[str, typer.Option("--policy", help="A policy id (GET /api/v1/policies).")]
ClauseOption = Annotated[
    int | None,
    typer.Option(
        "--clause",
        help="The clause to file the entries under (default: the one the "
        "policy files this detector's signals under).",
    ),
]


def _import_list(
    kind_name: str,
    file: Path,
    policy: str,
    clause: int | None,
    exception: bool,
    data_dir: Path | None,
) -> None:
    """Import a list file in one transaction, with a progress bar: a bad line refuses the
    whole file (exit 1, naming the line) and nothing of it is written."""
    from rich.progress import Progress

    settings = _settings(data_dir)
    _migrate(settings)
    data = file.read_bytes()

    async def load(runtime: Runtime, session: AsyncSession) -> str:
        from plaza.errors import Invalid
        from plaza.moderation.detectors.listfiles import ListFileError
        from plaza.moderation.service import lists
        from plaza.moderation.setup import Moderation

        # Either list: the import is the same for both.
        kind: lists.ListKind[Any] = lists.TERMS if kind_name == "terms" else lists.HASHES
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"Importing {kind.name}", total=None)
            try:
                done = await lists.import_file(
                    session,
                    kind,
                    moderation=Moderation(runtime),
                    clock=runtime.clock,
                    data=data,
                    policy_id=policy,
                    clause=clause,
                    exception=exception,
                    source=file.name,
                    total=lambda count: progress.update(task, total=count),
                    progress=lambda count: progress.advance(task, count),
                )
            except ListFileError as error:
                raise Invalid(f"{file}, {error.message}; nothing was imported") from None
        return (
            f"Imported {done.added} {kind.name} into policy {policy}, clause {done.clause}; "
            f"skipped {done.skipped} already listed or repeated."
        )

    console.print(f"[green]{_with_runtime(settings, load)}[/green]", highlight=False)


@keywords_app.command("import")
def keywords_import(
    file: ListFile,
    policy: PolicyOption,
    clause: ClauseOption = None,
    exception: Annotated[
        bool,
        typer.Option(
            "--exception",
            help="List them as exceptions: they suppress the policy's hits inside them.",
        ),
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Import keywords and phrases (one a line; # starts a comment) into a policy's list.
    They act at once on every node; terms already listed and repeats are skipped."""
    _import_list("terms", file, policy, clause, exception, data_dir)


@hashes_app.command("import")
def hashes_import(
    file: ListFile, policy: PolicyOption, clause: ClauseOption = None, data_dir: DataDir = None
) -> None:
    """Import PDQ picture hashes (64 hex digits a line; # starts a comment) into a policy's
    list; hashes already listed and repeats are skipped."""
    _import_list("hashes", file, policy, clause, False, data_dir)


@app.command("export")
def export(
    username: str,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="The zip to write (default: plaza-USERNAME-export.zip)."),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Build a person's data export (the zip `POST /api/v1/exports` makes: JSON, pictures and
    an offline index.html), with a progress bar; suspended and closed accounts too."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    settings = _settings(data_dir)
    _migrate(settings)
    destination = (out or Path(f"plaza-{username.lower()}-export.zip")).resolve()

    async def build(runtime: Runtime, session: AsyncSession) -> str:
        from plaza.accounts.service import users
        from plaza.exports.service import archive
        from plaza.media.storage import storage_for

        person = await users.get_user(session, username=username)
        await session.close()
        storage = storage_for(settings)
        columns = (TextColumn("Exporting"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("export", total=None)

            async def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            try:
                size = await archive.build(
                    sessions=runtime.sessions,
                    storage=storage,
                    user_id=person.id,
                    destination=destination,
                    now=runtime.clock.now(),
                    progress=advance,
                )
            finally:
                await storage.close()
        return f"Wrote {destination} ({size} bytes)."

    console.print(
        f"[green]{_with_runtime(settings, build)}[/green]", highlight=False, soft_wrap=True
    )


@moderation_app.command("purge-evidence")
def purge_evidence(data_dir: DataDir = None) -> None:
    """Purge the frozen copies of enforced content (text, pictures) kept past
    PLAZA_EVIDENCE_RETENTION_DAYS after their appeal window closed and any appeal was
    decided; each purge is audited (`evidence.purge`). The server does this hourly too."""
    from rich.progress import Progress

    settings = _settings(data_dir)
    _migrate(settings)

    async def purge(runtime: Runtime, session: AsyncSession) -> str:
        from plaza.media.storage import storage_for
        from plaza.moderation.service.evidence_purge import purge_due

        storage = storage_for(settings)
        try:
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("Looking at frozen evidence", total=None)
                purged = await purge_due(
                    session,
                    clock=runtime.clock,
                    settings=settings,
                    storage=storage,
                    total=lambda count: progress.update(task, total=count),
                    progress=lambda count: progress.advance(task, count),
                )
        finally:
            await storage.close()
        return f"Purged the evidence of {purged} enforcement(s) past their keeping."

    console.print(f"[green]{_with_runtime(settings, purge)}[/green]", highlight=False)


@app.command()
def demo(
    data_dir: DataDir = None,
    script: Annotated[
        Path | None, typer.Option(help="Romeo and Juliet text (default: the packaged copy).")
    ] = None,
    messages: Annotated[int, typer.Option(help="How many lines of the play to post.")] = 400,
) -> None:
    """Fill the server with sample people, friendships, chats, moments and a public account
    (password: plaza-demo-pass)."""
    from plaza.demo import load_demo

    settings = _settings(data_dir)
    _migrate(settings)
    summary = asyncio.run(load_demo(settings, script=script, max_messages=messages))
    console.print(f"[green]{summary}[/green]")


def main() -> None:
    app()

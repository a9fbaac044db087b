"""Command line: ``mockpace serve``, ``mockpace seed``, ``mockpace tokens``, ``mockpace --version``.

The ``serve`` flags are generated from ``ServerSettings`` so that every setting is a flag, an
environment variable (``MOCKPACE_*``) and an admin-plane setting with one name. click (which typer
is built on) is used directly because of that: typer wants one function parameter per flag.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
import types
import typing
from collections.abc import Callable
from contextlib import closing
from typing import Any, Literal, get_args, get_origin

import click
from pydantic import ValidationError
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import mockpace
from mockpace.settings import ORG_SETTING_NAMES, ServerSettings, default_db_path

err = Console(stderr=True)
out = Console(soft_wrap=True)  # long URLs and tokens stay on one line when piped


class CliError(click.ClickException):
    """One clear line on stderr and exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"mockpace: error: {self.format_message()}", err=True)


def _unwrap(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else str
    return annotation


def settings_options(names: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """click options for the named ServerSettings fields (default None = not given)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for name in reversed(names):
            field = ServerSettings.model_fields[name]
            flag = "--" + name.replace("_", "-")
            annotation = _unwrap(field.annotation)
            help_text = field.description or (
                f"organization setting (default {field.default!r})" if name in ORG_SETTING_NAMES
                else f"default {field.default!r}")
            if name == "db":
                help_text += f" ({default_db_path()})"
            help_text += f"; env MOCKPACE_{name.upper()}"
            if annotation is bool:
                option = click.option(f"{flag}/--no-{flag[2:]}", name, default=None,
                                      help=help_text)
            elif get_origin(annotation) is Literal:
                option = click.option(flag, name, default=None,
                                      type=click.Choice([str(a) for a in get_args(annotation)]),
                                      help=help_text)
            elif annotation is int:
                option = click.option(flag, name, default=None, type=int, help=help_text)
            else:
                option = click.option(flag, name, default=None, type=str, help=help_text)
            func = option(func)
        return func

    return decorate


def build_settings(given: dict[str, Any]) -> ServerSettings:
    try:
        return ServerSettings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise CliError(f"invalid value for {where}: {message}") from None


DATA_FLAGS = ("db", "fresh", "fixture", "seed", "anchor_date", "users", "work_items", "days",
              "worklogs")
SERVE_FLAGS = ("host", "port", "workers", *DATA_FLAGS, "admin_key", "allowed_hosts", "clock",
               "log_level", "request_log", "max_body_bytes", "max_admin_body_bytes",
               *ORG_SETTING_NAMES)


def _progress() -> tuple[Progress, Callable[[str, int, int], None]]:
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)
    tasks: dict[str, Any] = {}

    def report(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done, total=total)

    return bar, report


def load_org(settings: ServerSettings) -> tuple[Any, Any, Any]:
    """Open the default organization's database, holding its lock (a file database: no other
    mockpace process may serve or rebuild it meanwhile), with a progress bar while it is
    filled. Returns (org, Opened, the lock or None); every failure is one line."""
    from mockpace.app import build_default_org
    from mockpace.seed import FixtureError
    from mockpace.store.engine import database_file
    from mockpace.store.lock import DatabaseInUse, hold, lock_path

    db = settings.db or default_db_path()
    bar, report = _progress()
    held = None
    created_lock = None
    try:
        path = database_file(db)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            created_lock = None if lock_path(path).exists() else lock_path(path)
            held = hold(path)
        with bar:
            org, opened = build_default_org(settings, progress=report)
        return org, opened, held
    except BaseException as exc:
        if held is not None:
            held.release()
            if created_lock is not None:  # no lock file left beside a path that failed
                created_lock.unlink(missing_ok=True)
        if isinstance(exc, DatabaseInUse):
            raise CliError(str(exc)) from None
        if isinstance(exc, FixtureError):
            raise CliError(str(exc)) from None  # the summary line, then one line per problem
        if isinstance(exc, OSError):
            raise CliError(f"cannot use {settings.fixture or db}: {exc.strerror or exc}") \
                from None
        import sqlite3

        from sqlalchemy.exc import SQLAlchemyError

        # a database that cannot be opened (a folder, a file that is not a database)
        if isinstance(exc, SQLAlchemyError | sqlite3.Error):
            first = (str(exc).splitlines() or [""])[0]
            raise CliError(f"cannot open database {db}: {exc.__class__.__name__}: "
                           f"{first}") from None
        raise


EXPLICIT_DATA_FLAGS = ("fixture", "seed", "anchor_date", "users", "work_items", "days",
                       "worklogs")


def describe_database(settings: ServerSettings, org: Any, opened: Any) -> list[str]:
    """What happened to the database at start-up, for the banner: created, reused or rebuilt
    (and where the copy of an old file went)."""
    store = org.store
    if store.temporary:
        return ["in memory (throw-away, built from the data flags)"]
    where = str(store.path)
    counts = store.counts()
    summary = (f"{counts['users']} users, {counts['workItems']} work items, "
               f"{counts['workLogs']} worklogs")
    if opened.action == "reused":
        lines = [f"{where} reused as it is ({summary}); --fresh rebuilds it"]
        ignored = [f"--{n.replace('_', '-')}" for n in EXPLICIT_DATA_FLAGS
                   if n in settings.model_fields_set]
        if ignored:
            lines.append(f"note: {', '.join(ignored)} ignored: the file holds data already "
                         "(add --fresh to rebuild it from the flags)")
        return lines
    if opened.action == "created":
        return [f"{where} created ({summary})"]
    lines = [f"{where} rebuilt: {opened.reason} ({summary})"]
    if opened.backup is not None:
        lines.append(f"the old file is kept at {opened.backup}")
    return lines


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def reachable_urls(host: str, port: int) -> list[str]:
    """The URLs other machines may use to reach a server bound to ``host``."""
    if host not in ("0.0.0.0", "::", ""):
        return [f"http://{_url_host(host)}:{port}"]
    addresses: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            addresses.add(str(info[4][0]))
    except OSError:
        pass
    with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as probe:
        try:  # the address of the default route (no packet is sent)
            probe.connect(("192.0.2.1", 9))
            addresses.add(probe.getsockname()[0])
        except OSError:
            pass
    wanted = [a for a in sorted(addresses)
              if not a.startswith(("127.", "::1", "fe80")) and (host == "::" or ":" not in a)]
    return [f"http://{_url_host(a)}:{port}" for a in wanted]


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def install_sigterm() -> None:
    """SIGTERM (``docker stop``, systemd, ``kill``) stops the server exactly like Ctrl-C:
    uvicorn finishes the requests in flight, then hands the signal back, which ``serve`` turns
    into a clean exit, status 0 (temporary database removed, locks released). Without this,
    the default SIGTERM action killed the process before any clean-up ran (status 143)."""
    import signal

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with closing(socket.socket(family, socket.SOCK_STREAM)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(mockpace.__version__, prog_name="mockpace")
def cli() -> None:
    """mockpace: a local emulator of the 7pace Timetracker APIs."""


@cli.command()
@settings_options(SERVE_FLAGS)
def serve(**given: Any) -> None:
    """Serve the REST, Tracking and Reporting APIs and the admin plane."""
    import uvicorn

    from mockpace.admin.service import token_list
    from mockpace.app import PRISTINE_ENV, create_app
    from mockpace.common.limits import UVICORN_LIMITS
    from mockpace.harness import console as request_console
    from mockpace.orgs import PRISTINE, Registry

    settings = build_settings(given)
    check_port_free(settings.host, settings.port)
    install_sigterm()
    started = time.perf_counter()
    org, opened, held = load_org(settings)
    local_host = "127.0.0.1" if settings.host in ("0.0.0.0", "", *LOOPBACK_HOSTS) else \
        "[::1]" if settings.host == "::" else _url_host(settings.host)
    base = f"http://{local_host}:{settings.port}"
    admin = next((t for t in token_list(org) if t["userId"] == org.admin_user_id), None)
    out.print(f"[bold]mockpace {mockpace.__version__}[/] organization [bold]{org.name}[/] "
              f"(collection {org.collection}) ready in {time.perf_counter() - started:.2f}s")
    loopback = settings.host in LOOPBACK_HOSTS or settings.host.startswith("127.")
    others = [] if loopback else reachable_urls(settings.host, settings.port)
    out.print(f"  Listening  {_url_host(settings.host or '0.0.0.0')}:{settings.port}"
              + ("" if loopback else f" (also {', '.join(others) or 'no other address found'})"),
              highlight=False)
    for i, line in enumerate(describe_database(settings, org, opened)):
        out.print(f"  {'Database' if i == 0 else '':<10} {line}", highlight=False)
    out.print(f"  REST       {base}/api/rest/me?api-version=3.2")
    out.print(f"  Tracking   {base}/api/tracking/client/current?api-version=3.2")
    out.print(f"  Reporting  {base}/api/odata/v3.2/")
    out.print(f"  On-prem    {base}/api/{org.collection}/rest/...")
    out.print(f"  Admin      {base}/_mockpace/health   docs: {base}/docs")
    if admin:
        out.print(f"  Admin user {admin['email']}  token [bold]{admin['token']}[/]")
    out.print(f"  All tokens: {command_name()} tokens, or GET /_mockpace/tokens", highlight=False)
    if opened.backup is not None:
        click.echo(f"mockpace: warning: the database file had another schema; the old file "
                   f"is kept at {opened.backup}", err=True)
    if not loopback and not settings.admin_key:
        click.echo(f"mockpace: warning: listening on {settings.host or '0.0.0.0'} without "
                   f"admin_key: anyone who reaches {', '.join(others) or 'this machine'} can "
                   "read every token and change or reset the data through /_mockpace; set "
                   "--admin-key (MOCKPACE_ADMIN_KEY)", err=True)
    try:
        if settings.workers > 1:
            # Workers build their own app from MOCKPACE_* and reuse the database opened above
            # (this process keeps its lock for them).
            os.environ.update({f"MOCKPACE_{k.upper()}": _env_value(v)
                               for k, v in settings.model_dump().items() if v is not None})
            os.environ["MOCKPACE_FRESH"] = "false"
            os.environ[PRISTINE_ENV] = str(org.store.export_snapshot(PRISTINE))
            os.environ["MOCKPACE_DB"] = str(org.store.path)
            org.store.dispose(keep_file=True)  # removed at exit, after the workers
            uvicorn.run("mockpace.app:create_app_from_env", factory=True, host=settings.host,
                        port=settings.port, workers=settings.workers,
                        log_level=settings.log_level, access_log=not settings.request_log,
                        **UVICORN_LIMITS)
            return
        registry = Registry()
        registry.add(org, default=True)
        app = create_app(settings, registry)
        if settings.request_log:
            request_console.enable()
        # With the request log on, uvicorn's own access log (lower-cased routed paths) is off.
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level,
                    access_log=not settings.request_log, **UVICORN_LIMITS)
    except KeyboardInterrupt:
        pass  # uvicorn shut down on Ctrl-C or SIGTERM, then handed the signal back: exit 0
    finally:
        if held is not None:
            held.release()


def command_name() -> str:
    """How to run mockpace again from here: ``.venv/bin/mockpace`` after ``make serve`` (the
    venv is not on PATH), plain ``mockpace`` when it is on PATH."""
    program = sys.argv[0]
    if os.path.basename(program) != "mockpace":
        return "mockpace"
    found = shutil.which("mockpace")
    if found and os.path.realpath(found) == os.path.realpath(program):
        return "mockpace"
    relative = os.path.relpath(program)
    return relative if not relative.startswith("..") else program


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@cli.command()
@settings_options(DATA_FLAGS)
def seed(**given: Any) -> None:
    """Build a database file (--db) with the data set and exit."""
    settings = build_settings(given)
    if not settings.db or settings.db == ":memory:":
        raise CliError("mockpace seed needs --db FILE (the database file to build)")
    org, opened, held = load_org(settings)
    try:
        for line in describe_database(settings, org, opened):
            out.print(line, highlight=False)
    finally:
        org.store.dispose()
        if held is not None:
            held.release()


@cli.command()
@settings_options(DATA_FLAGS)
@click.option("--json", "as_json", is_flag=True, help="print JSON (as GET /_mockpace/tokens)")
def tokens(as_json: bool, **given: Any) -> None:
    """List the users with their role and API token."""
    from mockpace.admin.service import token_list

    settings = build_settings(given)
    entries = token_list(read_org(settings))
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    table = Table("e-mail", "name", "role", "user id", "token")
    for entry in entries:
        table.add_row(entry["email"], entry["name"], entry["role"], entry["userId"],
                      entry["token"])
    # Tokens are what people copy: the table keeps its natural width whatever the terminal's
    # (a narrow terminal wraps the long lines on screen; nothing is cut or padded away).
    natural = Measurement.get(out, out.options.update_width(100_000), table).maximum
    Console(width=natural).print(table)


def read_org(settings: ServerSettings) -> Any:
    """The organization a server started with these flags serves, opened only to read: an
    existing database file (in use by a server or not) is read, never rebuilt or written;
    otherwise the data flags are built into a throw-away database."""
    from mockpace.app import build_default_org
    from mockpace.orgs import Org
    from mockpace.store import Store
    from mockpace.store.engine import MEMORY, database_file

    path = database_file(settings.db or default_db_path())
    if path is not None and path.is_file() and not settings.fresh:
        try:
            store = Store(str(path), read_only=True)
            if store.schema_tables() and store.schema_is_current():
                org = Org("contoso", store)
                org.refresh_identity()
                return org
            store.dispose()
        except Exception as exc:  # not a database, unreadable
            raise CliError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    try:
        return build_default_org(settings.model_copy(update={"db": MEMORY, "fresh": False}))[0]
    except Exception as exc:
        from mockpace.seed import FixtureError

        if isinstance(exc, FixtureError | OSError):
            raise CliError(f"cannot use {settings.fixture}: {exc}".replace("\n", "; ")) \
                from None
        raise


@cli.command()
def coverage() -> None:
    """Print the coverage table of the 7pace endpoints (docs/coverage.md) as markdown."""
    from mockpace.harness.catalog import main as print_coverage

    print_coverage()


def main() -> None:
    try:
        cli.main(prog_name="mockpace", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        sys.exit(2)
    except click.UsageError as exc:
        click.echo(f"mockpace: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()

"""Ibis on a local PySpark session: the same analytics expressions as on DuckDB, run by Spark.

For lenders whose analytics run on Spark, and to prove the expressions are portable. The
workspace's tables are copied from its DuckDB file to Parquet (types kept: DECIMAL stays
decimal, DATE stays date) and registered as Spark temporary views of the same names."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.operations as ops
import pyarrow as pa

from loanwatch.engines.duckdb import connect
from loanwatch.engines.errors import EngineUnavailable

INSTALL_HINT = "the Spark engine needs the extra: pip install 'loanwatch[spark]'"

# Sized for a 2-core, 24 GB machine and small shuffles; ANSI mode (Spark 4's default, set
# anyway for sessions configured otherwise) makes decimal overflow and bad casts raise
# instead of silently giving NULL, as DuckDB does.
SESSION_CONFIG = {
    "spark.driver.memory": "4g",
    "spark.sql.shuffle.partitions": "8",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    # local mode talks to itself only: never bind on or announce a network address
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}
# Runtime settings also applied to a session that someone else started.
SQL_CONFIG = ("spark.sql.shuffle.partitions", "spark.sql.session.timeZone", "spark.sql.ansi.enabled")

# Errors only (the root and Spark's own level must match or Spark prints a banner about it);
# a failed task is not logged here because its error is raised in Python anyway.
LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.apache.name = org.apache
logger.apache.level = error
logger.executor.name = org.apache.spark.executor.Executor
logger.executor.level = off
logger.tasks.name = org.apache.spark.scheduler.TaskSetManager
logger.tasks.level = off
"""


@dataclass
class SparkEngine:
    session: Any  # a pyspark SparkSession; typed loosely so this module imports without pyspark
    backend: ibis.BaseBackend
    workdir: Path
    owns_context: bool = False  # started Spark itself, so close() stops it
    tables: tuple[str, ...] = ()
    memtables: set[str] = field(default_factory=set)  # ibis.memtable data already sent to Spark
    name: str = "spark"

    @classmethod
    def open(cls, database: Path, *, tables: tuple[str, ...] | None = None, master: str = "local[2]",
             workdir: Path | None = None) -> SparkEngine:
        """Copy ``tables`` (default: every table of schema ``main`` but the ``lw_*`` metadata)
        of the DuckDB file to Parquet in a fresh folder under ``workdir`` (default: the system
        temp dir) and serve them from Spark. If a Spark session is already active in this
        process, the engine gets its own session on it (``master`` is then ignored) and leaves
        Spark running when closed; otherwise it starts Spark and stops it on close."""
        _require_pyspark()
        tmp = Path(tempfile.mkdtemp(prefix="loanwatch-spark-", dir=workdir))
        try:
            files = export_parquet(Path(database), tmp, tables)
            session, owns_context = _session(master, tmp)
            backend = ibis.pyspark.connect(session)
            for name, path in files.items():
                backend.read_parquet(path, table_name=name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls(session, backend, tmp, owns_context, tuple(files))

    def table(self, name: str) -> ibis.Table:
        return self.backend.table(name)

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        # Ibis' own to_pyarrow and memtable upload go through pandas (integer columns with
        # NULLs as float, NULL decimals fail); Spark 4 takes and gives Arrow as is.
        self._register_memtables(expr)
        with warnings.catch_warnings():
            # PySpark reads results from a local socket that it leaves to the garbage collector
            # ("unclosed socket"), which fails runs with warnings as errors
            warnings.simplefilter("ignore", ResourceWarning)
            table = self.session.sql(self.sql(expr)).toArrow()
        return expr.__pyarrow_result__(table)  # casts to the expression's Ibis schema

    def _register_memtables(self, expr: ibis.Table) -> None:
        for op in expr.op().find(ops.InMemoryTable):
            if op.name not in self.memtables:
                self.session.createDataFrame(op.data.to_pyarrow(op.schema)).createOrReplaceTempView(op.name)
                self.memtables.add(op.name)

    def sql(self, expr: ibis.Table) -> str:
        return str(self.backend.compile(expr))

    def close(self) -> None:
        for name in (*self.tables, *self.memtables):
            self.session.catalog.dropTempView(name)
        if self.owns_context:
            self.session.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise EngineUnavailable(f"{INSTALL_HINT} ({exc})") from exc
    java_home = os.environ.get("JAVA_HOME")
    if not (Path(java_home, "bin", "java").is_file() if java_home else shutil.which("java")):
        raise EngineUnavailable(f"{INSTALL_HINT} and Java 17 or newer (no java on PATH or in JAVA_HOME)")
    _quiet_python_logs()


def export_parquet(database: Path, folder: Path, tables: tuple[str, ...] | None) -> dict[str, Path]:
    """Each table of the DuckDB file as one Parquet file in ``folder``, by table name."""
    con = connect(database, read_only=True)
    try:
        if tables is None:
            tables = tuple(r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = 'main' AND NOT starts_with(table_name, 'lw_') "
                "ORDER BY table_name").fetchall())
        files = {}
        for name in tables:
            files[name] = folder / f"{name}.parquet"
            target = str(files[name]).replace("'", "''")
            con.execute(f"COPY main.{_ident(name)} TO '{target}' (FORMAT parquet)")
        return files
    finally:
        con.close()


def _session(master: str, workdir: Path):
    """A session of its own on a running Spark (separate views and settings), or a new one."""
    from pyspark.errors import PySparkRuntimeError
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        session = active.newSession()
        for key in SQL_CONFIG:
            session.conf.set(key, SESSION_CONFIG[key])
        return session, False
    log4j = workdir / "log4j2.properties"
    log4j.write_text(LOG4J2)
    builder = SparkSession.builder.master(master).appName("loanwatch")
    for key, value in SESSION_CONFIG.items():
        builder = builder.config(key, value)
    # Not the working directory: Spark would leave a spark-warehouse folder there.
    builder = builder.config("spark.sql.warehouse.dir", (workdir / "warehouse").as_uri())
    builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log4j.as_uri()}")
    try:
        session = builder.getOrCreate()
    except PySparkRuntimeError as exc:  # typically Java missing or older than 17
        raise EngineUnavailable(f"{INSTALL_HINT}; Spark could not start Java: {exc}") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session, True


def _quiet_python_logs() -> None:
    """PySpark logs every SQL error with its Java stack trace as JSON to stderr, and then raises
    the same error: keep the raise, drop the log."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

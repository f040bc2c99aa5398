"""Starting a Spark session for a scan, with clear errors when Java or Spark cannot start."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from pyspark.sql import SparkSession

from dedup.errors import DedupError

LOCAL = re.compile(r"^local(?:\[(\*|\d+)(?:,\d+)?\])?$")


def java_runtime() -> str | None:
    """The ``java`` Spark will start: ``$JAVA_HOME/bin/java``, else the one on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def local_cores(master: str | None) -> int | None:
    """The cores of a ``local[n]`` master (``local[*]``: this machine's), None for a cluster."""
    match = LOCAL.match(master or "")
    if not match:
        return None
    if match.group(1) in (None, "*"):
        return 1 if match.group(1) is None else os.cpu_count() or 1
    return int(match.group(1))


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None, app_name: str = "dedup") -> SparkSession:
    """The active Spark session, or a new one on ``master`` with ``conf``.

    On a local master the Python workers run this interpreter and import the same dedup (also
    from a source tree), and shuffles get two partitions per core instead of 200.
    Without ``master``, what ``spark-submit`` set applies.
    """
    if java_runtime() is None:
        raise DedupError(
            "Spark needs a Java runtime (17 or newer) and none was found: install one "
            "(Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    settings = dict(conf or {})
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    cores = local_cores(master)
    if cores is not None:
        _workers_import_this_dedup()
        settings.setdefault("spark.sql.shuffle.partitions", str(max(2, 2 * cores)))
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own runtime errors when the JVM does not start
        raise DedupError(f"Spark did not start: {str(exc).strip().splitlines()[0]}") from exc


def _workers_import_this_dedup() -> None:
    """Local Python workers run this interpreter (pyspark would take ``python3`` from the PATH)
    and find this dedup first on the PYTHONPATH the JVM hands them."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    root = str(Path(__file__).resolve().parents[2])  # the folder that holds the dedup package
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])

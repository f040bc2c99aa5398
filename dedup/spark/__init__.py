"""The scan on Apache Spark: ``dedup scan``'s algorithm, distributed, with the same answer.

Needs the ``spark`` extra (``pip install "dedup[spark]"``: pyspark, pyarrow, pandas) and a
Java runtime. Nothing else in dedup imports this package.

    from dedup.spark import scan_paths
    result = scan_paths(spark, ["s3a://archive/2024/"])
    result.members.show()
"""

from __future__ import annotations

from dedup.io.optional import require

for _module in ("pyspark", "pandas", "pyarrow"):
    require(_module, "the Spark scan", "spark", input_format=False)

from dedup.spark.scan import SparkScanResult, scan_dataframe, scan_paths, write_result

__all__ = ["SparkScanResult", "scan_dataframe", "scan_paths", "write_result"]

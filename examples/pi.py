#!/usr/bin/env python3
"""Estimate pi with Monte Carlo sampling on a Spark cluster.

Usage:
    spark-submit --master spark://HOST:PORT examples/pi.py [PARTITIONS] [SAMPLES_PER_PARTITION]

Throws SAMPLES_PER_PARTITION random darts at the unit square in each of
PARTITIONS tasks (default 4 x 100000); the fraction that lands inside the
quarter circle is pi/4. Prints "Pi is roughly 3.14..." and exits 0.

The master URL is not hard-coded: spark-submit's --master decides where it
runs (plain `python3 examples/pi.py` runs in local mode).
"""

import random
import sys
from operator import add

from pyspark.sql import SparkSession


def inside(seed_and_count):
    """Count the darts of one task that land inside the quarter circle."""
    seed, count = seed_and_count
    rng = random.Random(seed)  # per-task seed: reproducible, independent
    hits = 0
    for _ in range(count):
        x = rng.random()
        y = rng.random()
        if x * x + y * y <= 1.0:
            hits += 1
    return hits


def main(argv):
    partitions = int(argv[1]) if len(argv) > 1 else 4
    per_partition = int(argv[2]) if len(argv) > 2 else 100_000
    if partitions < 1 or per_partition < 1:
        print("usage: pi.py [PARTITIONS>=1] [SAMPLES_PER_PARTITION>=1]", file=sys.stderr)
        return 2

    spark = SparkSession.builder.appName("PythonPi").getOrCreate()
    try:
        sc = spark.sparkContext
        tasks = [(seed, per_partition) for seed in range(partitions)]
        hits = sc.parallelize(tasks, partitions).map(inside).reduce(add)
        total = partitions * per_partition
        print(f"Pi is roughly {4.0 * hits / total:f}")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Count words in a text file on a Spark cluster.

Usage:
    spark-submit --master spark://HOST:PORT examples/wordcount.py PATH [TOP_N]

PATH is read by the EXECUTORS, not by the driver, so it must exist at that
path on every worker: with the ceph-storage component on (overlays/cluster-b)
put the file on the shared CephFS volume, e.g. /data/input.txt, and pass
/data/input.txt (or file:///data/input.txt). Prints the TOP_N (default 20)
most frequent words as "word<TAB>count", then the number of distinct words.
"""

import re
import sys
from operator import add

from pyspark.sql import SparkSession

WORD = re.compile(r"[\w']+")


def main(argv):
    if len(argv) < 2:
        print("usage: wordcount.py PATH [TOP_N]", file=sys.stderr)
        return 2
    path = argv[1]
    top_n = int(argv[2]) if len(argv) > 2 else 20

    spark = SparkSession.builder.appName("PythonWordCount").getOrCreate()
    try:
        lines = spark.sparkContext.textFile(path)
        counts = (
            lines.flatMap(lambda line: WORD.findall(line.lower()))
            .map(lambda word: (word, 1))
            .reduceByKey(add)
            .cache()
        )
        for word, count in counts.takeOrdered(top_n, key=lambda wc: (-wc[1], wc[0])):
            print(f"{word}\t{count}")
        print(f"{counts.count()} distinct words")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

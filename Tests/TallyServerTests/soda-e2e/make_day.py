"""Rebuilds the DuckDB table `orders` as it is on day DAY (1-12) of the end-to-end series.

    python make_day.py DATABASE DAY

Row counts grow steadily (so Prophet's forecast holds until the spike), missing customers and the average
amount change from day to day; the column `channel` appears on
day 10; day 12 has a row-count spike. The same numbers are in SodaEndToEndTests.swift (`Day`).
"""
import sys

import duckdb

ROWS = [100, 102, 104, 106, 108, 110, 112, 114, 116, 118, 120, 300]


def missing(day):
    return 30 if day == 12 else 5 + day % 4


def amount(day, i):
    # The average moves by day: 20 + day/2 (+/- a deterministic spread that averages to zero over 5 rows).
    return 20.0 + day / 2.0 + ((i % 5) - 2)


def main():
    database, day = sys.argv[1], int(sys.argv[2])
    rows = ROWS[day - 1]
    con = duckdb.connect(database)
    con.execute("DROP TABLE IF EXISTS orders")
    channel = day >= 10
    con.execute(
        "CREATE TABLE orders (id INTEGER, customer VARCHAR, country VARCHAR, amount DOUBLE, created_at TIMESTAMP"
        + (", channel VARCHAR" if channel else "")
        + ")"
    )
    values = []
    for i in range(rows):
        customer = None if i < missing(day) else f"c{i % 17}"
        row = [i, customer, ["BE", "NL", "US"][i % 3], amount(day, i), f"2024-05-{day:02d} 05:00:00"]
        if channel:
            row.append("web")
        values.append(row)
    placeholders = ", ".join(["?"] * len(values[0]))
    con.executemany(f"INSERT INTO orders VALUES ({placeholders})", values)
    con.close()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Fit a Gaussian mixture in PostgreSQL and plot it with gmm_pg.

    /usr/bin/python3 examples/plot_clusters.py clusters.png [CONNINFO]

Connects with psycopg 3 (CONNINFO, default "": the PG* environment
variables), creates the gmm extension if needed, fills a temporary table
plot_clusters_points with 600 rows drawn from a known 3-component mixture
(gmm_sample, fixed seed), fits a 3-component full-covariance model with
gmm_fit, and draws the points coloured by their predicted component with the
1- and 2-sigma ellipses of each component into the PNG file given.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import numpy as np      # noqa: E402
import psycopg          # noqa: E402

import gmm_pg           # noqa: E402


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out, conninfo = argv[1], (argv[2] if len(argv) == 3 else "")
    with psycopg.connect(conninfo) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS gmm")
        gmm_pg.register(conn)
        conn.execute("""
            CREATE TEMP TABLE plot_clusters_points AS
            SELECT row_number() OVER () AS id, x
            FROM gmm_sample(gmm('{0.3, 0.45, 0.25}',
                                '{{0, 0}, {4, 3}, {-3, 4}}',
                                '{{{1, 0.6}, {0.6, 1}}, {{1.5, -0.5}, {-0.5, 0.8}}, {{0.6, 0}, {0, 1.8}}}'),
                            600, 42) AS x""")
        model = conn.execute("""
            SELECT gmm_fit(x, 3, '{"covariance_type": "full", "seed": 1}')
            FROM plot_clusters_points""").fetchone()[0]
        points = np.array([r[0] for r in conn.execute(
            "SELECT x FROM plot_clusters_points ORDER BY id")])
    print(repr(model))
    ax = gmm_pg.plot(model, points, title="gmm_fit(x, 3): 600 points, 1 and 2 sigma ellipses")
    ax.figure.savefig(out, dpi=100, bbox_inches="tight")
    print("wrote", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

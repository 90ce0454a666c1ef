#!/usr/bin/env bash
# check_dump.sh: pg_dump and restore keep gmm and gmm_stats values bit for bit,
# in the plain (text COPY) and custom (binary-capable) formats.
# Uses the cluster in the PG* environment variables and $PGBIN.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
src=gmm_dump_src
drop_dbs() {
	for db in $src gmm_dump_plain gmm_dump_custom; do
		"$PGBIN/dropdb" --if-exists "$db" >/dev/null 2>&1 || true
	done
}
drop_dbs
work=$(mktemp -d /tmp/gmm-dump.XXXXXX)
trap 'drop_dbs; rm -rf "$work"' EXIT

"$PGBIN/createdb" $src
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d $src <<'SQL'
CREATE EXTENSION gmm;
CREATE TABLE pts AS
SELECT i, x FROM generate_series(1, 1) i,
     gmm_sample(gmm('{0.3,0.7}', '{0,0, 3,1}', '{1,0.3,0.3,2, 0.5,0,0,0.25}'), 3000, 11) x;
CREATE TABLE models (name text PRIMARY KEY, m gmm, s gmm_stats);
INSERT INTO models
SELECT t, gmm_fit(x, 2, jsonb_build_object('covariance_type', t, 'seed', 3)), NULL
FROM pts, unnest(ARRAY['full', 'diag', 'spherical', 'tied']) t GROUP BY t;
UPDATE models SET s = (SELECT gmm_stats_agg(models.m, x) FROM pts);
INSERT INTO models VALUES
  ('built', gmm(ARRAY[1/3.0, 2/3.0]::float8[], ARRAY[0.1, 1e-300, pi(), -1e300]::float8[],
                ARRAY[exp(1.0)::float8, 0.1, 0.1, 1.0/7, 2, 1/3.0, 1/3.0, 0.5]::float8[]), NULL);
SQL

digest="SELECT string_agg(name || ':' || md5(gmm_send(m)) || ':' || coalesce(md5(s::text), '-'), ',' ORDER BY name) FROM models"
want=$("$PGBIN/psql" -X -At -d $src -c "$digest")

"$PGBIN/pg_dump" -d $src -f "$work/plain.sql"
"$PGBIN/pg_dump" -Fc -d $src -f "$work/custom.dump"

"$PGBIN/createdb" gmm_dump_plain
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d gmm_dump_plain -f "$work/plain.sql" >/dev/null
"$PGBIN/createdb" gmm_dump_custom
"$PGBIN/pg_restore" --exit-on-error -d gmm_dump_custom "$work/custom.dump"

fail=0
for db in gmm_dump_plain gmm_dump_custom; do
	got=$("$PGBIN/psql" -X -At -d $db -c "$digest")
	if [ "$got" = "$want" ]; then
		echo "$db: models and statistics restored bit for bit"
	else
		echo "$db: restored values differ"
		echo "  want: $want"
		echo "  got:  $got"
		fail=1
	fi
done
n=$(echo "$want" | tr ',' '\n' | wc -l)
if [ "$n" -ne 5 ]; then
	echo "expected 5 models in the digest, got $n"
	fail=1
fi
exit $fail

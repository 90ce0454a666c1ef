-- gmm 0.1.0 -> 0.2.0: every change to the SQL surface since 0.1.0, in the
-- order it was made.  The full 0.2.0 install script is built from src/sql/;
-- test/check_upgrade.sh checks that updating from 0.1.0 gives the same catalog.

\echo Use "ALTER EXTENSION gmm UPDATE TO '0.2.0'" to load this file. \quit

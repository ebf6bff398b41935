"""Fleet triage: many bundles -> one Parquet dataset partitioned by bundle, the single-bundle
reports beside it, and a fleet summary (`forensics.report.fleet`).

`process_bundle(source, out, options)` is the whole per-bundle job: read (or fetch) the bundle,
hash its content, skip it when that content was analysed before, run `forensics.run`, write the
bundle's Parquet parts and its HTML report, and return one small row (never a frame). The same
function is fanned out by a local process pool (one persistent worker per core) or by Dask
distributed (`engine="dask"`); there is no scheduler, queue or RPC of our own.

Layout of the output folder DIR:

    DIR/dataset/<table>/bundle=<key>/part.parquet   tables: TABLES (hive partitioning)
    DIR/reports/<key>.html                          the single-bundle reports
    DIR/state/<bundle_id>.json                      what was done with a content hash (the skip key)
    DIR/fleet.html, DIR/fleet.md                    the fleet summary

`<key>` is `<name>-<first 12 hex digits of the content hash>`; `bundle_id` is the 32-digit hash:
sha256 of the file bytes for an archive or a single file, of the sorted relative paths and bytes
for a folder. The schema of every table is `SCHEMAS` (see README "Fleet"): columns are added,
never renamed, and `FLEET_SCHEMA_VERSION` changes when that happens.

Modules: `inputs` (which bundles: paths, globs, manifests, URLs), `job` (one bundle, the function
the engines fan out), `tables` (one bundle's rows as Arrow tables and Parquet parts), `pool` (many
bundles: a local process pool or Dask). The command's display is `forensics.cli.fleet`.
"""

from forensics.fleet.inputs import expand
from forensics.fleet.job import DEFAULT_TIMEOUT, Options, content_hash, process_bundle
from forensics.fleet.pool import FleetRun, run_fleet
from forensics.fleet_schema import FLEET_SCHEMA_VERSION, SCHEMAS, TABLES

__all__ = [
    "DEFAULT_TIMEOUT",
    "FLEET_SCHEMA_VERSION",
    "SCHEMAS",
    "TABLES",
    "FleetRun",
    "Options",
    "content_hash",
    "expand",
    "process_bundle",
    "run_fleet",
]

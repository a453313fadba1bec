"""The same dbt project on Apache Spark as on Postgres, proven equal on real rows.

A small real sample (a quarter of the City's inspections, the complaints and burglaries of the
months before, the weather, the published violation counts) goes through the loader into a
database of its own; dbt builds the lake selection there; the raw tables go to a lake of Parquet;
dbt builds the same selection on Spark local[2] from the lake alone; and every table Spark wrote
must hold the same rows as Postgres's. Runs when the Spark extra is installed (`make spark`,
which `.ci/run` does); otherwise skipped with what is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import psycopg
import pytest
from support.dbt_sandbox import dbt, sandbox

from flows.ingest import open_source
from warehouse import batches, lake, landing
from warehouse.datasets import get_dataset
from warehouse.settings import get_settings

pytestmark = pytest.mark.spark

# The quarter of inspections, and the days before it their nearby and weather features reach.
SAMPLE = {
    "food_inspections": ("chicago_union_2010-2025.csv.gz", date(2013, 1, 1), date(2013, 4, 1)),
    "sanitation_complaints": (
        "sources/chicago_311_sanitation_2011-2014.csv.gz", date(2012, 9, 1), date(2013, 4, 1)
    ),
    "burglaries": (
        "sources/chicago_crimes_burglary_2011-2014.csv.gz", date(2012, 9, 1), date(2013, 4, 1)
    ),
    "weather_daily": (
        "sources/chicago_weather_ohare_ghcnd_2009-2016.csv.gz", date(2012, 9, 1), date(2013, 4, 1)
    ),
    "violation_counts": ("chicago_canvass_2011-09_2014-08_violation_counts.csv", None, None),
}  # fmt: skip

# Scoring half a year after the quarter, so that its risk-1 establishments (inspected every six
# months) are due and the scoring cohort is not empty.
VARS = ("--vars", "{as_of_date: '2013-10-01'}")

# Every table the lake selection builds (its staging models are views, read by these).
LAKE_TABLES = {
    "dim_establishments",
    "fct_inspections",
    "int_area__events",
    "int_inspections__area_fail_rates",
    "int_inspections__deduplicated",
    "int_inspections__history",
    "int_inspections__nearby_events",
    "int_inspections__violations_counted",
    "int_inspections__violations_split",
    "int_inspections__weather",
    "ml_features",
    "ml_labels",
    "ml_scoring_cohort",
}


@pytest.fixture(scope="module")
def spark_ready() -> None:
    if missing := lake.spark_available():
        pytest.skip(missing)


def _load_sample(conn: psycopg.Connection, shared: Path, landing_dir: Path) -> None:
    for name, (file, since, until) in SAMPLE.items():
        dataset = get_dataset(name)
        fetch = open_source(str(shared / file), since, until, None, dataset)
        batch = uuid.uuid4()
        landed = landing.land(fetch.frames, str(landing_dir), batch, dataset)
        batches.start_batch(conn, batch, "spark-test", {}, dataset=name)
        batches.load_landed_batch(
            conn, batch, batches.watermark_key(dataset, "spark-test"), landed.url, landed.sha256,
            dataset=dataset,
        )  # fmt: skip


@pytest.fixture(scope="module")
def both_builds(
    spark_ready: None,
    shared_data: Path,
    warehouse_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, Path, Path]:
    """(Postgres url, Spark's target path, the lake) after both engines built the sample."""
    work = tmp_path_factory.mktemp("spark")
    with sandbox(warehouse_url, "canvass_spark") as url:
        with psycopg.connect(url) as conn:
            _load_sample(conn, shared_data, work / "landing")
            conn.commit()
        dbt(["build", "--selector", "lake", *VARS], url, work / "postgres-target")
        with psycopg.connect(url) as conn:
            lake.export_raw(conn, work / "lake")
        built = lake.build_on_spark(work / "spark-target", work / "lake", VARS)
        assert built.success, "dbt build --target spark failed:\n" + "\n".join(built.failures)
        yield url, built.target_path, work / "lake"


def test_spark_builds_the_lake_selection_and_every_table_equals_postgres(
    both_builds: tuple[str, Path, Path],
) -> None:
    url, target, lake_folder = both_builds
    with psycopg.connect(url) as conn:
        inspections = conn.execute("select count(*) from marts.fct_inspections").fetchone()[0]
        compared = lake.compare(conn, target, lake_folder)
    assert inspections > 1000  # a real quarter, not an empty build
    assert {c.model for c in compared} == LAKE_TABLES
    unequal = [f"{c.model}: {c.difference}" for c in compared if not c.equal]
    assert not unequal, "Spark's tables differ from Postgres's:\n" + "\n".join(unequal)
    assert not [c.model for c in compared if c.spark_rows == 0]  # each table holds rows


def test_spark_needs_no_postgres_the_sources_are_the_lake(
    both_builds: tuple[str, Path, Path],
) -> None:
    """The raw sources Spark read are the lake's Parquet folders (external tables)."""
    _, target, lake_folder = both_builds
    compiled = (target / "run" / "canvass").rglob("stg_chicago__inspections.sql")
    sql = next(compiled).read_text()
    assert "raw.food_inspections" in sql
    manifest = json.loads((target / "manifest.json").read_text())
    raw_sources = {s["identifier"] for s in manifest["sources"].values() if s["schema"] == "raw"}
    assert raw_sources == set(lake.RAW_TABLES)  # the export writes every table Spark registers
    for table in raw_sources:
        assert (lake_folder / "raw" / table / "part-00000.parquet").exists()
        # external tables on the lake's folders, not copies in Spark's own warehouse
        assert not (lake_folder / "spark-warehouse" / "raw.db" / table).exists()


def test_a_macro_without_a_spark_variant_fails_naming_it_on_spark(
    spark_ready: None, tmp_path: Path
) -> None:
    """columns_to_rows (used by a delivery mart, which stays on Postgres) has no spark__ variant:
    called on the Spark adapter it stops with the macro's name, not with Postgres SQL."""
    project = str(get_settings().project_dir)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "run-operation", "columns_to_rows",
         "--args", "{row_alias: r, alias: a, key_name: k, value_name: v}", "--target", "spark",
         "--project-dir", project, "--profiles-dir", project,
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False,
        env=os.environ | {"CANVASS_LAKE_DIR": str(tmp_path / "lake")},
    )  # fmt: skip
    assert done.returncode != 0
    assert "canvass.columns_to_rows has no variant for the spark adapter" in done.stdout
    assert "write spark__columns_to_rows in macros/" in done.stdout


def test_plain_dbt_build_on_spark_is_the_lake_selection() -> None:
    """`dbt build --target spark` without a selector builds what `--selector lake` does: the
    layers that stay on Postgres are disabled on Spark (dbt_project.yml)."""
    project = str(get_settings().project_dir)

    def listed(*args: str) -> set[str]:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("dbt")), "ls", "--target", "spark", *args,
             "--project-dir", project, "--profiles-dir", project, "--quiet", "--output", "name"],
            capture_output=True, text=True, timeout=600, check=True,
        )  # fmt: skip
        return set(done.stdout.split())

    everything, lake_selection = listed(), listed("--selector", "lake")
    assert everything == lake_selection
    assert "fct_rankings" not in everything and "ml_features" in everything


def test_publish_puts_sparks_tables_in_postgres_in_one_transaction(
    both_builds: tuple[str, Path, Path],
) -> None:
    """After publish, Postgres's core and ML marts hold Spark's rows: stale Postgres rows are
    gone, and a failed publish (a table Postgres lacks) changes nothing."""
    url, target, lake_folder = both_builds
    with psycopg.connect(url) as conn:
        features = conn.execute("select count(*) from marts.ml_features").fetchone()[0]
        conn.execute("delete from marts.ml_features where inspection_date < '2013-02-01'")
        failed = "select count(*) from marts.fct_inspections where is_failed"
        failed_rows = conn.execute(failed).fetchone()[0]
        conn.execute("delete from marts.fct_inspections where is_failed")
        conn.commit()
        assert conn.execute("select count(*) from marts.ml_features").fetchone()[0] < features
        conn.execute("alter table marts.ml_labels rename to ml_labels_aside")
        conn.commit()
        with pytest.raises(lake.LakeError, match="marts.ml_labels does not exist on Postgres"):
            lake.publish(conn, target, lake_folder)
        conn.rollback()
        assert conn.execute("select count(*) from marts.ml_features").fetchone()[0] < features
        conn.execute("alter table marts.ml_labels_aside rename to ml_labels")
        conn.commit()

        published = lake.publish(conn, target, lake_folder)
        conn.commit()
        assert {p.model for p in published} == LAKE_TABLES
        assert conn.execute("select count(*) from marts.ml_features").fetchone()[0] == features
        assert conn.execute(failed).fetchone()[0] == failed_rows > 0
        unequal = [c.model for c in lake.compare(conn, target, lake_folder) if not c.equal]
    assert not unequal

"""The job table becomes a queue that survives crashes: attempts, leases, fair order, logs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Matches the `jobs` columns added after `owner`, and the `job_log` and `job_artworks`
tables, of studiolo/catalog/schema.py. A job the old in-process runner left "running" or
"queued" had no process left to finish it (the runner lived in the process that stopped):
it becomes "failed", saying so, and `studiolo jobs retry ID` runs it again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

STRANDED = ("The process that ran this job stopped before studiolo kept a job queue; "
            "run it again with `studiolo jobs retry ID`.")
COLUMNS = ("attempts", "max_attempts", "worker", "lease_until", "started", "finished", "heavy",
           "fair_tag", "cancel_requested", "batch", "dedupe_key", "stage", "message")
INDEXES = {
    "ix_jobs_status_heavy_fair_tag": ["status", "heavy", "fair_tag"],
    "ix_jobs_owner_status_fair_tag": ["owner", "status", "fair_tag"],
    "ix_jobs_status_lease_until": ["status", "lease_until"],
    "ix_jobs_batch": ["batch"],
}


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"))
        batch.add_column(sa.Column("worker", sa.String(200)))
        batch.add_column(sa.Column("lease_until", _when()))
        batch.add_column(sa.Column("started", _when()))
        batch.add_column(sa.Column("finished", _when()))
        batch.add_column(sa.Column("heavy", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("fair_tag", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("cancel_requested", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("batch", sa.String(64)))
        batch.add_column(sa.Column("dedupe_key", sa.String(64)))
        batch.add_column(sa.Column("stage", sa.String(40)))
        batch.add_column(sa.Column("message", sa.Text))
    for name, columns in INDEXES.items():
        op.create_index(name, "jobs", columns)
    op.create_index("ix_jobs_dedupe_key", "jobs", ["dedupe_key"], unique=True)
    jobs = sa.table("jobs", sa.column("status", sa.String), sa.column("error", sa.Text))
    op.execute(jobs.update().where(jobs.c.status.in_(("queued", "running")))
               .values(status="failed", error=STRANDED))
    op.create_table(
        "job_log",
        sa.Column("job_id", sa.String(36)),
        sa.Column("position", sa.Integer),
        sa.Column("at", _when(), nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("job_id", "position", name="pk_job_log"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE",
                                name="fk_job_log_job_id_jobs"),
    )
    op.create_table(
        "job_artworks",
        sa.Column("job_id", sa.String(36)),
        sa.Column("position", sa.Integer),
        sa.Column("artwork_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "position", name="pk_job_artworks"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE",
                                name="fk_job_artworks_job_id_jobs"),
        sa.ForeignKeyConstraint(["artwork_id"], ["artworks.id"], ondelete="CASCADE",
                                name="fk_job_artworks_artwork_id_artworks"),
    )
    op.create_index("ix_job_artworks_artwork_id", "job_artworks", ["artwork_id"])


def downgrade() -> None:
    op.drop_index("ix_job_artworks_artwork_id", table_name="job_artworks")
    op.drop_table("job_artworks")
    op.drop_table("job_log")
    op.drop_index("ix_jobs_dedupe_key", table_name="jobs")
    for name in INDEXES:
        op.drop_index(name, table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)

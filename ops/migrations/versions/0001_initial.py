"""accounts, automation settings, audit log, outcomes, dead letters

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 04:18:39.264715
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('group_name', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('smartlead_api_key', sa.Text(), nullable=True),
    sa.Column('smartlead_base_url', sa.String(length=500), nullable=True),
    sa.Column('smartlead_client_id', sa.Integer(), nullable=True),
    sa.Column('rate_limit_plan', sa.String(length=32), nullable=False),
    sa.Column('rate_limits', sa.JSON(), nullable=True),
    sa.Column('hubspot_token', sa.Text(), nullable=True),
    sa.Column('hubspot_base_url', sa.String(length=500), nullable=True),
    sa.Column('slack_webhook_url', sa.Text(), nullable=True),
    sa.Column('webhook_secrets', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_slug'), ['slug'], unique=True)

    op.create_table('processed_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope', 'key')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('automation', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('subject', sa.String(length=320), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('task_id', sa.String(length=64), nullable=True),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_automation'), ['automation'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_event_id'), ['event_id'], unique=False)

    op.create_table('automation_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('automation', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'automation')
    )
    op.create_table('blocked_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=320), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source_account_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_account_id'], ['accounts.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('blocked_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blocked_addresses_value'), ['value'], unique=True)

    op.create_table('contact_sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('hubspot_id', sa.String(length=64), nullable=True),
    sa.Column('last_reply_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_category_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_category', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'email')
    )
    op.create_table('dead_letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('task_name', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('error_class', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dead_letters_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dead_letters_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dead_letters_status'), ['status'], unique=False)

    op.create_table('lead_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('chunk_id', sa.String(length=64), nullable=True),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.Column('replied', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'campaign_id', 'email')
    )
    with op.batch_alter_table('lead_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_outcomes_chunk_id'), ['chunk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_outcomes_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_outcomes_status'), ['status'], unique=False)

    op.create_table('visit_followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('page_url', sa.Text(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visit_followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_followups_added_at'), ['added_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_followups_email'), ['email'], unique=False)

    op.create_table('block_pushes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('blocked_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['blocked_id'], ['blocked_addresses.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('blocked_id', 'account_id')
    )


def downgrade() -> None:
    op.drop_table('block_pushes')
    with op.batch_alter_table('visit_followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_followups_email'))
        batch_op.drop_index(batch_op.f('ix_visit_followups_added_at'))

    op.drop_table('visit_followups')
    with op.batch_alter_table('lead_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_outcomes_status'))
        batch_op.drop_index(batch_op.f('ix_lead_outcomes_email'))
        batch_op.drop_index(batch_op.f('ix_lead_outcomes_chunk_id'))

    op.drop_table('lead_outcomes')
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dead_letters_status'))
        batch_op.drop_index(batch_op.f('ix_dead_letters_created_at'))
        batch_op.drop_index(batch_op.f('ix_dead_letters_account_id'))

    op.drop_table('dead_letters')
    op.drop_table('contact_sync_state')
    with op.batch_alter_table('blocked_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blocked_addresses_value'))

    op.drop_table('blocked_addresses')
    op.drop_table('automation_settings')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_event_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_automation'))
        batch_op.drop_index(batch_op.f('ix_audit_log_account_id'))

    op.drop_table('audit_log')
    op.drop_table('processed_events')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_slug'))

    op.drop_table('accounts')

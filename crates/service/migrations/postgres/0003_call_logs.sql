-- The server-side outbox: call logs agents handed over, delivered to the CRM with the default
-- integration account's credentials. One row per (kind, agent, Call-ID): handing the same call
-- over again updates it. A row is leased by one service instance while it posts, so several
-- instances sharing the database post each log once.
CREATE TABLE call_logs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    agent TEXT NOT NULL,
    call_id TEXT NOT NULL,
    -- The log as the widget described it (JSON): who called, when, how long, notes, record.
    log TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'delivered', 'refused')),
    attempts BIGINT NOT NULL DEFAULT 0,
    due_at BIGINT NOT NULL,
    lease_until BIGINT,
    leased_by TEXT,
    last_error TEXT,
    -- The CRM's id of the row once known (ServiceNow's sys_id).
    crm_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    delivered_at BIGINT,
    UNIQUE (kind, agent, call_id)
);
CREATE INDEX call_logs_due ON call_logs (state, due_at);

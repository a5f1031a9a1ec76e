-- The access token the service last obtained for an account, sealed like the account's secrets
-- (associated data `crm_access_tokens/<account_id>/accessToken`), handed to agents until shortly
-- before it expires so that a hundred agents cost the CRM one refresh.
CREATE TABLE crm_access_tokens (
    account_id TEXT PRIMARY KEY REFERENCES integration_accounts (id) ON DELETE CASCADE,
    key_id TEXT NOT NULL,
    sealed TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

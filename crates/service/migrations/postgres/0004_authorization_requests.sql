-- An administrator's sign-in at a CRM in a popup (authorization code + PKCE), waiting for the
-- CRM to send the browser back: keyed by the SHA-256 of its `state`, claimed once, for 10
-- minutes. The PKCE verifier is sealed like an account's secrets
-- (`authorization_requests/<state hash>/verifier`).
CREATE TABLE authorization_requests (
    state_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES integration_accounts (id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    key_id TEXT NOT NULL,
    sealed_verifier TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

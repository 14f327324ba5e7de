-- API keys (Better-Auth's apikey table, REFERENCE-better-auth §6). `key` holds
-- HMAC-SHA256(K, key) in hex (ours) or base64url(SHA-256(key)) (imported from
-- Better-Auth), never the key. Counters (requestCount, remaining,
-- lastRequest, lastRefillAt) are written in batches, not per request.
CREATE TABLE apikey (
  id TEXT PRIMARY KEY,
  configId TEXT NOT NULL DEFAULT 'default',
  name TEXT,
  start TEXT,
  prefix TEXT,
  key TEXT NOT NULL UNIQUE,
  referenceId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  refillInterval INTEGER,
  refillAmount INTEGER,
  lastRefillAt INTEGER,
  enabled INTEGER NOT NULL DEFAULT 1,
  rateLimitEnabled INTEGER NOT NULL DEFAULT 1,
  rateLimitTimeWindow INTEGER,
  rateLimitMax INTEGER,
  requestCount INTEGER NOT NULL DEFAULT 0,
  remaining INTEGER,
  lastRequest INTEGER,
  expiresAt INTEGER,
  createdAt INTEGER NOT NULL,
  updatedAt INTEGER NOT NULL,
  permissions TEXT,
  metadata TEXT
);
CREATE INDEX apikey_referenceId ON apikey(referenceId);

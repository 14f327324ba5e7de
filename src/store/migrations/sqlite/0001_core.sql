-- Core schema: Better-Auth's user, session, account and verification tables
-- (REFERENCE-better-auth §6), camelCase columns, times in Unix milliseconds.
-- Differences from Better-Auth: session.tokenHash holds a keyed hash of the
-- bearer token, never the token; session.rememberMe records rememberMe=false.
CREATE TABLE "user" (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  emailVerified INTEGER NOT NULL DEFAULT 0,
  image TEXT,
  createdAt INTEGER NOT NULL,
  updatedAt INTEGER NOT NULL,
  role TEXT NOT NULL DEFAULT 'user',
  banned INTEGER NOT NULL DEFAULT 0,
  banReason TEXT,
  banExpires INTEGER,
  username TEXT UNIQUE,
  displayUsername TEXT
);

CREATE TABLE session (
  id TEXT PRIMARY KEY,
  tokenHash BLOB NOT NULL UNIQUE,
  userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  expiresAt INTEGER NOT NULL,
  createdAt INTEGER NOT NULL,
  updatedAt INTEGER NOT NULL,
  ipAddress TEXT,
  userAgent TEXT,
  rememberMe INTEGER NOT NULL DEFAULT 1,
  activeOrganizationId TEXT,
  activeTeamId TEXT,
  impersonatedBy TEXT
);
CREATE INDEX session_userId ON session(userId);

CREATE TABLE account (
  id TEXT PRIMARY KEY,
  accountId TEXT NOT NULL,
  providerId TEXT NOT NULL,
  userId TEXT NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  accessToken TEXT,
  refreshToken TEXT,
  idToken TEXT,
  accessTokenExpiresAt INTEGER,
  refreshTokenExpiresAt INTEGER,
  scope TEXT,
  password TEXT,
  createdAt INTEGER NOT NULL,
  updatedAt INTEGER NOT NULL,
  UNIQUE (providerId, accountId)
);
CREATE INDEX account_userId ON account(userId);

CREATE TABLE verification (
  id TEXT PRIMARY KEY,
  identifier TEXT NOT NULL UNIQUE,
  value TEXT NOT NULL,
  expiresAt INTEGER NOT NULL,
  createdAt INTEGER NOT NULL,
  updatedAt INTEGER NOT NULL
);

CREATE TABLE gh_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Migration number: 0001 	 2025-01-01T00:00:00.000Z
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  score REAL,
  avatar BLOB
);

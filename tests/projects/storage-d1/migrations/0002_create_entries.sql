-- Migration number: 0002 	 2025-01-01T00:00:01.000Z
-- Keys and values written by the durability test, and a seed row.
CREATE TABLE entries (k TEXT PRIMARY KEY, v TEXT NOT NULL);
INSERT INTO users (email, name, score) VALUES ('seed@example.com', 'Seed; with a semicolon', 1.5);

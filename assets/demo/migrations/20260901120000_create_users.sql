-- migrate:up
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT,
    created_at TEXT NOT NULL,
    deleted_at TEXT
);

CREATE VIEW active_users AS
    SELECT id, email, display_name, created_at FROM users WHERE deleted_at IS NULL;

-- migrate:down
DROP VIEW active_users;
DROP TABLE users;

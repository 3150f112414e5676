-- migrate:up
CREATE TABLE message_reactions (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    emoji TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (message_id, user_id, emoji)
);

CREATE INDEX idx_message_reactions_user ON message_reactions(user_id);

-- migrate:down
DROP INDEX idx_message_reactions_user;
DROP TABLE message_reactions;

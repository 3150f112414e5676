-- migrate:up
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    title TEXT,
    created_at TEXT
);

CREATE INDEX idx_conversations_user ON conversations(user_id);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users(id),
    role TEXT NOT NULL CHECK (role IN ('user','assistant','system')),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX idx_messages_conversation ON messages(conversation_id);
CREATE INDEX idx_messages_conversation_created ON messages(conversation_id, created_at);

-- migrate:down
DROP INDEX idx_messages_conversation_created;
DROP INDEX idx_messages_conversation;
DROP TABLE messages;
DROP INDEX idx_conversations_user;
DROP TABLE conversations;

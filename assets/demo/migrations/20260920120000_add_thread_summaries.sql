-- migrate:up
CREATE TABLE thread_summaries (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id),
    summary TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TRIGGER trg_conversations_delete_summary
AFTER DELETE ON conversations
BEGIN
    DELETE FROM thread_summaries WHERE conversation_id = OLD.id;
END;

-- migrate:down
DROP TRIGGER trg_conversations_delete_summary;
DROP TABLE thread_summaries;

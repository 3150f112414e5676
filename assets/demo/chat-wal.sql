-- litescope demo workspace: chat/app.db, recent activity.
-- Run after chat.sql once the database is in WAL mode; these rows are meant
-- to stay in app.db-wal (not checkpointed). All references are valid.
INSERT INTO conversations (id, user_id, title, created_at) VALUES
    (121, 5, 'Help with SQLite WAL mode', '2026-10-01 09:00:00');

INSERT INTO messages (id, conversation_id, user_id, role, body, created_at) VALUES
    (3004, 121, 5, 'user', 'Hi, why is my -wal file bigger than the database itself?', '2026-10-01 09:00:12'),
    (3005, 121, NULL, 'assistant', 'The WAL grows until a checkpoint copies its pages back into the main file. A long-running reader can block that.', '2026-10-01 09:00:19'),
    (3006, 121, 5, 'user', 'So if I copy only app.db, do I lose anything?', '2026-10-01 09:02:40'),
    (3007, 121, NULL, 'assistant', 'Yes: committed transactions still in the WAL are missing from app.db alone. Copy both files, or checkpoint first.', '2026-10-01 09:02:47'),
    (3008, 121, 5, 'user', 'Thanks! I will run a checkpoint before the backup.', '2026-10-01 09:04:03'),
    (3009, 3, 22, 'user', 'Following up on that, the starter finally doubled overnight.', '2026-10-01 09:10:30'),
    (3010, 3, NULL, 'assistant', 'Great news. Feed it once more and it should be ready to bake with tomorrow.', '2026-10-01 09:10:36');

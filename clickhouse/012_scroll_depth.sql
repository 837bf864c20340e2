-- Scroll depth of engagement events (SPEC §13: Plausible's `sd`, Tidemark's `scrollDepth`), in
-- percent (0 … 100; 0 when the sender gave none). Schema version 2 of the topic (docs/topic.md):
-- the column the new version appends. Added before any version-2 message is read.
ALTER TABLE {{database}}.events {{on_cluster}} ADD COLUMN IF NOT EXISTS scroll_depth UInt16 DEFAULT 0;

-- Cluster only: the Distributed `visit_visitors_1d_all` (030) gets the columns 047 added to the local table.
ALTER TABLE {{database}}.visit_visitors_1d_all {{on_cluster}}
    ADD COLUMN IF NOT EXISTS quartered UInt8 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS quarters  Array(UInt8),
    ADD COLUMN IF NOT EXISTS upto      Array(UInt64),
    ADD COLUMN IF NOT EXISTS since     Array(UInt64);

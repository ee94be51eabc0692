-- The one delivery a blocked server still gets: the Block that tells it so.
ALTER TABLE delivery ADD COLUMN despite_block boolean NOT NULL DEFAULT false;

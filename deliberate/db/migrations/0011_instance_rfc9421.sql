-- Peers known to verify RFC 9421 signatures (their actors list RFC 9421 in `implements`, FEP-844e): deliveries to
-- them are signed with Ed25519 RFC 9421 instead of draft-cavage.
ALTER TABLE instance ADD COLUMN rfc9421 boolean NOT NULL DEFAULT false;

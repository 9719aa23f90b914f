-- Each user's session generation, carried in every access token. Ending sessions (logout, a
-- password change, disabling, a reused refresh token) bumps it, and a token of an older
-- generation is refused at once, on every instance, though it has not expired.
ALTER TABLE users ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;

"""Files outside the database: trajectory arrays and videos in the artifact directory, written atomically."""

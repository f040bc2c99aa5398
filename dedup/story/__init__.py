"""Stories: clusters of verified pairs, the passage diff inside each, and provenance."""

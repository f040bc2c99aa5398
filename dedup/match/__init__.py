"""Matching: shingles, MinHash signatures, LSH candidates and exact pair verification."""

"""Text: normalisation, segmentation into passages, boilerplate and credit lines."""

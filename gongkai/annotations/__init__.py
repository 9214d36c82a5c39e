"""Hand-made annotations (gold data) used to measure the extractors."""

"""Generating training and test data, and fitting the models shipped with gongkai."""

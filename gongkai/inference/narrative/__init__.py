"""The narrative: sentences segmented from the report's prose and tagged by the classifier."""

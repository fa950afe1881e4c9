"""The emotion CNN: train, evaluate, visualise, and the shipped weights (issue 4)."""

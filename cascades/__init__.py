"""Haar cascades per character: a Viola-Jones trainer that writes OpenCV's cascade XML."""

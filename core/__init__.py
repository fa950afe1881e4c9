"""The ground floor every package stands on: rules that more than one floor must apply alike.

It imports nothing of the project and nothing heavy, so `warehouse/` and the dashboard can use it
without TensorFlow or OpenCV.
"""

"""MNIST for TF1's tutorials: ``from minigraph.examples.tutorials.mnist import input_data``."""

"""The emotion CNN: train, evaluate, visualise, and the shipped weights."""

ARCHS = ("seed", "toon")
OPTIMIZERS = ("sgd", "adagrad", "adadelta", "rmsprop", "adam")
